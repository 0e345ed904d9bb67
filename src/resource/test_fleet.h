// For tests: builds a topology from the body of a fleet spec (the lines under `spec:`), failing
// the current test with the parser's or builder's message if it is invalid.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "resource/topology.h"

namespace harch {

inline Topology MustBuild(std::string_view spec_body) {
  const std::string doc =
      "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: test}\nspec:\n" +
      std::string(spec_body);
  auto spec = ParseFleetSpec(doc, "test.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  if (!spec.ok()) return Topology(GpuCatalog::BuiltIn());
  auto topo = BuildTopology(*spec);
  EXPECT_TRUE(topo.ok()) << topo.status().ToString();
  if (!topo.ok()) return Topology(GpuCatalog::BuiltIn());
  return std::move(topo).value();
}

}  // namespace harch
