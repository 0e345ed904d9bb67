// The CLI against a fake in-process gRPC server: requests sent, output printed, exit codes.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "harch/v1/harch.grpc.pb.h"

namespace harch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What the fake server saw: requests and the authorization header of every call.
struct Seen {
  std::mutex mu;
  std::vector<v1::SubmitJobRequest> submits;
  std::vector<v1::ListJobsRequest> job_lists;
  std::vector<v1::FleetQueryRequest> queries;
  std::vector<v1::CordonRequest> cordons;
  std::vector<std::string> auth;  // "" when the call had none
  int watches = 0;

  void Auth(grpc::ServerContext* c) {
    const auto& md = c->client_metadata();
    auto it = md.find("authorization");
    std::lock_guard lk(mu);
    auth.push_back(it == md.end() ? "" : std::string(it->second.data(), it->second.size()));
  }
};

v1::Job MakeJob(uint64_t id, const std::string& state, const std::string& reason = "", int exit_code = 0) {
  v1::Job j;
  j.set_id(id);
  j.set_name("hello");
  j.set_tenant("acme");
  j.set_kind("batch");
  j.set_priority_class("normal");
  j.set_state(state);
  j.set_reason(reason);
  j.set_gpus(2);
  j.set_replicas(2);
  j.set_exit_code(exit_code);
  j.mutable_created()->set_seconds(1795000000);
  j.mutable_updated()->set_seconds(1795000060);
  return j;
}

class FakeJobs final : public v1::Jobs::Service {
 public:
  explicit FakeJobs(Seen* seen) : seen_(seen) {}

  // Job id -> the states Watch sends. An empty entry in the list breaks the stream (UNAVAILABLE).
  std::map<uint64_t, std::vector<std::string>> watch_script;
  int final_exit_code = 0;

  grpc::Status Submit(grpc::ServerContext* c, const v1::SubmitJobRequest* r, v1::Job* o) override {
    seen_->Auth(c);
    {
      std::lock_guard lk(seen_->mu);
      seen_->submits.push_back(*r);
    }
    if (r->spec().find("replicas: 0") != std::string::npos) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "spec.task_groups[0].replicas: must be >= 1"};
    }
    const uint64_t id = r->spec().find("name: fails") != std::string::npos      ? 8
                        : r->spec().find("name: cancelled") != std::string::npos ? 9
                        : r->spec().find("name: flaky") != std::string::npos     ? 10
                                                                                 : 7;
    *o = MakeJob(id, "pending", "queued");
    return grpc::Status::OK;
  }
  grpc::Status Get(grpc::ServerContext* c, const v1::JobRef* r, v1::Job* o) override {
    seen_->Auth(c);
    if (r->id() != 7) return {grpc::StatusCode::NOT_FOUND, "job " + std::to_string(r->id()) + ": not found"};
    *o = MakeJob(7, "running", "all 2 ranks running");
    for (int rank = 0; rank < 2; ++rank) {
      v1::Task* t = o->add_tasks();
      t->set_id("7/1/" + std::to_string(rank));
      t->set_rank(rank);
      t->set_node("n" + std::to_string(rank));
      t->add_gpus("0");
      t->set_state("running");
    }
    return grpc::Status::OK;
  }
  grpc::Status List(grpc::ServerContext* c, const v1::ListJobsRequest* r, v1::ListJobsResponse* o) override {
    seen_->Auth(c);
    {
      std::lock_guard lk(seen_->mu);
      seen_->job_lists.push_back(*r);
    }
    *o->add_jobs() = MakeJob(7, "pending", "gpus: " + std::string(100, 'x'));
    *o->add_jobs() = MakeJob(6, "succeeded");
    return grpc::Status::OK;
  }
  grpc::Status Cancel(grpc::ServerContext* c, const v1::JobRef* r, v1::Job* o) override {
    seen_->Auth(c);
    if (r->id() == 13) {
      return {grpc::StatusCode::UNAUTHENTICATED, "this server needs a token for writes"};
    }
    *o = MakeJob(r->id(), "cancelled", "cancelled by user");
    return grpc::Status::OK;
  }
  grpc::Status Events(grpc::ServerContext* c, const v1::JobRef*, v1::JobEvents* o) override {
    seen_->Auth(c);
    v1::JobEvent* e = o->add_events();
    e->mutable_time()->set_seconds(1795000000);
    e->set_type("Submitted");
    e->set_message("queued for tenant acme");
    return grpc::Status::OK;
  }
  grpc::Status Logs(grpc::ServerContext* c, const v1::LogsRequest*, v1::JobLogs* o) override {
    seen_->Auth(c);
    for (int rank = 0; rank < 2; ++rank) {
      auto* s = o->add_streams();
      s->set_rank(rank);
      s->set_text("hello from " + std::to_string(rank) + "\nbye\n");
    }
    return grpc::Status::OK;
  }
  grpc::Status Watch(grpc::ServerContext* c, const v1::JobRef* r, grpc::ServerWriter<v1::Job>* w) override {
    seen_->Auth(c);
    int call = 0;
    {
      std::lock_guard lk(seen_->mu);
      call = seen_->watches++;
    }
    std::vector<std::string> states;
    if (r->id() == 7) states = {"pending", "running", "succeeded"};
    if (r->id() == 8) states = {"pending", "running", "failed"};
    if (r->id() == 9) states = {"pending", "cancelled"};
    if (r->id() == 10) {
      // The first stream breaks mid-way, as when the server is killed.
      if (call == 0) {
        w->Write(MakeJob(10, "running"));
        return {grpc::StatusCode::UNAVAILABLE, "Socket closed"};
      }
      states = {"running", "succeeded"};
    }
    for (const auto& s : states) {
      const bool failed = s == "failed";
      if (!w->Write(MakeJob(r->id(), s, failed ? "rank 0 exited 3" : "", failed ? 3 : 0))) break;
    }
    return grpc::Status::OK;
  }

 private:
  Seen* seen_;
};

