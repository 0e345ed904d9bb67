// Fleet summaries and fragmentation, for `harch fleet summary`, the dashboard and reports.
// Thread-safety: reads the topology only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "resource/topology.h"

namespace harch {

struct DomainShape {
  DomainKind kind;
  int gpus;  // GPUs per domain
  int count; // domains of this shape
};

// GPUs of removed nodes are not counted at all.
struct GpuCounts {
  int total = 0;
  int free = 0;         // idle and schedulable
  int allocated = 0;    // holding any grant (whole, share or MIG)
  int unavailable = 0;  // idle but failed, or on a down or cordoned node
  int stranded = 0;     // free, but in an NVLink domain that is not wholly free (some GPU busy
                        // or unavailable), so it cannot serve a whole-domain request
};

struct HubSummary {
  std::string id;
  std::string name;
  std::string country;
  std::string carbon_zone;
  bool carbon_zone_stand_in = false;
  int nodes = 0;
  int nodes_up = 0;
  GpuCounts gpus;
  std::map<std::string, int> models;  // GPU model -> count
  std::vector<DomainShape> domains;   // NVLink domains (kind kNone: GPUs without NVLink)
  int largest_free_domain = 0;        // free GPUs in the best NVLink domain
  int mig_gpus = 0;                   // GPUs in MIG mode
};

struct FleetSummary {
  int nodes = 0;
  GpuCounts gpus;
  std::vector<HubSummary> hubs;
  // Stranded free GPUs as a share of all free GPUs (0..1).
  double fragmentation = 0;
};

FleetSummary Summarize(const Topology& topo);

}  // namespace harch
