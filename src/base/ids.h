// Typed dense indices. A NodeIdx cannot be passed where a GpuIdx is expected, and each fits in
// 32 bits so the topology's arrays stay compact. Thread-safety: values.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <limits>

namespace harch {

template <typename Tag>
struct Idx {
  static constexpr uint32_t kInvalid = std::numeric_limits<uint32_t>::max();
  uint32_t value = kInvalid;

  constexpr Idx() = default;
  constexpr explicit Idx(uint32_t v) : value(v) {}
  constexpr explicit Idx(size_t v) : value(static_cast<uint32_t>(v)) {}
  constexpr bool valid() const { return value != kInvalid; }
  constexpr auto operator<=>(const Idx&) const = default;
};

struct HubTag {};
struct RackTag {};
struct NodeTag {};
struct GpuTag {};
struct DomainTag {};
struct ModelTag {};
using HubIdx = Idx<HubTag>;
using RackIdx = Idx<RackTag>;
using NodeIdx = Idx<NodeTag>;
using GpuIdx = Idx<GpuTag>;
using DomainIdx = Idx<DomainTag>;  // an NVLink domain
using ModelIdx = Idx<ModelTag>;    // a GPU model in the catalogue

// An allocation handed out by the topology; never reused within one topology's life.
struct AllocationId {
  uint64_t value = 0;
  auto operator<=>(const AllocationId&) const = default;
};

}  // namespace harch

template <typename Tag>
struct std::hash<harch::Idx<Tag>> {
  size_t operator()(harch::Idx<Tag> i) const noexcept { return std::hash<uint32_t>{}(i.value); }
};
template <>
struct std::hash<harch::AllocationId> {
  size_t operator()(harch::AllocationId a) const noexcept { return std::hash<uint64_t>{}(a.value); }
};
