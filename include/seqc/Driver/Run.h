//===- Run.h - `seqc run`: one forward pass, printed ------------*- C++ -*-===//
//
// What `seqc run FILE.seq [--input X.csv | --random N] [--params W.safetensors]
// [--seed S] [--format table|csv] [--precision P]` does once the seqc tool
// has the seq module: compile it, set the parameters (loaded, or initialized
// from the seed), read or draw the inputs, call `forward` and print one row per
// instance.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DRIVER_RUN_H
#define SEQC_DRIVER_RUN_H

#include "seqc/Runtime/JitSession.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace seqc::driver {

/// Rows drawn when neither an input file nor a row count is given.
inline constexpr int64_t kDefaultRandomRows = 4;

struct RunOptions {
  /// The entry point to call.
  std::string entry = "forward";
  /// A CSV file with one instance per row: the inputs' per-instance values,
  /// concatenated in input order. Empty: random inputs.
  std::string inputCsv;
  /// Random instances (floats uniform in [-1, 1), seeded); 0 means
  /// kDefaultRandomRows. Exclusive with inputCsv.
  int64_t randomRows = 0;
  /// A safetensors file with every parameter; empty: initialize from `seed`.
  std::string paramsPath;
  /// Seeds parameter initialization and random inputs.
  uint64_t seed = 0;
  /// "table" (aligned columns with a header) or "csv".
  std::string format = "table";
  /// Digits after the decimal point.
  int precision = 6;
  /// How the model is compiled.
  rt::JitOptions jit;
};

/// Compiles `seqModule` and runs it as `options` say, printing to `out`.
llvm::Error runForward(mlir::ModuleOp seqModule, const RunOptions &options,
                       llvm::raw_ostream &out);
/// Same with an already compiled session (whose parameters are replaced).
llvm::Error runForward(rt::JitSession &session, const RunOptions &options,
                       llvm::raw_ostream &out);

} // namespace seqc::driver

#endif // SEQC_DRIVER_RUN_H
