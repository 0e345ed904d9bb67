// Permit "quota": a job starts only if every tenant on its path stays within its guaranteed
// quota plus borrowing limit for every GPU family the plans use.
#include "sched/plugins/plugins.h"

namespace harch {
namespace {

class QuotaPermit final : public PermitPlugin {
 public:
  std::string_view Name() const override { return "quota"; }
  std::optional<NoFit> Permit(const SchedContext& ctx, const Job& job,
                              const std::vector<GroupPlacement>& placement) const override {
    FamilyMilli demand;
    for (const auto& gp : placement) {
      for (const auto& g : gp.grants) {
        demand[ctx.topo.model_of(g.gpu).family] += g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value;
      }
    }
    if (auto reason = ctx.tenants.CheckQuota(job.spec.tenant, demand)) {
      return NoFit{"quota", *reason, false};
    }
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<PermitPlugin> MakeQuotaPermit() { return std::make_unique<QuotaPermit>(); }

}  // namespace harch
