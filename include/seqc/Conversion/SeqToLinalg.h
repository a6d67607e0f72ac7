//===- SeqToLinalg.h - The patterns of convert-seq-to-linalg ----*- C++ -*-===//
//
// Every pattern that lowers a seq op to linalg, tensor, arith, math and scf,
// for passes that lower seq ops together with their own.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_CONVERSION_SEQTOLINALG_H
#define SEQC_CONVERSION_SEQTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace seqc {

/// The lowerings of all seq ops, seq.scan and the optimizer updates included.
void populateSeqToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace seqc

#endif // SEQC_CONVERSION_SEQTOLINALG_H
