//===- Passes.td - seqc transformation passes --------------*- tablegen -*-===//
#ifndef SEQC_TRANSFORMS_PASSES_TD
#define SEQC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SeqcVectorize : Pass<"seqc-vectorize", "mlir::func::FuncOp"> {
  let summary = "Tile linalg ops on tensors and vectorize the tiles";
  let description = [{
    Tiles every linalg op so that its innermost dimension is one vector of
    `vector-width` lanes (the pipeline passes one register of the target:
    16 f32 lanes for AVX-512, 8 for AVX2) and rewrites each tile into
    vector ops. Matmul-like ops get a register tile (`tile-rows` rows by
    `tile-vectors` vectors: 8 x 2 for AVX-512, 6 x 2 for AVX2)
    with the accumulator's fill fused and the K loop innermost, carrying the
    accumulators in registers; a matmul with a transposed B first packs B^T.
    Partial tiles are peeled off, and what is still dynamic (the last rows
    of a batch) is split into 1-row pieces, so no tile needs a mask. An op
    that linalg cannot vectorize stays tiled and lowers to scalar loops: the
    pass never fails.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of the innermost vectorized dimension (f64 gets half)">,
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"8",
           "Rows of a matmul's register tile">,
    Option<"tileVectors", "tile-vectors", "int64_t", /*default=*/"2",
           "Vectors of columns of a matmul's register tile">,
    Option<"libraryGemms", "library-gemms", "bool", /*default=*/"false",
           "Leave f32 GEMMs (and the zero fill of their output) to "
           "seqc-gemm-to-call">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::affine::AffineDialect"
  ];
}

def SeqcGemmToCall : Pass<"seqc-gemm-to-call", "mlir::ModuleOp"> {
  let summary = "Replace f32 GEMMs on buffers by calls of the runtime's kernel";
  let description = [{
    Every f32 `linalg.matmul`, `linalg.matmul_transpose_a` and
    `linalg.matmul_transpose_b` on memrefs becomes a call of
    `@seqc_sgemm(A, B, C, flags)` (declared private with a C interface; the
    runtime provides it): a packed, cache-blocked kernel for the host CPU,
    split over the runtime's threads. The operands are cast to fully dynamic
    strided memrefs; `flags` says which operand is transposed and whether
    the product accumulates into C. A zero fill of C right before the
    product is dropped and the call overwrites C instead.
  }];
  let dependentDialects = [
    "mlir::func::FuncDialect", "mlir::memref::MemRefDialect",
    "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"
  ];
}

