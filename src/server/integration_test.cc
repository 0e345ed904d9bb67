// The running system as users run it: `harch server` and `harch agent` processes on loopback
// (ephemeral ports), jobs that are real processes, and kill -9 of either.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "agent/process.h"
#include "base/files.h"
#include "harch/v1/harch.grpc.pb.h"
#include "server/test_util.h"

namespace harch {
namespace {

using ::testing::HasSubstr;

// A `harch` process; killed (SIGKILL) when it goes out of scope.
class Harch {
 public:
  Harch(const std::vector<std::string>& args, const std::string& log) {
    ProcessSpec spec;
    spec.argv = {HARCH_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.log_path = log;
    auto p = Process::Start(spec);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (p.ok()) process_ = std::move(*p);
  }
  void Kill() {
    if (!process_) return;
    ::kill(process_->pid(), SIGKILL);
    WaitUntil([&] { return process_->Poll().has_value(); });
    process_.reset();
  }
  bool alive() { return process_ && !process_->Poll(); }

 private:
  std::unique_ptr<Process> process_;
};

class SystemTest : public ::testing::Test {
 protected:
  void SetUp() override { fleet_ = WriteSmallFleet(dir_.path()); }

  // Starts the server and waits for its endpoints file; connects a stub.
  void StartServer(const std::vector<std::string>& extra = {}) {
    const std::string data = dir_.path() + "/data";
    std::filesystem::remove(data + "/endpoints.json");
    server_ = std::make_unique<Harch>(
        Args({"server", "--fleet", fleet_, "--data-dir", data, "--listen", "127.0.0.1:0", "--http",
              "127.0.0.1:0", "--heartbeat", "0.1", "--node-timeout", "1.5", "--grace", "1",
              "--retry-backoff", "0.1"},
             extra),
        dir_.path() + "/server.log");
    ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(data + "/endpoints.json"); }))
        << ReadLog("server.log");
    const auto ep = nlohmann::json::parse(std::ifstream(data + "/endpoints.json"));
    grpc_ = ep["grpc"].get<std::string>();
    http_ = ep["http"].get<std::string>();
    auto channel = grpc::CreateChannel(grpc_, grpc::InsecureChannelCredentials());
    jobs_ = v1::Jobs::NewStub(channel);
    nodes_ = v1::Nodes::NewStub(channel);
  }

  static std::vector<std::string> Args(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  // Runs the CLI to the end with HARCH_ADDR set; returns its exit code and output.
  std::pair<int, std::string> Cli(const std::vector<std::string>& args) {
    const std::string log = dir_.path() + "/cli-" + std::to_string(++cli_runs_) + ".log";
    ProcessSpec spec;
    spec.argv = Args({HARCH_BINARY}, args);
    spec.env["HARCH_ADDR"] = grpc_;
    spec.log_path = log;
    auto p = Process::Start(spec);
    EXPECT_TRUE(p.ok());
    if (!p.ok()) return {-1, ""};
    std::optional<int> code;
    WaitUntil([&] { return (code = (*p)->Poll()).has_value(); }, std::chrono::seconds(60));
    std::ifstream in(log);
    return {code.value_or(-1), std::string(std::istreambuf_iterator<char>(in), {})};
  }

  std::unique_ptr<Harch> StartAgent(const std::string& node) {
    return std::make_unique<Harch>(
        std::vector<std::string>{"agent", "--server", grpc_, "--node", node, "--fleet", fleet_,
                                 "--work-dir", dir_.path() + "/agent-" + node},
        dir_.path() + "/agent-" + node + ".log");
  }

  std::string ReadLog(const std::string& name) {
    std::ifstream in(dir_.path() + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  grpc::Status Submit(const std::string& yaml, const std::string& request_id, v1::Job* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitJobRequest req;
    req.set_spec(yaml);
    req.set_request_id(request_id);
    return jobs_->Submit(&ctx, req, out);
  }

  v1::Job Get(uint64_t id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::JobRef ref;
    ref.set_id(id);
    v1::Job job;
    (void)jobs_->Get(&ctx, ref, &job);
    return job;
  }

  TempDir dir_;
  std::string fleet_;
  std::unique_ptr<Harch> server_;
  std::string grpc_, http_;
  std::unique_ptr<v1::Jobs::Stub> jobs_;
  std::unique_ptr<v1::Nodes::Stub> nodes_;
  int cli_runs_ = 0;
};

TEST_F(SystemTest, GangRunsOnRealAgentsAndPrintsItsGpus) {
  StartServer();
  auto a0 = StartAgent("a-0");
  auto a1 = StartAgent("a-1");
  v1::Job job;
  ASSERT_TRUE(Submit(JobYaml("hello", 2, 1, "echo rank=$HARCH_RANK of $HARCH_WORLD_SIZE gpus=$CUDA_VISIBLE_DEVICES"),
                     "", &job).ok());
  ASSERT_TRUE(WaitUntil([&] { return Get(job.id()).state() == "succeeded"; }))
      << Get(job.id()).DebugString() << ReadLog("server.log");
  grpc::ClientContext ctx;
  v1::LogsRequest lr;
  lr.set_id(job.id());
  v1::JobLogs logs;
  ASSERT_TRUE(jobs_->Logs(&ctx, lr, &logs).ok());
  std::string all;
  for (const auto& s : logs.streams()) all += s.text();
  EXPECT_THAT(all, HasSubstr("rank=0 of 2 gpus="));
  EXPECT_THAT(all, HasSubstr("rank=1 of 2 gpus="));
  // The HTTP face answers from the same implementation.
  httplib::Client http(http_);
  auto res = http.Get("/v1/jobs/" + std::to_string(job.id()));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body)["state"], "succeeded");
  res = http.Get("/");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("<title>HarchOS</title>"));  // the dashboard
  res = http.Post("/v1/jobs", "apiVersion: 1\n", "application/yaml");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"], "INVALID_ARGUMENT");
}

