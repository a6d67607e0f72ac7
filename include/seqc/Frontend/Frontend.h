//===- Frontend.h - Parse and elaborate seqc source -----------------------===//
//
// The frontend's entry points for the driver: parse a file (following its
// `use`s), dump the syntax tree, and elaborate one model into the typed IR
// that MLIRGen consumes. All diagnostics go through the SourceMgr.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_FRONTEND_H
#define SEQC_FRONTEND_FRONTEND_H

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/TypedIR.h"
#include "seqc/Spec/TrainSpec.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace seqc {

struct FrontendOptions {
  std::string modelName; // empty: the only/last model in the main file
  std::vector<std::pair<std::string, int64_t>> dimOverrides; // --dim H=32
  /// Sizes learned from the data, by kind ("features", "classes", "targets",
  /// "vocab"; see TrainSpec.h). They bind the model's dimensions declared
  /// with that kind, like `In: features`. A kind the model does not use is
  /// ignored; columns listed in the train block give sizes of their own.
  std::vector<std::pair<std::string, int64_t>> dataDims; // --data-dim
  /// Also elaborate the loss of the model's train block, as the entry point
  /// "loss" (for training and evaluation; `seqc compile --with-loss`).
  bool withLoss = false;
};

/// The kinds of data dimensions, in the order the docs list them.
std::vector<llvm::StringRef> dataDimKinds();

/// Loads `path` into srcMgr (and every `use`d file: `use std.layers` from the
/// embedded standard library, `use "other.seq"` relative to the including
/// file) and parses it. Diagnostics go to srcMgr. Returns nullptr after
/// printing errors.
std::unique_ptr<ast::Module> parseFile(llvm::SourceMgr &srcMgr,
                                       llvm::StringRef path);

/// Same as parseFile, for source text already in memory; `name` is the file
/// name shown in diagnostics and the base of relative `use` paths.
std::unique_ptr<ast::Module> parseSource(llvm::SourceMgr &srcMgr,
                                         llvm::StringRef source,
                                         llvm::StringRef name);

/// --emit=ast: the definitions of the main file, one per line, members
/// indented.
void printAST(const ast::Module &module, llvm::raw_ostream &os);

/// Name resolution, layer instantiation with concrete dims, inlining of
/// fn/layer calls, shape checking; the train blocks are checked too, and the
/// selected model's is kept in Program::train. With options.withLoss, also
/// the entry point "loss" (see TypedIR.h). Returns std::nullopt after
/// printing errors.
std::optional<tir::Program> elaborate(const ast::Module &module,
                                      llvm::SourceMgr &srcMgr,
                                      const FrontendOptions &options);

/// Finds the train block of the selected model (options.modelName, or the
/// last model of the main file) and checks its settings: the data source,
/// targets, optimizer, schedule and metrics. It needs a `data` and a `loss`.
/// The loss expression is not elaborated here (elaborate with
/// options.withLoss does that, once the data's sizes are known). Returns
/// std::nullopt after printing errors.
std::optional<TrainSpec> analyzeTrain(const ast::Module &module,
                                      llvm::SourceMgr &srcMgr,
                                      const FrontendOptions &options);

/// --emit=tir: the elaborated program (params, then each entry point's nodes
/// in topological order with their per-instance shapes).
void printTypedIR(const tir::Program &program, llvm::raw_ostream &os);

} // namespace seqc

#endif // SEQC_FRONTEND_FRONTEND_H
