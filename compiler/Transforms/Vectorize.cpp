//===- Vectorize.cpp - Tile and vectorize linalg ops ----------------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCVECTORIZE
#define GEN_PASS_DEF_SEQCLOWERVECTORS
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {
struct VectorizePass : seqc::impl::SeqcVectorizeBase<VectorizePass> {
  using SeqcVectorizeBase::SeqcVectorizeBase;
  void runOnOperation() override {}
};

struct LowerVectorsPass : seqc::impl::SeqcLowerVectorsBase<LowerVectorsPass> {
  void runOnOperation() override {}
};
} // namespace
