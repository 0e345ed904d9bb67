// Integer resource quantities. Feasibility checks compare integers, so fractional GPUs compare
// exactly and runs reproduce bit for bit. Thread-safety: values.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace harch {

// A share of one GPU in thousandths: 1000 is a whole GPU, 250 a quarter.
struct MilliGpu {
  int64_t value = 0;
  auto operator<=>(const MilliGpu&) const = default;
  MilliGpu operator+(MilliGpu o) const { return {value + o.value}; }
  MilliGpu operator-(MilliGpu o) const { return {value - o.value}; }
};
inline constexpr MilliGpu kWholeGpu{1000};

// A number of bytes (memory, disk, transfer sizes).
struct Bytes {
  int64_t value = 0;
  auto operator<=>(const Bytes&) const = default;
  Bytes operator+(Bytes o) const { return {value + o.value}; }
  Bytes operator-(Bytes o) const { return {value - o.value}; }
};
constexpr Bytes KiB(int64_t n) { return {n << 10}; }
constexpr Bytes MiB(int64_t n) { return {n << 20}; }
constexpr Bytes GiB(int64_t n) { return {n << 30}; }
constexpr Bytes TiB(int64_t n) { return {n << 40}; }

// CPU in thousandths of a core, as Kubernetes' "m" unit.
struct MilliCpu {
  int64_t value = 0;
  auto operator<=>(const MilliCpu&) const = default;
};

// Parses "80GiB", "80Gi", "40GB", "512M", "1.5TiB" or a plain byte count. Binary suffixes (Ki, Mi,
// Gi, Ti, with or without a trailing B) are powers of 1024; decimal ones (K, M, G, T, KB, ...) are
// powers of 1000, as in Kubernetes. Rejects negative, fractional-byte and overflowing values.
Result<Bytes> ParseBytes(std::string_view text);

// "80GiB", "1.5TiB", "512MiB", "100B": the largest binary unit, at most one decimal. For people.
std::string FormatBytes(Bytes bytes);
// An exact form that ParseBytes reads back to the same value: "80GiB", "40GB" or "1234567".
std::string FormatBytesExact(Bytes bytes);

// Parses "4" (cores), "2.5" or "500m" into milli-CPU.
Result<MilliCpu> ParseMilliCpu(std::string_view text);
// Parses "1" (a whole GPU), "0.25" or "250m" into milli-GPU.
Result<MilliGpu> ParseMilliGpu(std::string_view text);

}  // namespace harch