TEST_F(SystemTest, FailingTaskEndsTheJobWithItsExitCode) {
  StartServer();
  auto a0 = StartAgent("a-0");
  v1::Job job;
  ASSERT_TRUE(Submit(JobYaml("fails", 1, 1, "echo oops >&2; exit 7"), "", &job).ok());
  ASSERT_TRUE(WaitUntil([&] { return Get(job.id()).state() == "failed"; })) << Get(job.id()).DebugString();
  EXPECT_EQ(Get(job.id()).exit_code(), 7);
}

TEST_F(SystemTest, KilledServerLosesNoAcknowledgedSubmission) {
  StartServer();
  constexpr int kJobs = 1000;
  constexpr int kThreads = 8;
  std::mutex mu;
  std::map<std::string, uint64_t> acked;  // request id -> job id
  std::atomic<int> next{0};
  std::atomic<bool> killed{false};
  auto submit_all = [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < kJobs; i = next++) {
          const std::string rid = "req-" + std::to_string(i);
          // Retries with the same request id until acknowledged (across the restart).
          while (true) {
            v1::Job job;
            if (Submit(JobYaml("j" + std::to_string(i), 1, 1, "true"), rid, &job).ok()) {
              std::lock_guard lk(mu);
              EXPECT_TRUE(!acked.count(rid) || acked[rid] == job.id());
              acked[rid] = job.id();
              break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
    }
    return threads;
  };
  auto threads = submit_all();
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lk(mu);
    return acked.size() >= 300;
  }));
  std::map<std::string, uint64_t> before_kill;
  {
    std::lock_guard lk(mu);
    server_->Kill();
    killed = true;
    before_kill = acked;
  }
  StartServer();  // same data directory; the clients keep retrying
  for (auto& t : threads) t.join();
  ASSERT_EQ(acked.size(), static_cast<size_t>(kJobs));
  grpc::ClientContext ctx;
  v1::ListJobsResponse list;
  ASSERT_TRUE(jobs_->List(&ctx, v1::ListJobsRequest{}, &list).ok());
  std::map<std::string, int> seen;
  std::set<uint64_t> ids;
  for (const auto& j : list.jobs()) {
    ++seen[j.request_id()];
    ids.insert(j.id());
  }
  EXPECT_EQ(list.jobs_size(), kJobs);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kJobs));
  for (const auto& [rid, id] : acked) {
    EXPECT_EQ(seen[rid], 1) << rid;
    EXPECT_TRUE(ids.count(id)) << rid;
  }
  for (const auto& [rid, id] : before_kill) EXPECT_EQ(acked[rid], id);
}

