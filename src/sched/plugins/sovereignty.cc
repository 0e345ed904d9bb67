// Filter "sovereignty": a job runs only where ALL its data may be processed. This filter is a
// hard constraint: no score, preemption or override can widen the set it writes, and the
// scheduler re-checks every plan against it before binding (Scheduler::Reserve).
#include "sched/plugins/plugins.h"

namespace harch {
namespace {

std::string Sets(const JobSpec& job) {
  std::string out;
  for (const auto& d : job.data) {
    std::string set;
    for (const auto& c : d.jurisdiction) set += (set.empty() ? "" : ",") + c;
    out += (out.empty() ? "" : ", ") + d.name + " [" + set + "]";
  }
  return out;
}

class SovereigntyFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "sovereignty"; }
  std::optional<NoFit> Filter(const SchedContext&, const Job& job, const TaskGroupSpec&,
                              PlacementRequest* req) const override {
    auto allowed = AllowedJurisdiction(job.spec);
    if (!allowed) return std::nullopt;  // no data: anywhere
    if (allowed->empty()) {
      return NoFit{"sovereignty",
                   "the jurisdictions of the job's data do not intersect: " + Sets(job.spec), true};
    }
    req->jurisdiction = *allowed;
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> MakeSovereigntyFilter() {
  return std::make_unique<SovereigntyFilter>();
}

}  // namespace harch
