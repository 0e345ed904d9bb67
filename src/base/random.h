// An injected, seeded random source. Same seed, same sequence, on every platform: the mapping
// from raw bits to ranges is ours, not the standard library's (whose distributions differ between
// implementations). Thread-safety: none; give each thread its own Random.
#pragma once

#include <cstdint>

namespace harch {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  // splitmix64: small, fast, passes BigCrush; good enough for simulation and tests.
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform integer in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Uniform(int64_t lo, int64_t hi) {
    const auto span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<int64_t>(Next());  // the full 64-bit range
    return lo + static_cast<int64_t>(Next() % span);
  }
  // Uniform double in [0, 1).
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Bernoulli(double p) { return UniformDouble() < p; }

 private:
  uint64_t state_;
};

}  // namespace harch