def SeqcPackGemmOperands : Pass<"seqc-pack-gemm-operands", "mlir::ModuleOp"> {
  let summary = "Pack the loop-invariant right operands of GEMM calls once";
  let description = [{
    Runs after `seqc-gemm-to-call`. The transposed right operand of a
    `@seqc_sgemm` call inside `scf.for` loops that neither define it nor
    write its buffer (the weights of a recurrence's h W^T) is packed once before the outermost such
    loop into a `memref<?xf32>` sized by `@seqc_packed_gemm_size(k, n)`
    (`@seqc_pack_gemm_operand`); the calls become `@seqc_sgemm_packed(A,
    packed, C, flags)`, and the buffer is freed after the loop. Calls with
    the same operand in the same loop share one packing.
  }];
  let dependentDialects = [
    "mlir::func::FuncDialect", "mlir::memref::MemRefDialect",
    "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"
  ];
}

def SeqcAutodiff : Pass<"seqc-autodiff", "mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation of scalar loss functions";
  let description = [{
    For every public function `@f` that returns one scalar float tensor (a
    loss), builds `@f_grad` with the same arguments, returning the loss and
    its gradient with respect to every argument marked `seq.param` (and,
    with `wrt-inputs`, every `seq.input`), in argument order. The backward
    graph is built op by op in reverse from each op's VJPOpInterface rule;
    cotangents of values used more than once are summed. Result attributes
    `seq.grad_of` name the argument each gradient belongs to.
  }];
  let options = [
    Option<"wrtInputs", "wrt-inputs", "bool", /*default=*/"false",
           "Also return gradients with respect to the inputs">,
    Option<"suffix", "suffix", "std::string", /*default=*/"\"_grad\"",
           "Name suffix of the generated gradient functions">
  ];
  let dependentDialects = [
    "seqc::seq::SeqDialect", "mlir::arith::ArithDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def SeqcLowerVectors : Pass<"seqc-lower-vectors", "mlir::func::FuncOp"> {
  let summary = "Lower vectorized kernels on buffers to hardware-sized vectors";
  let description = [{
    Runs after bufferization on what `seqc-vectorize` produced: hoists the
    accumulator loads and stores of a matmul tile out of its reduction loop,
    lowers vector.contract to outer products (one FMA per row), and lowers
    transposes, multi-reductions and multi-dimensional transfers to 1-D
    vector ops that LLVM maps to registers.
  }];
  let dependentDialects = [
    "mlir::vector::VectorDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
    "mlir::affine::AffineDialect"
  ];
}

def SeqcTrainStep : Pass<"seqc-train-step", "mlir::ModuleOp"> {
  let summary = "Build the compiled training step from a gradient function";
  let description = [{
    From `@<loss>_grad` (see seqc-autodiff) builds `@train_step`: the loss
    and gradients, global-norm gradient clipping, and the optimizer update,
    in one function. Its arguments are the parameters (`seq.param`), the
    optimizer state (`seq.state`, zero-initialized by the runtime), the
    inputs of the loss, and two scalars: the learning rate (`seq.hyper =
    "lr"`) and the 1-based step number (`seq.hyper = "step"`, for Adam's bias
    correction). It returns the loss, the new parameters and the new state,
    in the order of the arguments, each marked `seq.updates` with the index
    of the argument it replaces (lowering updates those buffers in place).
    The update is inside an `scf.if` on the loss being finite: a NaN or
    infinite loss leaves parameters and state unchanged. Every update is
    elementwise, so elementwise fusion turns each parameter's update into
    one loop.
  }];
  let options = [
    Option<"lossName", "loss", "std::string", /*default=*/"\"loss\"",
           "The loss function whose gradient is used">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"adam\"",
           "sgd or adam">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD momentum">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8", "Adam epsilon">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"0.0",
           "Clip the global gradient norm to this value (0: no clipping)">
  ];
  let dependentDialects = [
    "seqc::seq::SeqDialect", "mlir::arith::ArithDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"
  ];
}

def SeqcEmitCInterface : Pass<"seqc-emit-c-interface", "mlir::ModuleOp"> {
  let summary = "Mark the model's entry functions for the JIT's C interface";
  let description = [{
    Adds `llvm.emit_c_interface` to every public function so that the LLVM
    lowering emits a `_mlir_ciface_` wrapper taking memref descriptors by
    pointer, which the runtime calls. Drops the `seq.*` argument and result
    attributes, which the runtime has read already and LLVM IR cannot carry.
  }];
}

def SeqcFuseElementwise : Pass<"seqc-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "linalg elementwise fusion that folds no reshape into a GEMM";
  let description = [{
    `linalg-fuse-elementwise-ops` (fusion of elementwise producers into
    consumers, folding of reshapes by expansion, constant folding), except
    that reshapes are not folded into or out of contractions: a matmul stays
    the 2-D GEMM over `T * N` rows that seqc-vectorize register-tiles,
    instead of becoming a 4-D generic that reads its B operand transposed.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::affine::AffineDialect"
  ];
}

def SeqcHoistScanMatmuls : Pass<"seqc-hoist-scan-matmuls", "mlir::ModuleOp"> {
  let summary = "Move per-step matmuls of seq.scan bodies into GEMMs over all steps";
  let description = [{
    The per-step matmuls of a recurrence have a small M (the batch); the
    same work as one GEMM over `T * N` rows runs at the speed of the
    register-tiled kernel. Two rewrites, on every seq.scan (inner scans
    first):

    1. Hoisting. A matmul in the body whose operands are a per-step value
       that depends on no carried state ([N, P], computed from slices) and a
       loop-invariant rhs (a capture, or computed from captures) is computed
       before the scan over the whole sequence, `[T, N, P] x [H, P]^T`, and
       read by the body as a new sequence. So are the state-independent
       elementwise ops that consume it (a bias add). With `saved-states`,
       also what a BPTT scan recomputes from the saved states (all of the
       forward step); off by default, since each hoisted value is a
       [T, N, H] temporary.
    2. Sinking. A carried state that only accumulates, `acc' = acc + c`,
       whose running value nothing else reads, where `c` is a sum of
       `matmul(a, b) {transpose_lhs}` (`a^T b`, contracting over the batch)
       and `reduce_sum(g)` terms (the weight and bias gradients of BPTT),
       is replaced by stacked outputs `a[t]`, `b[t]`, `g[t]` (or the
       sequences they are slices of) and, after the loop, one
       `matmul {sum_batch, transpose_lhs}` per term (a GEMM with K = T * N)
       and one reduction; the init is added back. Other terms stay in the
       loop.

    0. Merging (first). Per-step matmuls `h @ W_i^T` with one lhs and
       captures of one type as rhs (the gates of an LSTM or GRU) become one
       `h @ concat(W_i)^T` (the concatenation a new capture, computed once
       before the scan) and slices of its result.

    Results are the same up to the order of floating-point sums. Scans that
    carry attributes other than `reverse` and `unroll` (such as truncation
    or checkpointing of BPTT) are left alone.
  }];
  let options = [
    Option<"hoistElementwise", "elementwise", "bool", /*default=*/"true",
           "Also hoist the state-independent elementwise ops that consume "
           "hoisted matmuls">,
    Option<"merge", "merge", "bool", /*default=*/"true",
           "Merge the per-step matmuls that share their lhs and take "
           "captures of one type as rhs into one product with the captures "
           "concatenated">,
    Option<"sink", "sink", "bool", /*default=*/"true",
           "Sink accumulated matmul and reduce_sum terms out of the loop">,
    Option<"hoistSaved", "saved-states", "bool", /*default=*/"false",
           "Also hoist what a BPTT scan recomputes from the saved states "
           "(h[t-1] W^T and the gate math)">
  ];
  let dependentDialects = ["seqc::seq::SeqDialect"];
}

#endif // SEQC_TRANSFORMS_PASSES_TD
