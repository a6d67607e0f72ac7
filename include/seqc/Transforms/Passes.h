//===- Passes.h - seqc transformation passes --------------------*- C++ -*-===//
//
// What users of seqc's passes need: each pass's create function and
// options, and their registration. It includes no dialect: a pass's own
// file includes the dialects it uses and needs for its base class
// (GEN_PASS_DEF_<PASS>), so that a small pass compiles in seconds.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TRANSFORMS_PASSES_H
#define SEQC_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>
#include <string>

namespace seqc {

#define GEN_PASS_DECL
#include "seqc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "seqc/Transforms/Passes.h.inc"

} // namespace seqc

#endif // SEQC_TRANSFORMS_PASSES_H
