// A job's energy, emissions and cost so far, from the GPU runs of all its attempts
// (JobRecord::runs), the GPU power its agents measured (MeasuredEnergy) and the carbon config of
// --carbon (carbon/accounting.h for the model); and totals of them per hub and per tenant.
//
// Energy is measured where agents sent GPU power readings while the job held the GPU, and
// modelled (GPUs x power(utilisation) x time x PUE) for the rest of its runs; either way it is
// multiplied by the hub's PUE and by the zone's intensity over the same times.
//
// Thread-safety: pure functions over values; CarbonSignal's zones are read-only. MeasuredEnergy
// is a value its owner guards.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "carbon/signal.h"
#include "harch/v1/harch.pb.h"
#include "resource/topology.h"
#include "sched/job_spec.h"
#include "server/records.h"

namespace harch {

// Measured energy is kept in buckets this long, aligned to the epoch: carbon series step by
// multiples of it, so one intensity applies to each bucket.
inline constexpr Duration kMeasuredBucket = std::chrono::minutes(5);

struct MeasuredBucket {
  Time first{};  // the span readings covered inside the bucket
  Time last{};
  double joules = 0;       // the job's share of its GPUs' energy, before PUE
  double gpu_seconds = 0;  // GPU time covered, in GpuRunRecord::gpus units
};

// The energy agents measured for one job, per (hub, GPU model, bucket start).
struct MeasuredEnergy {
  std::map<std::tuple<std::string, std::string, Time>, MeasuredBucket> buckets;
  // `joules` used over [from, to) by `gpus` GPU-equivalents, split over the buckets it spans in
  // proportion to time. REQUIRES: from < to.
  void Add(const std::string& hub, const std::string& model, Time from, Time to, double joules,
           double gpus);
};

// Which part of a job's GPU time to count: one hub (empty: all), inside [from, to).
struct FootprintScope {
  std::string hub;
  std::optional<Time> from;
  std::optional<Time> to;
};

// Open runs count up to `now`. Without a carbon config, or when a zone has no intensity for a
// run and no default is declared, the footprint is not known and its note says why: it is
// never zero emissions for want of data. `measured` may be null (no readings).
v1::Footprint JobFootprint(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                           const CarbonSignal* carbon, Time now);
v1::Footprint JobFootprint(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                           const CarbonSignal* carbon, const MeasuredEnergy* measured, Time now,
                           const FootprintScope& scope = {});

struct FootprintJob {
  const JobRecord* rec = nullptr;
  const JobSpec* spec = nullptr;
  const MeasuredEnergy* measured = nullptr;  // may be null
};

// Totals per hub (every hub of the fleet, or the one asked for), per tenant and all together
// over the GPU time of `jobs` in scope. Validates the request: an unknown hub, a time that is
// not RFC 3339 or `to` before `from` is an error naming the parameter. A job (or its part in a
// hub) whose footprint is not known is counted in jobs_unknown and listed, never added as zero.
Result<v1::FootprintTotals> SumFootprints(const std::vector<FootprintJob>& jobs,
                                          const v1::FootprintRequest& req, const Topology& topo,
                                          const CarbonSignal* carbon, Time now);

}  // namespace harch
