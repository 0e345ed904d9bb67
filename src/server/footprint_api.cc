// ControlPlane: footprints with the energy agents measured, and their totals per hub and tenant.
#include "server/control_plane.h"

namespace harch {

v1::Footprint ControlPlane::FootprintOf(const Entry& e) const {
  auto m = measured_.find(e.rec.id);
  return JobFootprint(e.rec, e.spec, topo_, carbon_.get(),
                      m == measured_.end() ? nullptr : &m->second, clock_.Now());
}

Result<v1::FootprintTotals> ControlPlane::Footprints(const v1::FootprintRequest& req) {
  std::lock_guard lk(mu_);
  std::vector<FootprintJob> jobs;
  jobs.reserve(jobs_.size());
  for (const auto& [id, e] : jobs_) {
    auto m = measured_.find(id);
    jobs.push_back({&e.rec, &e.spec, m == measured_.end() ? nullptr : &m->second});
  }
  return SumFootprints(jobs, req, topo_, carbon_.get(), clock_.Now());
}

}  // namespace harch
