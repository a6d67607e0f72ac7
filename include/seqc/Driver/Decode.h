//===- Decode.h - `seqc generate` for encoder-decoder models ----*- C++ -*-===//
//
// Decoding of a model trained on pairs(...): each source text is encoded
// in the source side's vocabulary, and the target is decoded one token at
// a time by greedy or beam search (BeamSearch.h), batched over the inputs
// and their hypotheses. @forward_start runs the encoder and the decoder's
// first step (reading <s>) and returns the decoder's states; each later
// step, @forward_step continues from the states of the hypothesis it
// extends. The encoder is run again at every step (it is the same
// computation each time), which keeps the model's code the training code.
//
//   seqc generate model.seq --from DIR --input "April 16, 2006"
//   seqc generate model.seq --from DIR --input-file test.tsv --beam 5
//
// A line of --input-file is a source, or `source<TAB>reference`; with
// references, the exact match, token accuracy and edit-distance rate of
// the outputs follow. --attention FILE.svg draws the first input's
// alignment (AlignmentPlot.h) when the decoder's cell has an attention
// softmax.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DRIVER_DECODE_H
#define SEQC_DRIVER_DECODE_H

#include "seqc/Driver/TrainCommand.h"
#include "seqc/Runtime/JitSession.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace seqc::driver {

struct DecodeOptions {
  /// The checkpoint folder of a model trained on pairs(...) data.
  std::string fromDir;
  /// Source texts given on the command line.
  std::vector<std::string> inputs;
  /// A file of sources, or of `source<TAB>reference` lines.
  std::string inputFile;
  /// 1: greedy decoding.
  int64_t beamWidth = 1;
  /// Tokens per output; 0: twice the source's length plus 10.
  int64_t maxLength = 0;
  /// The length normalization of BeamSearchOptions.
  double lengthPenalty = 1.0;
  /// Outputs printed per input (at most beamWidth).
  int64_t nBest = 1;
  /// Sources decoded together.
  int64_t batch = 64;
  /// Draw the first input's alignment to this SVG file.
  std::string attentionSvg;
  rt::JitOptions jit;
};

/// Loads the checkpoint, compiles the model with its generation functions,
/// decodes every input and prints one line per output (with --n-best, the
/// rank and the score before each), then the scores against the
/// references when the input file has them.
llvm::Error decodeCommand(const ModelCompiler &compile,
                          const DecodeOptions &options, llvm::raw_ostream &out);

} // namespace seqc::driver

#endif // SEQC_DRIVER_DECODE_H
