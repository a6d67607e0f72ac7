//===- GradCheck.h - Gradient checks of compiled losses ---------*- C++ -*-===//
//
// The machinery of GradCheckTest.cpp: a scalar loss `@loss` written in the
// seq dialect is differentiated by seqc-autodiff and JIT-compiled in f32 or
// f64; its compiled gradients are then compared with central finite
// differences of the compiled `@loss`, or with golden gradients.
//
// Every comparison uses one relative error with a floor,
//
//   err(a, b) = |a - b| / max(1, |a|, |b|),
//
// that is the absolute error for values of magnitude up to 1 and the
// relative error above; a tensor's error is the largest over its elements.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_GRADCHECK_H
#define SEQC_TEST_UNIT_GRADCHECK_H

#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Tensor.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace seqc::test {

/// |a - b| / max(1, |a|, |b|).
double relativeError(double a, double b);

/// The largest relativeError over the elements of two tensors of one shape,
/// and where it occurs.
struct Comparison {
  double maxError = 0;
  int64_t worstIndex = -1; // flat, row-major; -1 when both are empty
  double actual = 0, expected = 0;
  /// "0.25 at [1, 2]: 0.51 vs 0.26", or "" when maxError is 0.
  std::string describe(llvm::ArrayRef<int64_t> shape) const;
};
/// Fails (an llvm::Error) when the shapes differ.
llvm::Expected<Comparison> compareTensors(const rt::Tensor &actual,
                                          const rt::Tensor &expected);

/// A copy of `tensor` with element type `dtype` (float to float, or the same
/// integer type).
rt::Tensor convertTensor(const rt::Tensor &tensor, rt::DType dtype);

/// What a compiled loss is built from.
struct LossSpec {
  /// A module holding `func.func @loss(...) -> tensor<!T>`, or that function
  /// alone. `!T` stands for the float type; its definition is prepended.
  std::string mlir;
  /// The float type: F32 or F64.
  rt::DType dtype = rt::DType::F64;
  /// seqc-autodiff's wrt-inputs: also differentiate the `seq.input`s.
  bool wrtInputs = false;
};

/// `@loss` and `@loss_grad` (seqc-autodiff, then canonicalize) compiled for
/// the host, and the current value of every argument of `@loss`.
class CompiledLoss {
public:
  static llvm::Expected<std::unique_ptr<CompiledLoss>>
  create(mlir::MLIRContext &context, const LossSpec &spec);

  /// The arguments of @loss in order: parameters and inputs.
  llvm::ArrayRef<rt::EntryArgument> arguments() const;
  /// Names of the arguments @loss_grad differentiates, in its result order.
  llvm::ArrayRef<std::string> gradientNames() const { return gradNames; }
  /// The text of the module after autodiff and canonicalization.
  llvm::StringRef differentiatedModule() const { return gradText; }

  /// Sets an argument (converted to its element type); the shape must fit.
  llvm::Error set(llvm::StringRef name, const rt::Tensor &value);
  const rt::Tensor &get(llvm::StringRef name) const;

  /// @loss at the current arguments.
  llvm::Expected<double> loss();
  /// @loss_grad at the current arguments: the loss and the gradients, by
  /// argument name.
  struct Gradients {
    double loss = 0;
    std::map<std::string, rt::Tensor> grads;
  };
  llvm::Expected<Gradients> gradients();

  /// Central finite differences of @loss with respect to argument `name`:
  /// (loss(x + h e_i) - loss(x - h e_i)) / 2h with h = relStep * max(1,
  /// |x_i|), for every element i. The argument is restored afterwards.
  llvm::Expected<rt::Tensor> finiteDifferences(llvm::StringRef name,
                                               double relStep = 1e-6);

private:
  CompiledLoss() = default;
  llvm::Error writeBack(size_t index);

  std::unique_ptr<rt::JitSession> session;
  std::vector<rt::EntryArgument> args;
  std::vector<rt::Tensor> values; // parallel to args
  std::vector<std::string> gradNames;
  std::string gradText;
};

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_GRADCHECK_H
