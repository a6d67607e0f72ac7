//===- ReverseSweep.h - Reverse-mode differentiation of a block -*- C++ -*-===//
//
// The reverse sweep shared by seqc-autodiff (over a function body) and the
// derivative rule of seq.scan (over one step of its body): the ops that lie
// on a path from a differentiated value are visited in reverse, each builds
// its vector-Jacobian product through VJPOpInterface, and the cotangents of
// values used more than once are summed.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DIALECT_SEQ_REVERSESWEEP_H
#define SEQC_DIALECT_SEQ_REVERSESWEEP_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace seqc::seq {

/// A zero cotangent of the type of `like`: a 0-d constant, broadcast to the
/// shape of `like` (whose dynamic sizes it reads).
mlir::Value zerosLike(mlir::OpBuilder &b, mlir::Location loc, mlir::Value like);

class ReverseSweep {
public:
  /// `ops` are the forward ops in program order (no terminator); `wrt` the
  /// values to differentiate with respect to. A value is active when it is
  /// in `wrt` or an op of `ops` computes it from an active operand.
  ReverseSweep(llvm::ArrayRef<mlir::Operation *> ops, mlir::ValueRange wrt);

  bool isActive(mlir::Value value) const { return active.contains(value); }

  /// Adds `cotangent` to the cotangent of `value` (the seed of the sweep: the
  /// loss's 1, or the cotangents of a scan step's results).
  void seed(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
            mlir::Value cotangent);

  /// Visits the ops in reverse and builds, at `b`'s insertion point, the VJP
  /// of every op that has a cotangent on a result and an active operand.
  /// Fails (with the op's diagnostic) when an op has no rule or its rule
  /// fails.
  ///
  /// A rule may replace its op by an augmented copy (seq.scan adds outputs
  /// that save its per-step states): it redirects every use of the op's
  /// results to the copy, and the sweep erases the op once its operands'
  /// cotangents are recorded.
  mlir::LogicalResult run(mlir::OpBuilder &b);

  /// The cotangent of `value`, or null when none reached it.
  mlir::Value cotangent(mlir::Value value) const {
    return cotangents.lookup(value);
  }

private:
  mlir::LogicalResult visit(mlir::Operation *op, mlir::OpBuilder &b);

  llvm::SmallVector<mlir::Operation *> ops;
  llvm::DenseSet<mlir::Value> active;
  llvm::DenseMap<mlir::Value, mlir::Value> cotangents;
};

} // namespace seqc::seq

#endif // SEQC_DIALECT_SEQ_REVERSESWEEP_H
