//===- ScanModules.h - Recurrences written as seq.scan modules --*- C++ -*-===//
//
// The scanned cells the unit tests compile, as text of the seq dialect with
// `!T` for the float type: an Elman cell h[t] = tanh(W h[t-1] + U x[t] + b)
// (or a two-state variant) and an LSTM cell over a sequence, with the loss
// sum(hs * w) + sum(hT * v). bench/scan times the same modules.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_SCANMODULES_H
#define SEQC_TEST_UNIT_SCANMODULES_H

#include <cstdint>
#include <string>

namespace seqc::test {

/// How the scanned cell is written.
struct CellSpec {
  std::string name;
  bool reverse = false;
  int64_t unroll = 1;
  /// A per-step mask sequence [T, N, 1]: h = m * new + (1 - m) * old.
  bool masked = false;
  /// A second state c: z = W h + U x + b, c' = c * sigmoid(z) + tanh(z),
  /// h' = tanh(c').
  bool twoStates = false;
  /// Static number of steps, or -1 (dynamic, given by the inputs).
  int64_t time = -1;
  /// A dynamic batch axis (needs a static time axis: the runtime checks
  /// that dynamic leading axes of the inputs agree).
  bool dynamicBatch = false;
  /// Sizes: the reference loop and the checks use the defaults.
  static constexpr int64_t kHidden = 4, kInput = 3, kBatch = 2;
  int64_t hidden = kHidden, input = kInput, batch = kBatch;
  /// The derivative's options: truncated BPTT windows and checkpoints.
  int64_t tbptt = 0, checkpoint = 0;
};

/// `@loss` = sum(hs * w) + sum(hT * v) of the scanned cell, and `@forward`
/// returning (hT, hs); `!T` is the float type.
std::string cellModule(const CellSpec &spec);

/// `module` with `!T` defined as `type` ("f32", "f64").
std::string withFloatType(const std::string &module, const char *type);

/// An LSTM cell (gates i, f, o, c: each W h + U x + b) over a sequence.
struct LstmSpec {
  std::string name;
  bool reverse = false;
  int64_t unroll = 1;
  /// A mask sequence [T, N, 1]: h = h + m (h_step - h), and so for c.
  bool masked = false;
  /// A dynamic batch (with a static T = 9).
  bool dynamicBatch = false;
  int64_t batch = 3;
  /// Sizes, and a static number of steps (-1: dynamic; 9 with a dynamic
  /// batch).
  static constexpr int64_t kHidden = 4, kInput = 3;
  int64_t hidden = kHidden, input = kInput, time = -1;
};

/// The LSTM's gates, in the order of its parameters.
inline constexpr const char *kLstmGates[] = {"i", "f", "o", "c"};

/// @loss of an LSTM scan over xs; parameters W<g> [H, H], U<g> [H, P],
/// b<g> [H] per gate g.
std::string lstmModule(const LstmSpec &spec);

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_SCANMODULES_H
