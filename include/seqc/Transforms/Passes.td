//===- Passes.td - seqc transformation passes --------------*- tablegen -*-===//
#ifndef SEQC_TRANSFORMS_PASSES_TD
#define SEQC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SeqcVectorize : Pass<"seqc-vectorize", "mlir::func::FuncOp"> {
  let summary = "Tile linalg ops on tensors and vectorize the tiles";
  let description = [{
    Tiles every linalg op so that its innermost parallel dimension is a
    multiple of the host's vector width (16 f32 lanes for AVX-512) and
    rewrites each tile into vector ops; remainders are masked.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Lanes of the innermost vectorized dimension">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect"
  ];
}

def SeqcEmitCInterface : Pass<"seqc-emit-c-interface", "mlir::ModuleOp"> {
  let summary = "Mark the model's entry functions for the JIT's C interface";
  let description = [{
    Adds `llvm.emit_c_interface` to every public function so that the LLVM
    lowering emits a `_mlir_ciface_` wrapper taking memref descriptors by
    pointer, which the runtime calls.
  }];
}

#endif // SEQC_TRANSFORMS_PASSES_TD
