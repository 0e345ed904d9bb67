// QueueSort plugins: priority-fair (the default), priority, fifo.
#include <algorithm>

#include "sched/plugins/plugins.h"

namespace harch {
namespace {

int LatencyRank(const Job& j) { return static_cast<int>(j.spec.latency); }

double Micros(Time t) { return static_cast<double>(t.time_since_epoch().count()); }

// Aged priority (highest first), latency sensitivity, tenant fair share (least used first),
// then time in the queue.
class PriorityFairSort final : public QueueSortPlugin {
 public:
  PriorityFairSort(Duration aging_bound, bool fair) : aging_bound_(aging_bound), fair_(fair) {}
  std::string_view Name() const override { return fair_ ? "priority-fair" : "priority"; }
  SortKey Key(const SchedContext& ctx, const Job& j) const override {
    return {-AgedPriority(j, ctx.now, aging_bound_), -static_cast<double>(LatencyRank(j)),
            fair_ ? ctx.tenants.FairShareKey(j.spec.tenant) : 0.0, Micros(j.queued_since)};
  }

 private:
  Duration aging_bound_;
  bool fair_;
};

class FifoSort final : public QueueSortPlugin {
 public:
  std::string_view Name() const override { return "fifo"; }
  SortKey Key(const SchedContext&, const Job& j) const override {
    return {Micros(j.submitted), 0, 0, 0};
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
