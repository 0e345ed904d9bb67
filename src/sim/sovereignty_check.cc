#include "sim/sovereignty_check.h"

#include <algorithm>

namespace harch {
namespace {

constexpr size_t kMaxExamples = 20;

std::string Tag(const std::vector<std::string>& countries) {
  std::string out = "[";
  for (const auto& c : countries) out += (out.size() > 1 ? ", " : "") + c;
  return out + "]";
}

}  // namespace

SovereigntyChecker::SovereigntyChecker(std::map<std::string, std::string> node_country)
    : node_country_(std::move(node_country)) {}

SovereigntyChecker SovereigntyChecker::ForFleet(const Topology& topo) {
  std::map<std::string, std::string> countries;
  for (const Node& node : topo.nodes()) countries[node.id] = topo.hub(node.hub).country;
  return SovereigntyChecker(std::move(countries));
}

std::vector<SovereigntyViolation> SovereigntyChecker::Check(const std::string& job,
                                                            const std::vector<DataObject>& data,
                                                            const std::vector<std::string>& nodes) {
  ++checked_;
  std::vector<SovereigntyViolation> found;
  std::vector<std::string> unique = nodes;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  for (const std::string& node : unique) {
    auto it = node_country_.find(node);
    const std::string country = it == node_country_.end() ? "unknown" : it->second;
    for (const DataObject& d : data) {
      const auto& tag = d.jurisdiction;
      if (it != node_country_.end() && std::find(tag.begin(), tag.end(), country) != tag.end()) continue;
      found.push_back({job, node, country, d.name});
      if (examples_.size() < kMaxExamples) {
        examples_.push_back(job + " on " + node + " (" + country + "): data object '" + d.name + "' is tagged " +
                            Tag(tag));
      }
    }
  }
  if (!found.empty()) ++violating_placements_;
  return found;
}

}  // namespace harch
