//===- Random.h - Deterministic random numbers ------------------*- C++ -*-===//
//
// The runtime's own generator, so that a seed gives the same parameters and
// the same random inputs on every machine and standard library (std::
// distributions are implementation-defined). SplitMix64 drives it; uniforms
// take the top 53 bits; normals come from Box-Muller in double precision.
// Each parameter draws from its own stream, derived from the seed and the
// parameter's name, so adding a parameter does not change the others.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_RANDOM_H
#define SEQC_RUNTIME_RANDOM_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace seqc::rt {

/// The SplitMix64 output function: a bijective 64-bit mixer.
uint64_t mix64(uint64_t value);
/// FNV-1a over the bytes of `text`.
uint64_t hashName(llvm::StringRef text);

class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  /// The generator of stream `name` under `seed`.
  static Rng forStream(uint64_t seed, llvm::StringRef name);

  /// 64 uniformly random bits.
  uint64_t next();
  /// Uniform in [0, 1), a multiple of 2^-53.
  double uniform();
  /// Uniform in [low, high).
  double uniform(double low, double high);
  /// Normal with the given mean and standard deviation.
  double normal(double mean = 0.0, double stddev = 1.0);
  /// Uniform integer in [0, bound), bound > 0, without modulo bias.
  uint64_t below(uint64_t bound);

  /// The generator's whole state as text ("<state>" or "<state>:<spare>", in
  /// hex), for checkpoints; a generator restored from it continues with the
  /// same numbers.
  std::string serialize() const;
  static std::optional<Rng> deserialize(llvm::StringRef text);

  bool operator==(const Rng &other) const {
    return state == other.state && spareNormal == other.spareNormal;
  }
  bool operator!=(const Rng &other) const { return !(*this == other); }

private:
  uint64_t state;
  // Box-Muller yields two normals; the second is kept for the next call.
  std::optional<double> spareNormal;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_RANDOM_H