class FakeNodes final : public v1::Nodes::Service {
 public:
  explicit FakeNodes(Seen* seen) : seen_(seen) {}
  static v1::Node MakeNode(const std::string& name, const std::string& state) {
    v1::Node n;
    n.set_name(name);
    n.set_hub("dakhla");
    n.set_state(state);
    n.set_gpu_model("H100-SXM");
    n.set_gpus(8);
    n.set_gpus_allocated(2);
    n.mutable_last_heartbeat()->set_seconds(1795000000);
    return n;
  }
  grpc::Status List(grpc::ServerContext* c, const v1::ListNodesRequest* r, v1::ListNodesResponse* o) override {
    seen_->Auth(c);
    *o->add_nodes() = MakeNode("n0", "up");
    if (r->hub().empty()) *o->add_nodes() = MakeNode("n1", "cordoned");
    return grpc::Status::OK;
  }
  grpc::Status Get(grpc::ServerContext* c, const v1::NodeRef* r, v1::Node* o) override {
    seen_->Auth(c);
    if (r->name() != "n0") return {grpc::StatusCode::NOT_FOUND, "node " + r->name() + ": not found"};
    *o = MakeNode("n0", "up");
    return grpc::Status::OK;
  }
  grpc::Status Cordon(grpc::ServerContext* c, const v1::CordonRequest* r, v1::Node* o) override {
    seen_->Auth(c);
    {
      std::lock_guard lk(seen_->mu);
      seen_->cordons.push_back(*r);
    }
    *o = MakeNode(r->name(), r->uncordon() ? "up" : "cordoned");
    return grpc::Status::OK;
  }
  grpc::Status Drain(grpc::ServerContext* c, const v1::NodeRef* r, v1::Node* o) override {
    seen_->Auth(c);
    *o = MakeNode(r->name(), "cordoned");
    return grpc::Status::OK;
  }

 private:
  Seen* seen_;
};

class FakeFleet final : public v1::Fleet::Service {
 public:
  explicit FakeFleet(Seen* seen) : seen_(seen) {}
  grpc::Status Summary(grpc::ServerContext* c, const v1::FleetSummaryRequest*, v1::FleetSummary* o) override {
    seen_->Auth(c);
    o->set_nodes(2);
    o->mutable_gpus()->set_total(1798);
    o->mutable_gpus()->set_free(1700);
    o->mutable_gpus()->set_allocated(98);
    auto* h = o->add_hubs();
    h->set_id("dakhla");
    h->set_country("MA");
    h->set_nodes(2);
    h->set_nodes_up(2);
    h->mutable_gpus()->set_total(1798);
    (*h->mutable_models())["H100-SXM"] = 16;
    o->set_jobs_running(1);
    return grpc::Status::OK;
  }
  grpc::Status Query(grpc::ServerContext* c, const v1::FleetQueryRequest* r, v1::FleetQueryResponse* o) override {
    seen_->Auth(c);
    {
      std::lock_guard lk(seen_->mu);
      seen_->queries.push_back(*r);
    }
    if (r->gpus() > 16) {
      o->set_fits(false);
      o->set_constraint("capacity");
      o->set_reason("only 16 GPUs free");
      return grpc::Status::OK;
    }
    o->set_fits(true);
    for (int i = 0; i < r->gpus(); ++i) {
      auto* g = o->add_gpus();
      g->set_id("n0/gpu" + std::to_string(i));
      g->set_node("n0");
      g->set_hub("dakhla");
      g->set_model("H100-SXM");
    }
    o->set_span("NV");
    return grpc::Status::OK;
  }

