//===- Passes.h - seqc conversion passes ------------------------*- C++ -*-===//
#ifndef SEQC_CONVERSION_PASSES_H
#define SEQC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace seqc {

#define GEN_PASS_DECL
#include "seqc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "seqc/Conversion/Passes.h.inc"

} // namespace seqc

#endif // SEQC_CONVERSION_PASSES_H
