// An agent with GPU power readings (a fake NVML library) against a real server: the energy its
// counters report while a job holds a GPU ends up in that job's footprint.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include "agent/agent.h"
#include "server/server.h"
#include "server/test_util.h"

namespace harch {
namespace {

struct FakeNvml {
  FakeNvml() {
    handle = ::dlopen(HARCH_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
    reset = reinterpret_cast<void (*)(unsigned, int)>(::dlsym(handle, "fake_nvml_reset"));
    set = reinterpret_cast<void (*)(unsigned, unsigned long long, unsigned)>(
        ::dlsym(handle, "fake_nvml_set"));
  }
  ~FakeNvml() {
    if (handle) ::dlclose(handle);
  }
  void* handle = nullptr;
  void (*reset)(unsigned, int) = nullptr;
  void (*set)(unsigned, unsigned long long, unsigned) = nullptr;
};

// A server (hub PUE 1.25) with one node r-0 of `gpus` H100-SXM, and its agent reading the fake
// NVML library.
class AgentPowerTest : public ::testing::Test {
 protected:
  void Start(int gpus) {
    ASSERT_NE(nvml_.handle, nullptr) << ::dlerror();
    nvml_.reset(static_cast<unsigned>(gpus), 0);
    for (int g = 0; g < gpus; ++g) nvml_.set(g, 5'000'000, 200'000);
    ASSERT_TRUE(
        WriteFileAtomic(
            dir_.path() + "/carbon.yaml",
            "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
            "  defaultIntensity: 300\n  embodied: {kgPerGpu: 350, lifetime: 1460d}\n"
            "  zones:\n    - zone: ES\n      format: time-series-csv\n      files: [es.csv]\n")
            .ok());
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/es.csv",
                                "Time,Carbon Intensity\n2022-01-01T00:00:00Z,100\n")
                    .ok());
    ASSERT_TRUE(
        WriteFileAtomic(
            dir_.path() + "/fleet.yaml",
            "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  hubs:\n"
            "    - id: tangier\n      country: MA\n      carbonZone: ES\n      pue: 1.25\n"
            "      racks:\n        - id: r\n          nodes:\n"
            "            - {name: \"0\", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, "
            "count: " +
                std::to_string(gpus) + ", nvlink: nvswitch}}\n")
            .ok());
    ServerOptions o = LoopbackServerOptions(dir_.path(), dir_.path() + "/fleet.yaml", dir_.path() + "/carbon.yaml");
    o.control.cycle_interval = std::chrono::milliseconds(20);
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    AgentOptions a;
    a.node = "r-0";
    auto inv = InventoryFromFleet(server_->control().topology_for_tests(), "r-0");
    ASSERT_TRUE(inv.ok());
    a.inventory = *inv;
    a.work_dir = dir_.path() + "/agent";
    a.nvml_library = HARCH_FAKE_NVML;
    agent_ = std::make_unique<Agent>(
        a, grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
    ASSERT_EQ(agent_->no_power_reason(), "");
  }

  void TearDown() override {
    if (agent_) agent_->StopAll(std::chrono::seconds(1));
  }

  uint64_t Submit(const std::string& yaml) {
    v1::SubmitJobRequest sub;
    sub.set_spec(yaml);
    auto job = server_->control().Submit(sub);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? job->id() : 0;
  }

  v1::Job Get(uint64_t id) {
    v1::JobRef ref;
    ref.set_id(id);
    auto job = server_->control().GetJob(ref);
    EXPECT_TRUE(job.ok());
    return job.ok() ? *job : v1::Job{};
  }

  // Ticks until every job runs, once more so the next reading starts an interval inside their
  // runs, then moves every counter by `joules` and ticks again.
  void RunAndUse(const std::vector<uint64_t>& ids, int gpus, unsigned long long joules) {
    ASSERT_TRUE(WaitUntil([&] {
      (void)agent_->Tick();
      for (uint64_t id : ids) {
        if (Get(id).state() != "running") return false;
      }
      return true;
    }));
    ASSERT_TRUE(agent_->Tick().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (int g = 0; g < gpus; ++g) nvml_.set(g, 5'000'000 + joules * 1000, 200'000);
    ASSERT_TRUE(agent_->Tick().ok());
  }

  FakeNvml nvml_;
  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentPowerTest, CountersBecomeTheJobsMeasuredEnergy) {
  Start(2);
  const uint64_t id = Submit(JobYaml("train", 1, 1, "sleep 30"));
  RunAndUse({id}, 2, 100);  // +100 J on both GPUs: only the job's counts for it
  const v1::Footprint f = Get(id).footprint();
  ASSERT_TRUE(f.known()) << f.note();
  EXPECT_NEAR(f.measured_energy_kwh(), 100 / 3.6e6 * 1.25, 1e-12);
  EXPECT_NE(f.energy_source(), "model");
}

TEST_F(AgentPowerTest, ASharedGpuIsSplitByShare) {
  Start(1);
  std::string spec = JobYaml("small", 1, 1, "sleep 30");
  const std::string whole = "gpusPerReplica: 1";
  spec.replace(spec.find(whole), whole.size(), "gpuShare: 250m");
  const uint64_t small = Submit(spec);
  spec.replace(spec.find("250m"), 4, "750m");
  const uint64_t big = Submit(spec);
  RunAndUse({small, big}, 1, 100);
  EXPECT_NEAR(Get(small).footprint().measured_energy_kwh(), 25 / 3.6e6 * 1.25, 1e-12);
  EXPECT_NEAR(Get(big).footprint().measured_energy_kwh(), 75 / 3.6e6 * 1.25, 1e-12);
}

TEST(AgentPowerReader, SimulatedAgentsReadNoPower) {
  TempDir dir;
  AgentOptions a;
  a.node = "n";
  a.work_dir = dir.path();
  a.simulated = true;
  a.nvml_library = HARCH_FAKE_NVML;
  Agent agent(a, grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  EXPECT_EQ(agent.no_power_reason(), "");
  a.simulated = false;
  a.nvml_library = "libnvidia-ml-not-here.so.1";
  Agent real(a, grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  EXPECT_NE(real.no_power_reason().find("libnvidia-ml-not-here.so.1"), std::string::npos);
}

}  // namespace
}  // namespace harch