 private:
  Seen* seen_;
};

class FakeQueues final : public v1::Queues::Service {
 public:
  explicit FakeQueues(Seen* seen) : seen_(seen) {}
  grpc::Status List(grpc::ServerContext* c, const v1::ListQueuesRequest*, v1::ListQueuesResponse* o) override {
    seen_->Auth(c);
    auto* q = o->add_queues();
    q->set_tenant("acme");
    q->set_weight(2);
    q->set_gpu_milli_in_use(2500);
    q->set_pending(3);
    q->set_running(1);
    (*q->mutable_quota())["H100"] = "8/16";
    return grpc::Status::OK;
  }

 private:
  Seen* seen_;
};

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct CliResult {
  int code;
  std::string out;  // stdout
  std::string err;  // stderr
};

class RemoteCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&jobs_);
    b.RegisterService(&nodes_);
    b.RegisterService(&fleet_);
    b.RegisterService(&queues_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr);
    ASSERT_GT(port, 0);
    addr_ = "127.0.0.1:" + std::to_string(port);
    dir_ = std::filesystem::temp_directory_path() /
           ("harch-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string WriteSpec(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Runs `harch ARGS...` in this process, capturing std::cout and std::cerr.
  static CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), "harch");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    const int code = RunCli(static_cast<int>(argv.size()), argv.data());
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    return {code, out.str(), err.str()};
  }

  // The token env var must not leak in from the environment the tests run in.
  ScopedEnv no_token_{"HARCH_TOKEN", nullptr};
  ScopedEnv no_addr_{"HARCH_ADDR", nullptr};
  Seen seen_;
  FakeJobs jobs_{&seen_};
  FakeNodes nodes_{&seen_};
  FakeFleet fleet_{&seen_};
  FakeQueues queues_{&seen_};
  std::unique_ptr<grpc::Server> server_;
  std::string addr_;
  std::filesystem::path dir_;
  static inline std::atomic<int> counter_{0};
};

constexpr const char* kHello = "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata:\n  name: hello\n";

