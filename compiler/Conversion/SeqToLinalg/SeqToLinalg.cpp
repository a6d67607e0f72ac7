//===- SeqToLinalg.cpp - Lower the seq dialect to linalg on tensors -------===//
//
// Every seq op becomes linalg structured ops on tensors (named ops where one
// matches exactly, linalg.generic otherwise), plus tensor ops for data
// movement. Dynamic sizes (the batch axis) are read with tensor.dim from the
// operands, so the IR stays shape-polymorphic in the batch. The patterns
// live by concern in *ToLinalg.cpp and ScanToSCF.cpp; this file gathers
// them and runs them as a pass.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/SeqToLinalg.h"
#include "seqc/Conversion/OptimizerToLinalg.h"
#include "seqc/Conversion/Passes.h"
#include "seqc/Conversion/ScanToSCF.h"

#include "LinalgBuilders.h"

#include "seqc/Dialect/Seq/SeqDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace seqc {
#define GEN_PASS_DEF_CONVERTSEQTOLINALG
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

void seqc::populateSeqToLinalgPatterns(RewritePatternSet &patterns) {
  seq_to_linalg::populateElementwisePatterns(patterns);
  seq_to_linalg::populateContractionPatterns(patterns);
  seq_to_linalg::populateReductionPatterns(patterns);
  seq_to_linalg::populateDataMovementPatterns(patterns);
  populateScanToSCFPatterns(patterns);
  populateOptimizerToLinalgPatterns(patterns);
}

namespace {

struct ConvertSeqToLinalgPass
    : seqc::impl::ConvertSeqToLinalgBase<ConvertSeqToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<seqc::seq::SeqDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    seqc::populateSeqToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
