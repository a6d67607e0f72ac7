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
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::scf::SCFDialect"
  ];
}

def SeqcPrepareBufferization
    : Pass<"seqc-prepare-bufferization", "mlir::ModuleOp"> {
  let summary = "Make the entry functions' tensor arguments read-only";
  let description = [{
    Marks every tensor argument of a public function
    `bufferization.writable = false` (unless already marked), so that
    one-shot bufferization copies instead of writing into buffers that the
    caller owns: the runtime passes its parameter and input buffers and
    expects them untouched. The exception: an argument that a result marked
    `seq.updates` replaces is made writable, and the linalg op computing
    that result gets the argument as its destination (in place of a
    `tensor.empty` it does not read).
  }];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect", "mlir::linalg::LinalgDialect"
  ];
}

def SeqcExpandMath : Pass<"seqc-expand-math", "mlir::func::FuncOp"> {
  let summary = "Expand f32 transcendental math into vectorizable polynomials";
  let description = [{
    Rewrites math.tanh, math.exp, math.expm1, math.log and friends on f32
    (scalars and vectors) into the polynomial approximations of the math
    dialect, so that vectors stay vectors instead of becoming one libm call
    per lane. Other element types are left for math-to-llvm and
    math-to-libm.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::vector::VectorDialect"
  ];
}

def SeqcWriteUpdatesInPlace
    : Pass<"seqc-write-updates-in-place", "mlir::ModuleOp"> {
  let summary = "Write an update step's new values into their arguments";
  let description = [{
    Runs after one-shot bufferization, before buffer deallocation. Each
    function result marked `seq.updates = i` is copied into the buffer of
    argument i (nothing is copied when it already is that buffer, as
    seqc-prepare-bufferization arranges for the optimizer's updates) and
    removed from the function's results, with its attributes. The caller's
    parameters and optimizer state are updated in place.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def SeqcOutlineParallelLoops
    : Pass<"seqc-outline-parallel-loops", "mlir::ModuleOp"> {
  let summary = "Run loops marked seqc.parallel on the runtime's thread pool";
  let description = [{
    Runs on buffers and loops, before the lowering to LLVM. Each outermost
    `scf.for` marked `seqc.parallel` (independent iterations, no results)
    moves into a private function `@<func>_parallelN(context, begin, end)`
    that runs iterations [begin, end); the loop becomes a call of
    `seqc_parallel_for(@<func>_parallelN, context, trip count, work)`. The
    values the body uses travel in a struct on the caller's stack (memref
    descriptors, i64 for indices, scalars and 1-D vectors as they are);
    constants are cloned into the body. `work` is an estimate of the scalar
    operations of one iteration, with which the runtime keeps small loops on
    the calling thread. A loop whose body uses another kind of value stays a
    sequential loop.
  }];
  let dependentDialects = [
    "mlir::LLVM::LLVMDialect", "mlir::func::FuncDialect",
    "mlir::arith::ArithDialect", "mlir::scf::SCFDialect"
  ];
}

def SeqcDistinctResults : Pass<"seqc-distinct-results", "mlir::ModuleOp"> {
  let summary = "Give every buffer a public function returns its own allocation";
  let description = [{
    Runs after buffer deallocation. The runtime frees each returned buffer
    once, so two results must never share an allocation (a value returned
    twice, or a value and a reshaped view of it). A result whose root
    allocation was already returned, or that is rooted in an argument, is
    replaced by a fresh copy.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

#endif // SEQC_CONVERSION_PASSES_TD
