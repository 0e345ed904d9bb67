// The control plane in process: lifecycle, retries, cancel, node loss, drain, restart recovery
// and bad input. Agents are played by the test through Register and Heartbeat.
#include "server/control_plane.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/test_util.h"

namespace harch {
namespace {

using ::testing::HasSubstr;

class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override { fleet_ = WriteSmallFleet(dir_.path()); }

  void Open() {
    ControlPlaneOptions o;
    o.data_dir = dir_.path() + "/data";
    o.fleet_path = fleet_;
    o.heartbeat_interval = std::chrono::milliseconds(50);
    o.node_timeout = std::chrono::milliseconds(timeout_ms_);
    o.retry_backoff = std::chrono::milliseconds(100);
    o.cycle_interval = std::chrono::milliseconds(20);
    auto cp = ControlPlane::Open(o);
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    cp_ = std::move(*cp);
  }

  void RegisterAll() {
    for (const char* n : {"a-0", "a-1", "b-0", "b-1"}) {
      v1::RegisterRequest r;
      r.set_name(n);
      r.mutable_inventory()->set_gpu_count(2);
      r.mutable_inventory()->set_gpu_model("H100-SXM");
      auto node = cp_->Register(r);
      ASSERT_TRUE(node.ok()) << node.status().ToString();
    }
  }

  uint64_t Submit(const std::string& yaml, const std::string& request_id = "") {
    v1::SubmitJobRequest r;
    r.set_spec(yaml);
    r.set_request_id(request_id);
    auto job = cp_->Submit(r);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? job->id() : 0;
  }

  v1::Job Get(uint64_t id) {
    v1::JobRef r;
    r.set_id(id);
    auto job = cp_->GetJob(r);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : v1::Job{};
  }

  bool WaitState(uint64_t id, const std::string& state) {
    return WaitUntil([&] { return Get(id).state() == state; });
  }

  // One heartbeat from `node` reporting `running` task ids and `exits` (id -> code).
  v1::HeartbeatResponse Beat(const std::string& node, const std::vector<std::string>& running = {},
                             const std::map<std::string, int>& exits = {},
                             const std::map<std::string, std::string>& logs = {}) {
    v1::HeartbeatRequest r;
    r.set_name(node);
    for (const auto& id : running) r.add_running()->set_id(id);
    for (const auto& [id, code] : exits) {
      auto* x = r.add_exited();
      x->set_id(id);
      x->set_exit_code(code);
    }
    for (const auto& [id, text] : logs) {
      auto* c = r.add_logs();
      c->set_task(id);
      c->set_data(text);
    }
    auto resp = cp_->Heartbeat(r);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.ok() ? *resp : v1::HeartbeatResponse{};
  }

  std::vector<std::string> EventTypes(uint64_t id) {
    v1::JobRef r;
    r.set_id(id);
    auto ev = cp_->JobEvents(r);
    std::vector<std::string> out;
    if (ev.ok()) {
      for (const auto& e : ev->events()) out.push_back(e.type());
    }
    return out;
  }

  TempDir dir_;
  std::string fleet_;
  int timeout_ms_ = 60000;
  std::unique_ptr<ControlPlane> cp_;
};

TEST_F(ControlPlaneTest, GangRunsToSuccessWithItsEnvironment) {
  Open();
  RegisterAll();
  const uint64_t id = Submit(JobYaml("hello", 2, 1, "echo hi"));
  ASSERT_TRUE(WaitState(id, "scheduled"));
  const v1::Job job = Get(id);
  ASSERT_EQ(job.tasks_size(), 2);
  std::map<std::string, std::vector<v1::TaskAssignment>> by_node;
  for (const auto& t : job.tasks()) {
    if (!by_node.count(t.node())) by_node[t.node()] = {};
  }
  for (auto& [node, list] : by_node) {
    const v1::HeartbeatResponse resp = Beat(node);
    for (const auto& a : resp.tasks()) list.push_back(a);
  }
  std::set<std::string> ranks;
  for (const auto& [node, list] : by_node) {
    for (const auto& a : list) {
      ranks.insert(a.env().at("HARCH_RANK"));
      EXPECT_EQ(a.env().at("HARCH_WORLD_SIZE"), "2");
      EXPECT_EQ(a.env().at("HARCH_JOB_ID"), std::to_string(id));
      EXPECT_FALSE(a.env().at("CUDA_VISIBLE_DEVICES").empty());
      EXPECT_FALSE(a.env().at("HARCH_MASTER_PORT").empty());
      EXPECT_THAT(a.argv(), ::testing::ElementsAre("sh", "-c", "echo hi"));
    }
  }
  EXPECT_EQ(ranks, (std::set<std::string>{"0", "1"}));
  // Both ranks start, then exit 0.
  for (const auto& [node, list] : by_node) {
    std::vector<std::string> ids;
    for (const auto& a : list) ids.push_back(a.id());
    Beat(node, ids);
  }
  EXPECT_EQ(Get(id).state(), "running");
  for (const auto& [node, list] : by_node) {
    std::map<std::string, int> exits;
    std::map<std::string, std::string> logs;
    for (const auto& a : list) {
      exits[a.id()] = 0;
      logs[a.id()] = "rank " + a.env().at("HARCH_RANK") + "\n";
    }
    EXPECT_EQ(Beat(node, {}, exits, logs).tasks_size(), 0);
  }
  EXPECT_EQ(Get(id).state(), "succeeded");
  EXPECT_THAT(EventTypes(id), ::testing::ElementsAre("Submitted", "Scheduled", "Started", "Running",
                                                     "Succeeded"));
  v1::LogsRequest lr;
  lr.set_id(id);
  auto logs = cp_->JobLogs(lr);
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->streams_size(), 2);
  EXPECT_EQ(logs->streams(0).text(), "rank 0\n");
  EXPECT_EQ(logs->streams(1).text(), "rank 1\n");
}

