// An independent check of data sovereignty in the simulator. The scheduler's own filter decides
// where a job may go; this checker shares none of its code. It sees each placement as the
// simulator's event stream reports it (the nodes a job was started on) and tests every GPU's
// country against every data object's tag, as the workload gave them. A bug in the filter (or
// a placement that bypassed it) is therefore counted, not hidden.
// Thread-safety: none; one per simulation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "resource/topology.h"
#include "sched/job_spec.h"

namespace harch {

struct SovereigntyViolation {
  std::string job;
  std::string node;
  std::string country;
  std::string data;  // the data object whose tag does not include `country`
};

class SovereigntyChecker {
 public:
  // The country of every node, by node id, as the fleet declares it (its hub's country).
  explicit SovereigntyChecker(std::map<std::string, std::string> node_country);
  static SovereigntyChecker ForFleet(const Topology& topo);

  // Checks one placement of `job` on `nodes` (ids; repeats allowed). Returns its violations
  // (one per node and data object that disagree); a placement with any counts once in
  // violations(). A node the fleet does not know is a violation too (country "unknown").
  std::vector<SovereigntyViolation> Check(const std::string& job, const std::vector<DataObject>& data,
                                          const std::vector<std::string>& nodes);

  int64_t placements_checked() const { return checked_; }
  int64_t violations() const { return violating_placements_; }
  // The first few violations, "job on node (country): data object 'x' is tagged [A, B]".
  const std::vector<std::string>& examples() const { return examples_; }

 private:
  std::map<std::string, std::string> node_country_;
  int64_t checked_ = 0;
  int64_t violating_placements_ = 0;
  std::vector<std::string> examples_;
};

}  // namespace harch
