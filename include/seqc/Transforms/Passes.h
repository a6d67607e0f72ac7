//===- Passes.h - seqc transformation passes --------------------*- C++ -*-===//
#ifndef SEQC_TRANSFORMS_PASSES_H
#define SEQC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "seqc/Dialect/Seq/SeqDialect.h"

namespace seqc {

#define GEN_PASS_DECL
#include "seqc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "seqc/Transforms/Passes.h.inc"

} // namespace seqc

#endif // SEQC_TRANSFORMS_PASSES_H
