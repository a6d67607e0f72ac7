//===- Init.h - Parameter initializers --------------------------*- C++ -*-===//
//
// The initializers a `seq.init` argument attribute names, applied to a host
// tensor with the runtime's deterministic generator. For a parameter of shape
// [d0, ..., dk], fan_in is the last size and fan_out the first (a [out, in]
// weight, as `Linear` stores it); a vector has fan_in = fan_out = its size.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_INIT_H
#define SEQC_RUNTIME_INIT_H

#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>

namespace seqc::rt {

struct InitSpec {
  enum class Kind {
    Zeros,    // 0
    Constant, // a
    Uniform,  // U(a, b)
    Normal,   // N(mean a, std b)
    Xavier,   // Glorot uniform U(-l, l), l = sqrt(6 / (fan_in + fan_out))
    He,       // N(0, sqrt(2 / fan_in))
  };
  Kind kind = Kind::Zeros;
  double a = 0.0;
  double b = 0.0;

  /// The spelling of `seq.init`'s `kind`: "zeros", "constant", ...
  static llvm::Expected<Kind> parseKind(llvm::StringRef name);
  static llvm::StringRef kindName(Kind kind);
  /// "xavier", "constant(0.5)", "uniform(-1, 1)", "normal(0, 0.1)".
  std::string str() const;
};

struct Fans {
  int64_t fanIn = 1;
  int64_t fanOut = 1;
};
Fans computeFans(llvm::ArrayRef<int64_t> shape);

/// Fills `tensor` per `spec`, drawing from `rng` in row-major order. Values
/// are computed in double and rounded once to the element type.
void initializeTensor(Tensor &tensor, const InitSpec &spec, Rng &rng);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_INIT_H
