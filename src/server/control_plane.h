// The control plane: jobs, nodes and the scheduler behind the API. One implementation serves
// both faces (grpc_service.cc, http_service.cc): each API operation is one method here taking
// the request message and returning the response message or a Status.
//
// Durability: every accepted job, placement and state change goes to the store (SQLite, WAL,
// group commit) and is durable before the call that caused it returns. A restarted control
// plane recovers exactly: pending jobs stay pending, running jobs stay on their GPUs and wait
// for their nodes' agents to report back.
//
// Threads: API calls come from the servers' threads; one loop thread runs scheduling cycles,
// heartbeat timeouts and retry backoffs. All state is guarded by mu_; the store's commit wait
// happens outside it.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "agent/gpu_power.h"
#include "base/clock.h"
#include "base/random.h"
#include "harch/v1/harch.pb.h"
#include "resource/topology.h"
#include "sched/scheduler.h"
#include "carbon/http_source.h"
#include "carbon/signal.h"
#include "server/footprint.h"
#include "server/records.h"
#include "store/store.h"

namespace harch {

struct ControlPlaneOptions {
  std::string data_dir;
  std::string fleet_path;   // the fleet spec: hubs, racks and the nodes agents may register as
  std::string queues_path;  // optional tenant/queue config
  std::string profile = "harch";
  std::string carbon_path;  // optional carbon config (kind: Carbon): harch-carbon, footprints
  Duration heartbeat_interval = std::chrono::seconds(1);
  Duration node_timeout = std::chrono::seconds(10);  // no heartbeat for this long: node down
  Duration grace = std::chrono::seconds(10);         // SIGTERM -> SIGKILL for stopped tasks
  Duration retry_backoff = std::chrono::seconds(2);  // doubles per retry, capped at 5 minutes
  Duration cycle_interval = std::chrono::milliseconds(500);  // cycles also run on every change
};

class ControlPlane {
 public:
  static Result<std::unique_ptr<ControlPlane>> Open(ControlPlaneOptions options);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Jobs.
  Result<v1::Job> Submit(const v1::SubmitJobRequest& req);
  Result<v1::Job> GetJob(const v1::JobRef& req);
  Result<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& req);
  Result<v1::Job> CancelJob(const v1::JobRef& req);
  Result<v1::JobEvents> JobEvents(const v1::JobRef& req);
  Result<v1::JobLogs> JobLogs(const v1::LogsRequest& req);
  // Blocks until the job changes past *version (0: returns at once) or `timeout` passes; sets
  // *version. For Watch.
  Result<v1::Job> WaitJob(uint64_t id, uint64_t* version, Duration timeout);

