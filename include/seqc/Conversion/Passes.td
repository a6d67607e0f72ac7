//===- Passes.td - seqc conversion passes ------------------*- tablegen -*-===//
#ifndef SEQC_CONVERSION_PASSES_TD
#define SEQC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertSeqToLinalg : Pass<"convert-seq-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower seq ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every seq op becomes a linalg structured op (named where one exists,
    linalg.generic otherwise) on tensors, so that one-shot bufferization,
    tiling and vectorization apply unchanged.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect"
  ];
}

#endif // SEQC_CONVERSION_PASSES_TD
