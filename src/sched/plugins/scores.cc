// Score plugins about the plan's shape: "topology", "fragmentation", "heterogeneity".
#include <algorithm>
#include <array>

#include "sched/plugins/plugins.h"

namespace harch {
namespace {

// Narrow span first (NVLink domain best, WAN worst), then few domains.
class TopologyScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "topology"; }
  double Score(const SchedContext&, const Job&, const TaskGroupSpec&, const Plan& plan) const override {
    const double span = static_cast<double>(plan.cost.span) / static_cast<double>(LinkClass::kWan);
    return 0.8 * (1.0 - span) + 0.2 / std::max(1, plan.cost.domains);
  }
};

// Plans that strand no free GPUs in partly used NVLink domains score 1 (Weng et al., ATC'23:
// fragmentation is free capacity that the workload cannot use).
class FragmentationScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "fragmentation"; }
  double Score(const SchedContext&, const Job&, const TaskGroupSpec&, const Plan& plan) const override {
    return 1.0 / (1.0 + std::max(0, plan.cost.stranded_delta));
  }
};

struct Throughput {
  std::string_view family;
  std::array<double, 5> by_kind;  // training, inference, batch, interactive, pipeline
};

// Relative throughput against an A100 (1.0), from public MLPerf-style ratios, rounded. A table
// the operator can later override; what matters is the order and the ratios between kinds.
constexpr std::array<Throughput, 12> kThroughput{{
    {"GB200", {4.0, 3.5, 3.0, 3.0, 3.0}},
    {"H100", {2.5, 2.2, 2.0, 2.0, 2.0}},
    {"H800", {2.4, 2.2, 2.0, 2.0, 2.0}},
    {"A100", {1.0, 1.0, 1.0, 1.0, 1.0}},
    {"A800", {1.0, 1.0, 1.0, 1.0, 1.0}},
    {"L40S", {0.6, 1.1, 0.9, 0.9, 0.9}},
    {"A10", {0.3, 0.5, 0.5, 0.5, 0.5}},
    {"L4", {0.2, 0.45, 0.4, 0.4, 0.4}},
    {"T4", {0.1, 0.2, 0.2, 0.2, 0.2}},
    {"V100", {0.4, 0.4, 0.4, 0.4, 0.4}},
    {"GB300", {5.0, 4.5, 3.8, 3.8, 3.8}},
    {"B200", {3.8, 3.3, 2.8, 2.8, 2.8}},
}};

const Throughput* Find(std::string_view family) {
  for (const auto& t : kThroughput) {
    if (t.family == family) return &t;
  }
  return nullptr;
}

double Mean(const Throughput& t) {
  double sum = 0;
  for (double v : t.by_kind) sum += v;
  return sum / static_cast<double>(t.by_kind.size());
}

// Half absolute speed (the job finishes sooner), half comparative advantage (a model goes to
// the kind of work it is relatively best at, so the fleet as a whole runs faster, as in Gavel).
class HeterogeneityScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "heterogeneity"; }
  double Score(const SchedContext& ctx, const Job& job, const TaskGroupSpec&,
               const Plan& plan) const override {
    if (plan.grants.empty()) return 0;
    const std::string& family = ctx.topo.model_of(plan.grants[0].gpu).family;
    const auto kind = static_cast<size_t>(job.spec.kind);
    double best_abs = 0, best_rel = 0;
    for (const auto& t : kThroughput) {
      best_abs = std::max(best_abs, t.by_kind[kind]);
      best_rel = std::max(best_rel, t.by_kind[kind] / Mean(t));
    }
    const Throughput* t = Find(family);
    if (!t) return 0.5;
    return 0.5 * t->by_kind[kind] / best_abs + 0.5 * (t->by_kind[kind] / Mean(*t)) / best_rel;
  }
};

}  // namespace

double RelativeThroughput(std::string_view family, WorkloadKind kind) {
  const Throughput* t = Find(family);
  return t ? t->by_kind[static_cast<size_t>(kind)] : 1.0;
}

std::unique_ptr<ScorePlugin> MakeTopologyScore() { return std::make_unique<TopologyScore>(); }
std::unique_ptr<ScorePlugin> MakeFragmentationScore() {
  return std::make_unique<FragmentationScore>();
}
std::unique_ptr<ScorePlugin> MakeHeterogeneityScore() {
  return std::make_unique<HeterogeneityScore>();
}

}  // namespace harch
