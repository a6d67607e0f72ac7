//===- Random.cpp - Deterministic random numbers --------------------------===//
#include "seqc/Runtime/Random.h"

#include "llvm/ADT/bit.h"

#include <fmt/format.h>

#include <cmath>

using namespace seqc::rt;

uint64_t seqc::rt::mix64(uint64_t value) {
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

uint64_t seqc::rt::hashName(llvm::StringRef text) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char byte : text.bytes()) {
    hash ^= byte;
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

Rng Rng::forStream(uint64_t seed, llvm::StringRef name) {
  // Mixing twice keeps nearby seeds and similar names far apart.
  return Rng(mix64(mix64(seed) ^ hashName(name)));
}

uint64_t Rng::next() {
  state += 0x9E3779B97F4A7C15ULL;
  return mix64(state);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::uniform(double low, double high) {
  return low + (high - low) * uniform();
}

double Rng::normal(double mean, double stddev) {
  if (spareNormal) {
    double value = *spareNormal;
    spareNormal.reset();
    return mean + stddev * value;
  }
  // 1 - u lies in (0, 1], so the logarithm is finite.
  double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
  double angle = 2.0 * M_PI * uniform();
  spareNormal = radius * std::sin(angle);
  return mean + stddev * radius * std::cos(angle);
}

uint64_t Rng::below(uint64_t bound) {
  // Rejects the top partial block of 2^64 so that every residue is equally
  // likely.
  uint64_t limit = -bound % bound;
  while (true) {
    uint64_t value = next();
    if (value >= limit)
      return value % bound;
  }
}

std::string Rng::serialize() const {
  if (!spareNormal)
    return fmt::format("{:016x}", state);
  return fmt::format("{:016x}:{:016x}", state,
                     llvm::bit_cast<uint64_t>(*spareNormal));
}

std::optional<Rng> Rng::deserialize(llvm::StringRef text) {
  auto [statePart, sparePart] = text.split(':');
  uint64_t state = 0, spare = 0;
  if (statePart.empty() || statePart.getAsInteger(16, state))
    return std::nullopt;
  Rng rng(state);
  if (text.contains(':')) {
    if (sparePart.empty() || sparePart.getAsInteger(16, spare))
      return std::nullopt;
    rng.spareNormal = llvm::bit_cast<double>(spare);
  }
  return rng;
}
