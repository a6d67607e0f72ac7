//===- AlignmentPlot.h - Attention weights drawn as a heatmap ---*- C++ -*-===//
//
// The alignment matrix of one decoded example as an SVG picture, in the
// manner of Bahdanau et al. (2015), figure 3: one square per (output token,
// source token) pair, its gray level the attention weight (black 0, white
// 1), source tokens along the top, output tokens down the left side.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_ALIGNMENTPLOT_H
#define SEQC_RUNTIME_ALIGNMENTPLOT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace seqc::rt {

/// The SVG text; `weights` holds outputs.size() rows of sources.size()
/// values in [0, 1] (values outside are clamped; NaN is drawn red).
llvm::Expected<std::string> alignmentSvg(llvm::ArrayRef<std::string> sources,
                                         llvm::ArrayRef<std::string> outputs,
                                         llvm::ArrayRef<float> weights);

/// Writes alignmentSvg(...) to `path`, replacing it only when complete.
llvm::Error writeAlignmentSvg(llvm::StringRef path,
                              llvm::ArrayRef<std::string> sources,
                              llvm::ArrayRef<std::string> outputs,
                              llvm::ArrayRef<float> weights);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_ALIGNMENTPLOT_H
