//===- ScanToSCF.h - Lower seq.scan to scf.for ------------------*- C++ -*-===//
#ifndef SEQC_CONVERSION_SCANTOSCF_H
#define SEQC_CONVERSION_SCANTOSCF_H

#include "mlir/IR/PatternMatch.h"

namespace seqc {

/// Adds the lowering of seq.scan to scf.for over the time axis (with its
/// `unroll` factor) to a dialect conversion. The seq ops of the body, cloned
/// into the loop, are left to the conversion's other patterns.
void populateScanToSCFPatterns(mlir::RewritePatternSet &patterns);

} // namespace seqc

#endif // SEQC_CONVERSION_SCANTOSCF_H