TEST_F(SystemTest, KilledAgentsTasksRunElsewhere) {
  StartServer();
  std::map<std::string, std::unique_ptr<Harch>> agents;
  agents["a-0"] = StartAgent("a-0");
  agents["a-1"] = StartAgent("a-1");
  v1::Job job;
  ASSERT_TRUE(Submit(JobYaml("survivor", 1, 2, "echo started; exec sleep 300"), "", &job).ok());
  ASSERT_TRUE(WaitUntil([&] { return Get(job.id()).state() == "running"; })) << Get(job.id()).DebugString();
  const std::string first = Get(job.id()).tasks(0).node();
  agents.at(first)->Kill();
  ASSERT_TRUE(WaitUntil([&] {
    const v1::Job j = Get(job.id());
    return j.state() == "running" && j.attempt() == 2 && j.tasks(0).node() != first;
  })) << Get(job.id()).DebugString();
  grpc::ClientContext ctx;
  v1::JobRef ref;
  ref.set_id(job.id());
  v1::JobEvents events;
  ASSERT_TRUE(jobs_->Events(&ctx, ref, &events).ok());
  bool lost = false;
  for (const auto& e : events.events()) lost |= e.type() == "Lost";
  EXPECT_TRUE(lost);
}

TEST_F(SystemTest, CliRunsTheHelloExampleAndWaits) {
  StartServer();
  auto a0 = StartAgent("a-0");
  auto a1 = StartAgent("a-1");
  const std::string hello = std::string(std::getenv("HARCH_SOURCE_DIR") ? std::getenv("HARCH_SOURCE_DIR") : ".") +
                            "/examples/jobs/hello.yaml";
  auto [code, out] = Cli({"job", "run", hello, "--wait"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("job 1 submitted (hello)"));
  EXPECT_THAT(out, HasSubstr("succeeded"));
  std::tie(code, out) = Cli({"job", "logs", "1"});
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("[rank 0] rank=0 of 2"));
  EXPECT_THAT(out, HasSubstr("[rank 1] rank=1 of 2"));
  EXPECT_THAT(out, ::testing::ContainsRegex("gpus=[0-9]"));
  std::tie(code, out) = Cli({"job", "list", "-o", "json"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(nlohmann::json::parse(out)["jobs"][0]["state"], "succeeded");
  // A failing job: --wait exits with its exit code.
  const std::string fails = dir_.path() + "/fails.yaml";
  ASSERT_TRUE(WriteFileAtomic(fails, JobYaml("fails", 1, 1, "exit 7")).ok());
  std::tie(code, out) = Cli({"job", "run", fails, "--wait"});
  EXPECT_EQ(code, 7) << out;
  // A bad spec: the error names the file, line and field; nothing is queued.
  const std::string bad = dir_.path() + "/bad.yaml";
  ASSERT_TRUE(WriteFileAtomic(bad, JobYaml("bad", 0, 1, "true")).ok());
  std::tie(code, out) = Cli({"job", "run", bad});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr(bad + ":"));
  EXPECT_THAT(out, HasSubstr("spec.taskGroups[0].replicas"));
  std::tie(code, out) = Cli({"job", "status", "3"});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr("NOT_FOUND"));
}

TEST_F(SystemTest, WritesNeedTheTokenAndBadRequestsAreRefused) {
  StartServer({"--token", "s3cret"});
  v1::Job job;
  const grpc::Status st = Submit(JobYaml("x", 1, 1, "true"), "", &job);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto [code, out] = Cli({"job", "run", fleet_ /* any file: refused before parsing */});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr("token"));
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer s3cret");
    v1::SubmitJobRequest req;
    req.set_spec(JobYaml("x", 1, 1, "true"));
    EXPECT_TRUE(jobs_->Submit(&ctx, req, &job).ok());
  }
  // Oversized and malformed requests: refused, and the server lives on.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer s3cret");
    v1::SubmitJobRequest req;
    req.set_spec(std::string(20 << 20, 'x'));
    EXPECT_EQ(jobs_->Submit(&ctx, req, &job).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  httplib::Client http(http_);
  httplib::Headers auth = {{"Authorization", "Bearer s3cret"}};
  auto res = http.Post("/v1/jobs", auth, "{\"spec\": 12,", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = http.Post("/v1/jobs", "kind: Job", "application/yaml");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = http.Get("/v1/jobs/99999999999999999999999");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = http.Get("/v1/jobs?limit=abc");
  ASSERT_TRUE(res);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["field"], "limit");
  EXPECT_TRUE(server_->alive());
  EXPECT_EQ(Get(job.id()).name(), "x");
}

TEST_F(SystemTest, ServerBeyondLoopbackNeedsAToken) {
  const std::string data = dir_.path() + "/data2";
  Harch s({"server", "--fleet", fleet_, "--data-dir", data, "--listen", "0.0.0.0:0", "--http", "127.0.0.1:0"},
          dir_.path() + "/s2.log");
  ASSERT_TRUE(WaitUntil([&] { return !s.alive(); }));
  EXPECT_THAT(ReadLog("s2.log"), HasSubstr("needs a token"));
}

}  // namespace
}  // namespace harch
