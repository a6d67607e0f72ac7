//===- SeqDialect.h - The seq dialect ---------------------------*- C++ -*-===//
//
// The dialect and the names of its discardable attributes, which the dialect
// verifies wherever they appear (SeqDialect.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DIALECT_SEQ_SEQDIALECT_H
#define SEQC_DIALECT_SEQ_SEQDIALECT_H

#include "mlir/IR/Dialect.h"

#include "seqc/Dialect/Seq/SeqDialect.h.inc"

namespace seqc::seq {

// Function-argument attributes: what an entry point's argument is.
/// A parameter: its qualified name (a string).
inline constexpr llvm::StringLiteral kParamAttr = "seq.param";
/// A parameter's initializer (a dictionary).
inline constexpr llvm::StringLiteral kInitAttr = "seq.init";
/// An input: its name (a string).
inline constexpr llvm::StringLiteral kInputAttr = "seq.input";
/// Optimizer state held by the session: its name (a string).
inline constexpr llvm::StringLiteral kStateAttr = "seq.state";
/// A 0-d hyperparameter given per call (learning rate, step): its name.
inline constexpr llvm::StringLiteral kHyperAttr = "seq.hyper";
/// A sequence input's time axis (an integer), when the entry point's
/// sequences have several (an encoder-decoder's source and target):
/// inputs of one axis have one number of steps.
inline constexpr llvm::StringLiteral kTimeAttr = "seq.time";

// Function-result attributes.
/// An update step's result: the index of the argument whose new value the
/// result is (an integer; the argument has the result's shape and element
/// type). Lowering writes such a result into that argument's buffer and
/// drops it from the signature (seqc-write-updates-in-place).
inline constexpr llvm::StringLiteral kUpdatesAttr = "seq.updates";
/// A gradient's result: the name of the parameter or input it is the
/// gradient of (a string).
inline constexpr llvm::StringLiteral kGradOfAttr = "seq.grad_of";
/// A result's name for the runtime (a string).
inline constexpr llvm::StringLiteral kOutputAttr = "seq.output";

// Module attributes.
/// The model's name (a string).
inline constexpr llvm::StringLiteral kModelAttr = "seq.model";

} // namespace seqc::seq

#endif // SEQC_DIALECT_SEQ_SEQDIALECT_H