TEST_F(ControlPlaneTest, FailedAttemptIsRetriedAfterBackoffThenFails) {
  Open();
  RegisterAll();
  const uint64_t id = Submit(JobYaml("flaky", 1, 1, "exit 3", /*max_retries=*/1));
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(WaitUntil([&] { return Get(id).attempt() == attempt && Get(id).tasks_size() == 1; }));
    const v1::Job job = Get(id);
    const std::string task = job.tasks(0).id();
    EXPECT_EQ(task, std::to_string(id) + "/" + std::to_string(attempt) + "/0");
    Beat(job.tasks(0).node(), {task});
    Beat(job.tasks(0).node(), {}, {{task, 3}});
  }
  const v1::Job done = Get(id);
  EXPECT_EQ(done.state(), "failed");
  EXPECT_EQ(done.exit_code(), 3);
  EXPECT_EQ(done.retries(), 1);
  EXPECT_THAT(done.reason(), HasSubstr("exited with code 3"));
  const auto types = EventTypes(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "Failed"), 2);
  EXPECT_EQ(std::count(types.begin(), types.end(), "BackOff"), 1);
}

TEST_F(ControlPlaneTest, CancelStopsTheTasks) {
  Open();
  RegisterAll();
  const uint64_t id = Submit(JobYaml("long", 1, 2, "sleep 100"));
  ASSERT_TRUE(WaitState(id, "scheduled"));
  const std::string node = Get(id).tasks(0).node();
  ASSERT_EQ(Beat(node).tasks_size(), 1);
  v1::JobRef r;
  r.set_id(id);
  ASSERT_TRUE(cp_->CancelJob(r).ok());
  EXPECT_EQ(Get(id).state(), "cancelled");
  EXPECT_EQ(Beat(node).tasks_size(), 0);  // the agent stops what is no longer listed
  EXPECT_EQ(cp_->CancelJob(r).status().code(), Code::kFailedPrecondition);
}

