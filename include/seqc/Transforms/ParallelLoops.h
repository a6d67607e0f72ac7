//===- ParallelLoops.h - Loops whose iterations may run on any thread -*- C++
//-*-===//
//
// seqc-vectorize marks the outermost tiling loop of an op with only parallel
// axes (the fused elementwise nest of a recurrent step, an optimizer
// update): its iterations write disjoint tiles and read nothing another
// iteration writes. seqc-outline-parallel-loops turns such a loop into a call
// of the runtime's parallel-for (seqc/Pipeline/KernelABI.h).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TRANSFORMS_PARALLELLOOPS_H
#define SEQC_TRANSFORMS_PARALLELLOOPS_H

#include "llvm/ADT/StringRef.h"

namespace seqc {

/// Unit attribute of an scf.for whose iterations are independent.
inline constexpr llvm::StringLiteral kParallelLoopAttr = "seqc.parallel";

} // namespace seqc

#endif // SEQC_TRANSFORMS_PARALLELLOOPS_H
