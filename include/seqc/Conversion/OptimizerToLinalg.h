//===- OptimizerToLinalg.h - Lower optimizer updates ------------*- C++ -*-===//
#ifndef SEQC_CONVERSION_OPTIMIZERTOLINALG_H
#define SEQC_CONVERSION_OPTIMIZERTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace seqc {

/// Adds the lowering of seq.adam_update to one linalg.generic with three
/// results (parameter, first and second moment) to a dialect conversion.
void populateOptimizerToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace seqc

#endif // SEQC_CONVERSION_OPTIMIZERTOLINALG_H
