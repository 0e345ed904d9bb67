// A job's energy, emissions and cost so far, from the GPU runs of all its attempts
// (JobRecord::runs) and the carbon config of --carbon (carbon/accounting.h for the model).
// Thread-safety: a pure function; CarbonSignal's zones are read-only.
#pragma once

#include "carbon/signal.h"
#include "harch/v1/harch.pb.h"
#include "resource/topology.h"
#include "sched/job_spec.h"
#include "server/records.h"

namespace harch {

// Open runs count up to `now`. Without a carbon config, or when a zone has no intensity for a
// run and no default is declared, the footprint is not known and its note says why: it is
// never zero emissions for want of data.
v1::Footprint JobFootprint(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                           const CarbonSignal* carbon, Time now);

}  // namespace harch
