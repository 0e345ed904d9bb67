// QueueSort plugins: priority-fair (the default), priority, fifo.
#include <algorithm>

#include "sched/plugins/plugins.h"

namespace harch {
namespace {

int LatencyRank(const Job& j) { return static_cast<int>(j.spec.latency); }

class PriorityFairSort final : public QueueSortPlugin {
 public:
  PriorityFairSort(Duration aging_bound, bool fair) : aging_bound_(aging_bound), fair_(fair) {}
  std::string_view Name() const override { return fair_ ? "priority-fair" : "priority"; }
  bool Less(const SchedContext& ctx, const Job& a, const Job& b) const override {
    const double pa = AgedPriority(a, ctx.now, aging_bound_);
    const double pb = AgedPriority(b, ctx.now, aging_bound_);
    if (pa != pb) return pa > pb;
    if (LatencyRank(a) != LatencyRank(b)) return LatencyRank(a) > LatencyRank(b);
    if (fair_) {
      const double fa = ctx.tenants.FairShareKey(a.spec.tenant);
      const double fb = ctx.tenants.FairShareKey(b.spec.tenant);
      if (fa != fb) return fa < fb;
    }
    if (a.queued_since != b.queued_since) return a.queued_since < b.queued_since;
    return a.id < b.id;
  }

 private:
  Duration aging_bound_;
  bool fair_;
};

class FifoSort final : public QueueSortPlugin {
 public:
  std::string_view Name() const override { return "fifo"; }
  bool Less(const SchedContext&, const Job& a, const Job& b) const override {
    if (a.submitted != b.submitted) return a.submitted < b.submitted;
    return a.id < b.id;
  }
};

}  // namespace

double AgedPriority(const Job& job, Time now, Duration aging_bound) {
  const double waited = std::chrono::duration<double>(now - job.queued_since).count();
  const double bound = std::chrono::duration<double>(aging_bound).count();
  const double ramp = bound <= 0 ? 1.0 : std::clamp(waited / bound, 0.0, 1.0);
  return job.spec.priority + 1000.0 * ramp;
}

std::unique_ptr<QueueSortPlugin> MakePriorityFairSort(Duration aging_bound) {
  return std::make_unique<PriorityFairSort>(aging_bound, true);
}
std::unique_ptr<QueueSortPlugin> MakePrioritySort(Duration aging_bound) {
  return std::make_unique<PriorityFairSort>(aging_bound, false);
}
std::unique_ptr<QueueSortPlugin> MakeFifoSort() { return std::make_unique<FifoSort>(); }

}  // namespace harch