TEST_F(ControlPlaneTest, SilentNodeIsDownAndItsJobRunsElsewhere) {
  timeout_ms_ = 400;
  Open();
  RegisterAll();
  const uint64_t id = Submit(JobYaml("moves", 1, 2, "sleep 100"));
  ASSERT_TRUE(WaitState(id, "scheduled"));
  const std::string first = Get(id).tasks(0).node();
  // Everyone but `first` keeps beating.
  std::atomic<bool> stop{false};
  std::thread beats([&] {
    while (!stop) {
      for (const char* n : {"a-0", "a-1", "b-0", "b-1"}) {
        if (n != first) Beat(n);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const bool moved = WaitUntil([&] {
    const v1::Job j = Get(id);
    return j.attempt() == 2 && j.tasks_size() == 1 && j.tasks(0).node() != first;
  });
  stop = true;
  beats.join();
  ASSERT_TRUE(moved);
  EXPECT_THAT(EventTypes(id), ::testing::Contains("Lost"));
  v1::NodeRef nr;
  nr.set_name(first);
  EXPECT_EQ(cp_->GetNode(nr)->state(), "down");
}

TEST_F(ControlPlaneTest, DrainRequeuesAndCordonKeepsWorkAway) {
  Open();
  RegisterAll();
  const uint64_t id = Submit(JobYaml("drained", 1, 2, "sleep 100"));
  ASSERT_TRUE(WaitState(id, "scheduled"));
  const std::string first = Get(id).tasks(0).node();
  v1::NodeRef nr;
  nr.set_name(first);
  auto node = cp_->Drain(nr);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->state(), "cordoned");
  ASSERT_TRUE(WaitUntil([&] { return Get(id).attempt() == 2 && Get(id).tasks_size() == 1; }));
  EXPECT_NE(Get(id).tasks(0).node(), first);
  EXPECT_THAT(EventTypes(id), ::testing::Contains("Drained"));
}

TEST_F(ControlPlaneTest, RestartRecoversExactly) {
  std::string running_node;
  std::vector<std::string> running_gpus;
  uint64_t running = 0, pending = 0, done = 0;
  {
    Open();
    RegisterAll();
    running = Submit(JobYaml("stays", 1, 2, "sleep 100"), "req-1");
    ASSERT_TRUE(WaitState(running, "scheduled"));
    const v1::Job job = Get(running);
    running_node = job.tasks(0).node();
    running_gpus.assign(job.tasks(0).gpus().begin(), job.tasks(0).gpus().end());
    Beat(running_node, {job.tasks(0).id()});
    ASSERT_EQ(Get(running).state(), "running");
    done = Submit(JobYaml("over", 1, 1, "true"));
    ASSERT_TRUE(WaitState(done, "scheduled"));
    v1::JobRef r;
    r.set_id(done);
    ASSERT_TRUE(cp_->CancelJob(r).ok());
    // Three more fill the fleet's 8 GPUs; a fifth waits.
    for (int i = 0; i < 3; ++i) {
      const uint64_t fill = Submit(JobYaml("fill", 1, 2, "sleep 100"));
      ASSERT_TRUE(WaitState(fill, "scheduled"));
    }
    pending = Submit(JobYaml("waits", 1, 2, "true"));
    ASSERT_TRUE(WaitUntil([&] { return Get(pending).reason() != "queued"; }));
    ASSERT_EQ(Get(pending).state(), "pending");
    cp_.reset();
  }
  Open();
  EXPECT_EQ(Get(done).state(), "cancelled");
  const v1::Job job = Get(running);
  EXPECT_EQ(job.state(), "running");
  ASSERT_EQ(job.tasks_size(), 1);
  EXPECT_EQ(job.tasks(0).node(), running_node);
  EXPECT_EQ(std::vector<std::string>(job.tasks(0).gpus().begin(), job.tasks(0).gpus().end()), running_gpus);
  // Its agent comes back and still runs it: it keeps running there.
  v1::RegisterRequest reg;
  reg.set_name(running_node);
  reg.mutable_inventory()->set_gpu_count(2);
  ASSERT_TRUE(cp_->Register(reg).ok());
  EXPECT_EQ(Beat(running_node, {job.tasks(0).id()}).tasks_size(), 1);
  EXPECT_EQ(Get(running).state(), "running");
  // Ids go on from where they were; request ids are remembered.
  EXPECT_EQ(Submit(JobYaml("stays", 1, 2, "sleep 100"), "req-1"), running);
  EXPECT_GT(Submit(JobYaml("new", 1, 1, "true")), pending);
  EXPECT_EQ(Get(pending).state(), "pending");
}

TEST_F(ControlPlaneTest, BadInputChangesNothing) {
  Open();
  v1::SubmitJobRequest r;
  r.set_spec(JobYaml("bad", 0, 1, "true"));
  auto job = cp_->Submit(r);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(job.status().message(), HasSubstr("spec.taskGroups[0].replicas"));
  r.set_spec("{not: [yaml");
  EXPECT_EQ(cp_->Submit(r).status().code(), Code::kInvalidArgument);
  r.set_spec(std::string(2 << 20, 'x'));
  EXPECT_EQ(cp_->Submit(r).status().code(), Code::kInvalidArgument);
  // No command: it could never run on an agent.
  r.set_spec("apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {name: x}\nspec:\n  tenant: t\n  kind: batch\n"
             "  taskGroups:\n    - {name: g, replicas: 1, gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}\n");
  job = cp_->Submit(r);
  EXPECT_THAT(job.status().message(), HasSubstr("command"));
  // Never fits: 16 GPUs in one replica.
  r.set_spec(JobYaml("huge", 1, 16, "true"));
  EXPECT_EQ(cp_->Submit(r).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(cp_->ListJobs({})->jobs_size(), 0);
  // Agents that are not in the fleet, or do not match it.
  v1::RegisterRequest reg;
  reg.set_name("nobody");
  EXPECT_EQ(cp_->Register(reg).status().code(), Code::kNotFound);
  reg.set_name("a-0");
  reg.mutable_inventory()->set_gpu_count(7);
  EXPECT_THAT(cp_->Register(reg).status().message(), HasSubstr("inventory.gpu_count"));
  v1::HeartbeatRequest hb;
  hb.set_name("a-1");
  EXPECT_EQ(cp_->Heartbeat(hb).status().code(), Code::kFailedPrecondition);  // not registered
  v1::ListJobsRequest lr;
  lr.set_state("sleeping");
  EXPECT_EQ(cp_->ListJobs(lr).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace harch