  // Nodes.
  Result<v1::Node> Register(const v1::RegisterRequest& req);
  Result<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& req);
  Result<v1::ListNodesResponse> ListNodes(const v1::ListNodesRequest& req);
  Result<v1::Node> GetNode(const v1::NodeRef& req);
  Result<v1::Node> Cordon(const v1::CordonRequest& req);
  Result<v1::Node> Drain(const v1::NodeRef& req);

  // Fleet and queues.
  Result<v1::FleetSummary> Summary(const v1::FleetSummaryRequest& req);
  Result<v1::FleetQueryResponse> Query(const v1::FleetQueryRequest& req);
  Result<v1::ListQueuesResponse> ListQueues(const v1::ListQueuesRequest& req);
  // Footprint totals per hub and per tenant (footprint_api.cc; HTTP GET /v1/footprint).
  Result<v1::FootprintTotals> Footprints(const v1::FootprintRequest& req);

  // Jobs that reached the scheduler's placement, with the time from submission to the durable
  // placement (for benchmarks).
  std::vector<Duration> TakePlacementLatencies();
  const Topology& topology_for_tests() const { return topo_; }
  // The carbon signal of --carbon, or null. It changes under mu_ when url zones refresh: readers
  // that do not hold mu_ use CarbonSnapshot(). Only the scheduler loop asks it for plans.
  const CarbonSignal* carbon() const { return carbon_.get(); }
  // Carbon zones with a url (carbon/http_source.h) are fetched again every `refresh` on a
  // thread of their own, outside mu_; each answer is merged into carbon() under mu_ (so the
  // scheduler and footprints, which read it under mu_, see it at once) and a new snapshot is
  // published. Failures keep the old data, go to stderr and are counted. The state of each url
  // zone is written to DATA_DIR/carbon-sources.json after every attempt. Server::Start calls
  // this; nothing happens without url zones.
  void StartCarbonRefresh();
  // The carbon signal for readers that do not hold mu_ (the Carbon Aware SDK endpoints): a copy
  // that never changes once returned. Null without --carbon.
  std::shared_ptr<const CarbonSignal> CarbonSnapshot() const;
  // {"sources": [...]}: each url zone's refresh state (CarbonSourcesJson); empty without any.
  nlohmann::json CarbonSources() const;
  // Fetches url zone `zone` now (tests, operators), as the refresh thread does.
  Status RefreshCarbonZone(const std::string& zone);

 private:
  struct Entry {
    JobRecord rec;
    JobSpec spec;
  };
  struct NodeInfo {
    bool registered = false;
    bool simulated = false;
    bool cordoned = false;  // by an operator (survives restarts)
    bool down = false;      // heartbeats stopped
    std::string address;
    Time last_heartbeat{};
  };

  ControlPlane(ControlPlaneOptions options, Topology topo, std::unique_ptr<Store> store);
  Status Recover();
  void Loop();
  // REQUIRES: mu_ held. Each returns with the writes it made added to *batch.
  void RunCycle(Time now, WriteBatch* batch);
  void ApplySchedulerEvents(Time now, WriteBatch* batch, std::vector<uint64_t>* placed = nullptr);
  void CheckNodes(Time now, WriteBatch* batch);
  void StartDueRetries(Time now, WriteBatch* batch);
  void AssignTasks(Entry& e);
  // The current attempt is over without success. `lost`: not the job's fault (its node or
  // task vanished): requeued at once without using a retry.
  void EndAttempt(Entry& e, Time now, int exit_code, const std::string& why, bool lost,
                  WriteBatch* batch);
  void Succeed(Entry& e, Time now, WriteBatch* batch);
  void JobToProto(const Entry& e, v1::Job* out) const;  // with its footprint
  void Release(Entry& e);  // forgets the placement (REQUIRES: the scheduler let it go)
  void Touch(Entry& e, Time now, WriteBatch* batch);
  void Event(const Entry& e, Time now, const std::string& type, const std::string& message,
             WriteBatch* batch);
  // Queues the batch (REQUIRES: mu_), marks records with the ticket, wakes watchers.
  uint64_t Enqueue(WriteBatch batch);
  std::string NodeDoc(const std::string& name) const;
  v1::Node NodeView(NodeIdx idx) const;
  Result<NodeIdx> FindNode(const std::string& name) const;
  // REQUIRES: mu_ held. Checks a heartbeat's GPU power readings (before anything changes), then
  // charges the energy since each GPU's previous reading to the jobs holding it (nodes.cc).
  Status CheckGpuPower(NodeIdx idx, const v1::HeartbeatRequest& req) const;
  void ChargeGpuPower(NodeIdx idx, const v1::HeartbeatRequest& req);
  // REQUIRES: mu_ held. The job's footprint with its measured energy (footprint_api.cc).
  v1::Footprint FootprintOf(const Entry& e) const;

  const ControlPlaneOptions options_;
  std::unique_ptr<CarbonSignal> carbon_;
  const Clock& clock_;
  std::unique_ptr<Store> store_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // the loop: something changed
  std::condition_variable changed_;  // watchers: a job changed
  bool stop_ = false;
  bool dirty_ = true;
  Topology topo_;
  Random rng_{1};
  std::unique_ptr<Scheduler> sched_;
  std::map<uint64_t, Entry> jobs_;
  std::unordered_map<std::string, uint64_t> by_request_;
  std::map<std::string, NodeInfo> nodes_;  // by node id
  std::set<uint64_t> active_;   // jobs holding GPUs (scheduled, starting, running)
  std::set<uint64_t> backoff_;  // pending jobs waiting out a retry backoff (not in sched_)
  std::vector<uint64_t> touched_;  // jobs written by the batch being built
  std::vector<Duration> placement_latencies_;
  // GPU power: each GPU's last reading, by (node, GPU index), and the energy measured for each
  // job (by id). Kept in memory: after a restart the model covers what was measured before.
  std::map<std::pair<std::string, int>, GpuPowerReading> last_power_;
  std::map<uint64_t, MeasuredEnergy> measured_;
  std::thread loop_;
  // URL carbon zones (StartCarbonRefresh). Declared last: stopped before the rest goes.
  size_t ApplyCarbon(const std::string& zone, const IntensitySeries& fresh);
  mutable std::mutex carbon_view_mu_;  // taken after mu_ when both are held
  std::shared_ptr<const CarbonSignal> carbon_view_;
  std::unique_ptr<CarbonRefresher> carbon_refresher_;
};

}  // namespace harch
