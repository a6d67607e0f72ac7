//===- SemaSupport.h - Helpers shared by the checkers -----------*- C++ -*-===//
//
// Private to frontend/: shape formatting, "did you mean" suggestions, and the
// diagnostics interface through which the train-block checker reports.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_SEMASUPPORT_H
#define SEQC_FRONTEND_SEMASUPPORT_H

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/TypedIR.h"
#include "seqc/Spec/TrainSpec.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <optional>
#include <string>
#include <vector>

namespace seqc::sema {

using Shape = std::vector<tir::Dim>;

/// "[H=16, 4]"; a scalar is "[]".
std::string formatShape(const Shape &shape);
/// "H=16" or "4".
std::string formatDim(const tir::Dim &dim);
bool sameSizes(const Shape &a, const Shape &b);
/// Numpy broadcasting, trailing-aligned.
std::optional<Shape> broadcast(const Shape &a, const Shape &b);
/// "; did you mean 'x'?" for the closest candidate, if one is close enough.
std::string suggest(llvm::StringRef name,
                    llvm::ArrayRef<std::string> candidates);
/// "a, b, c".
std::string joinNames(llvm::ArrayRef<std::string> names);
/// The source text of an expression, as written.
llvm::StringRef sourceText(const ast::Expr &expr);
/// An integer-valued double without a fraction ("5"), else as %g.
std::string formatNumber(double value);

/// Where checkers report errors; Sema implements it (with deduplication).
class Reporter {
public:
  virtual ~Reporter() = default;
  virtual void error(llvm::SMLoc loc, const llvm::Twine &message,
                     llvm::ArrayRef<llvm::SMRange> ranges = {}) = 0;
  virtual void note(llvm::SMLoc loc, const llvm::Twine &message,
                    llvm::ArrayRef<llvm::SMRange> ranges = {}) = 0;
  virtual tir::Loc toLoc(llvm::SMLoc loc) const = 0;
};

/// What the checker found in a train block besides the TrainSpec.
struct TrainCheck {
  const ast::TrainSetting *data = nullptr;
  const ast::TrainSetting *loss = nullptr;
  bool ok = true;
};

/// Checks every setting of a train block and fills `spec` with the typed
/// values (train.cpp). Every bad value is reported through `reporter`.
TrainCheck checkTrainSettings(const ast::TrainDecl &train, TrainSpec &spec,
                              Reporter &reporter);

/// Checks what a cell's definition must satisfy on its own (SemaCells.cpp):
/// distinct names; time indices only `t` and `t-1`; `x` (the input) only at
/// `t`; a state read at `t-1` has an initial value, one read at `t` (or
/// without an index) is assigned before; every state is assigned; `out` is
/// present. Shapes are not checked here. Returns false after reporting.
bool checkCell(const ast::CellDecl &cell, Reporter &reporter);

/// Kinds of data dimensions (`In: features`), in documentation order.
llvm::ArrayRef<std::string> dataDimKindNames();

} // namespace seqc::sema

#endif // SEQC_FRONTEND_SEMASUPPORT_H