TEST_F(RemoteCommandsTest, RunSendsTheFileAndPrintsTheId) {
  const std::string file = WriteSpec("hello.yaml", kHello);
  auto r = Run({"job", "run", file, "--addr", addr_, "--request-id", "abc"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "job 7 submitted (hello)\n");
  ASSERT_EQ(seen_.submits.size(), 1u);
  EXPECT_EQ(seen_.submits[0].spec(), kHello);
  EXPECT_EQ(seen_.submits[0].request_id(), "abc");
  EXPECT_EQ(seen_.auth.at(0), "");  // no token, no header
}

TEST_F(RemoteCommandsTest, RunJsonParses) {
  const std::string file = WriteSpec("hello.yaml", kHello);
  auto r = Run({"job", "run", file, "--addr", addr_, "-o", "json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["id"], "7");  // uint64 is a string in protobuf JSON
  EXPECT_EQ(j["name"], "hello");
  EXPECT_EQ(j["priority_class"], "normal");  // field names as in the .proto
  EXPECT_EQ(j["attempt"], 0);                // defaults are printed
}

TEST_F(RemoteCommandsTest, RunUnreadableFileNamesIt) {
  const std::string missing = (dir_ / "missing.yaml").string();
  auto r = Run({"job", "run", missing, "--addr", addr_});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_THAT(r.err, HasSubstr(missing));
  EXPECT_TRUE(seen_.submits.empty());
}

TEST_F(RemoteCommandsTest, ServerErrorMessageIsShown) {
  const std::string file = WriteSpec("bad.yaml", std::string(kHello) + "replicas: 0\n");
  auto r = Run({"job", "run", file, "--addr", addr_});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT: spec.task_groups[0].replicas: must be >= 1"));
  EXPECT_EQ(r.out, "");
}

TEST_F(RemoteCommandsTest, WaitSucceededExitsZero) {
  const std::string file = WriteSpec("hello.yaml", kHello);
  auto r = Run({"job", "run", file, "--addr", addr_, "--wait"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr("running"));
  EXPECT_THAT(r.err, HasSubstr("succeeded"));
  EXPECT_THAT(r.err, HasSubstr("2026-11-18T11:07:40Z"));  // RFC 3339 UTC times
}

TEST_F(RemoteCommandsTest, WaitFailedExitsWithTheJobsExitCode) {
  const std::string file = WriteSpec("fails.yaml", "metadata:\n  name: fails\n");
  auto r = Run({"job", "run", file, "--addr", addr_, "--wait"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("failed  rank 0 exited 3"));
}

TEST_F(RemoteCommandsTest, WaitCancelledExitsOne) {
  const std::string file = WriteSpec("cancelled.yaml", "metadata:\n  name: cancelled\n");
  auto r = Run({"job", "run", file, "--addr", addr_, "--wait"});
  EXPECT_EQ(r.code, kExitError) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cancelled"));
}

TEST_F(RemoteCommandsTest, WaitResumesABrokenStream) {
  const std::string file = WriteSpec("flaky.yaml", "metadata:\n  name: flaky\n");
  auto r = Run({"job", "run", file, "--addr", addr_, "--wait"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(seen_.watches, 2);
  EXPECT_THAT(r.err, HasSubstr("reconnecting"));
  EXPECT_THAT(r.err, HasSubstr("succeeded"));
}

TEST_F(RemoteCommandsTest, TokenFromEnvAndFlagIsSent) {
  {
    ScopedEnv token("HARCH_TOKEN", "s3cret");
    auto r = Run({"job", "cancel", "7", "--addr", addr_});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    EXPECT_EQ(r.out, "job 7 cancelled\n");
  }
  auto r = Run({"job", "list", "--addr", addr_, "--token", "fl4g"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(seen_.auth.size(), 2u);
  EXPECT_EQ(seen_.auth[0], "Bearer s3cret");
  EXPECT_EQ(seen_.auth[1], "Bearer fl4g");
}

TEST_F(RemoteCommandsTest, RefusedTokenSaysSo) {
  auto none = Run({"job", "cancel", "13", "--addr", addr_});
  EXPECT_EQ(none.code, kExitError);
  EXPECT_THAT(none.err, HasSubstr("UNAUTHENTICATED: this server needs a token for writes"));
  EXPECT_THAT(none.err, HasSubstr("no token was sent: pass --token or set HARCH_TOKEN"));
  auto bad = Run({"job", "cancel", "13", "--addr", addr_, "--token", "wrong"});
  EXPECT_EQ(bad.code, kExitError);
  EXPECT_THAT(bad.err, HasSubstr("refused the token"));
}

TEST_F(RemoteCommandsTest, AddressFromEnv) {
  ScopedEnv addr("HARCH_ADDR", addr_.c_str());
  auto r = Run({"queue", "list"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("GPUS-IN-USE"));
  EXPECT_THAT(r.out, HasSubstr("acme"));
  EXPECT_THAT(r.out, HasSubstr("2.5"));
  EXPECT_THAT(r.out, HasSubstr("H100 8/16"));
}

TEST_F(RemoteCommandsTest, UnreachableServer) {
  // A port that is bound but not listening: connections to it are refused.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string dead = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  auto r = Run({"job", "list", "--addr", dead});
  ::close(fd);
  EXPECT_EQ(r.code, kExitError);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the HarchOS server at " + dead));
  EXPECT_THAT(r.err, HasSubstr("harch dev"));
  EXPECT_THAT(r.err, HasSubstr("HARCH_ADDR"));
}

TEST_F(RemoteCommandsTest, JobListTruncatesReasonsInTablesOnly) {
  auto r = Run({"job", "list", "--addr", addr_, "--state", "pending", "--tenant", "acme", "--limit", "5"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ID  NAME"));
  EXPECT_THAT(r.out, HasSubstr("..."));
  EXPECT_THAT(r.out, Not(HasSubstr(std::string(100, 'x'))));
  ASSERT_EQ(seen_.job_lists.size(), 1u);
  EXPECT_EQ(seen_.job_lists[0].state(), "pending");
  EXPECT_EQ(seen_.job_lists[0].tenant(), "acme");
  EXPECT_EQ(seen_.job_lists[0].limit(), 5u);

  auto j = Run({"job", "list", "--addr", addr_, "-o", "json"});
  EXPECT_EQ(j.code, kExitOk);
  EXPECT_EQ(nlohmann::json::parse(j.out)["jobs"][0]["reason"], "gpus: " + std::string(100, 'x'));
}

TEST_F(RemoteCommandsTest, JobStatusLogsEvents) {
  auto s = Run({"job", "status", "7", "--addr", addr_});
  EXPECT_EQ(s.code, kExitOk) << s.err;
  EXPECT_THAT(s.out, HasSubstr("running"));
  EXPECT_THAT(s.out, HasSubstr("RANK  NODE  GPUS  STATE    EXIT"));

  auto missing = Run({"job", "status", "99", "--addr", addr_});
  EXPECT_EQ(missing.code, kExitError);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND: job 99: not found"));

  auto logs = Run({"job", "logs", "7", "--addr", addr_});
  EXPECT_EQ(logs.code, kExitOk) << logs.err;
  EXPECT_EQ(logs.out, "[rank 0] hello from 0\n[rank 0] bye\n[rank 1] hello from 1\n[rank 1] bye\n");

  auto ev = Run({"job", "events", "7", "--addr", addr_});
  EXPECT_EQ(ev.code, kExitOk) << ev.err;
  EXPECT_THAT(ev.out, HasSubstr("TIME"));
  EXPECT_THAT(ev.out, HasSubstr("Submitted"));
  EXPECT_THAT(ev.out, HasSubstr("queued for tenant acme"));
}

TEST_F(RemoteCommandsTest, NodeCommands) {
  auto l = Run({"node", "list", "--addr", addr_});
  EXPECT_EQ(l.code, kExitOk) << l.err;
  EXPECT_THAT(l.out, HasSubstr("LAST-HEARTBEAT"));
  EXPECT_THAT(l.out, HasSubstr("cordoned"));
  auto hub = Run({"node", "list", "--addr", addr_, "--hub", "dakhla", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(hub.out)["nodes"].size(), 1u);

  auto c = Run({"node", "cordon", "n1", "--undo", "--addr", addr_});
  EXPECT_EQ(c.code, kExitOk) << c.err;
  ASSERT_EQ(seen_.cordons.size(), 1u);
  EXPECT_TRUE(seen_.cordons[0].uncordon());
  EXPECT_EQ(seen_.cordons[0].name(), "n1");

  auto d = Run({"node", "drain", "n1", "--addr", addr_});
  EXPECT_EQ(d.code, kExitOk) << d.err;
  EXPECT_THAT(d.out, HasSubstr("cordoned"));

  auto missing = Run({"node", "status", "nope", "--addr", addr_});
  EXPECT_EQ(missing.code, kExitError);
  EXPECT_THAT(missing.err, HasSubstr("node nope: not found"));
}

TEST_F(RemoteCommandsTest, FleetWithoutFleetFileAsksTheServer) {
  auto s = Run({"fleet", "summary", "--addr", addr_});
  EXPECT_EQ(s.code, kExitOk) << s.err;
  EXPECT_THAT(s.out, HasSubstr("1,798"));
  EXPECT_THAT(s.out, HasSubstr("16 H100-SXM"));

  auto q = Run({"fleet", "query", "--addr", addr_, "--gpus", "8", "--model", "H100,A100", "--label",
                "rack=r1", "--jurisdiction", "MA", "--same-nvlink-domain", "--min-memory", "40GiB"});
  EXPECT_EQ(q.code, kExitOk) << q.err;
  EXPECT_THAT(q.out, HasSubstr("n0/gpu7"));
  ASSERT_EQ(seen_.queries.size(), 1u);
  const auto& req = seen_.queries[0];
  EXPECT_EQ(req.gpus(), 8);
  ASSERT_EQ(req.models_size(), 2);
  EXPECT_EQ(req.models(1), "A100");
  EXPECT_EQ(req.labels().at("rack"), "r1");
  EXPECT_EQ(req.jurisdiction(0), "MA");
  EXPECT_EQ(req.min_memory(), "40GiB");
  EXPECT_TRUE(req.same_nvlink_domain());
  EXPECT_FALSE(req.allow_multi_hub());

  auto no = Run({"fleet", "query", "--addr", addr_, "--gpus", "64"});
  EXPECT_EQ(no.code, kExitNoFit);
  EXPECT_THAT(no.out, HasSubstr("capacity"));
  EXPECT_THAT(no.out, HasSubstr("only 16 GPUs free"));
}

}  // namespace
}  // namespace harch
