// An agent with GPU power readings (a fake NVML library) against a real server: the energy its
// counters report while a job holds a GPU ends up in that job's footprint.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include "agent/agent.h"
#include "server/server.h"
#include "server/test_util.h"

namespace harch {
namespace {

TEST(AgentPowerTest, CountersBecomeTheJobsMeasuredEnergy) {
  void* fake = ::dlopen(HARCH_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(fake, nullptr) << ::dlerror();
  auto reset = reinterpret_cast<void (*)(unsigned, int)>(::dlsym(fake, "fake_nvml_reset"));
  auto set = reinterpret_cast<void (*)(unsigned, unsigned long long, unsigned)>(
      ::dlsym(fake, "fake_nvml_set"));
  reset(2, 0);
  set(0, 5'000'000, 200'000);
  set(1, 5'000'000, 200'000);

  TempDir dir;
  ASSERT_TRUE(
      WriteFileAtomic(
          dir.path() + "/carbon.yaml",
          "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
          "  defaultIntensity: 300\n  embodied: {kgPerGpu: 350, lifetime: 1460d}\n"
          "  zones:\n    - zone: ES\n      format: time-series-csv\n      files: [es.csv]\n")
          .ok());
  ASSERT_TRUE(
      WriteFileAtomic(dir.path() + "/es.csv", "Time,Carbon Intensity\n2022-01-01T00:00:00Z,100\n")
          .ok());
  ASSERT_TRUE(
      WriteFileAtomic(
          dir.path() + "/fleet.yaml",
          "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  hubs:\n"
          "    - id: tangier\n      country: MA\n      carbonZone: ES\n      pue: 1.25\n"
          "      racks:\n        - id: r\n          nodes:\n"
          "            - {name: \"0\", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, "
          "count: 2, nvlink: nvswitch}}\n")
          .ok());
  ServerOptions o;
  o.control.data_dir = dir.path() + "/data";
  o.control.fleet_path = dir.path() + "/fleet.yaml";
  o.control.carbon_path = dir.path() + "/carbon.yaml";
  o.control.cycle_interval = std::chrono::milliseconds(20);
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  auto server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ControlPlane& cp = (*server)->control();

  AgentOptions a;
  a.node = "r-0";
  auto inv = InventoryFromFleet(cp.topology_for_tests(), "r-0");
  ASSERT_TRUE(inv.ok());
  a.inventory = *inv;
  a.work_dir = dir.path() + "/agent";
  a.nvml_library = HARCH_FAKE_NVML;
  Agent agent(a,
              grpc::CreateChannel((*server)->grpc_address(), grpc::InsecureChannelCredentials()));
  ASSERT_EQ(agent.no_power_reason(), "");

  v1::SubmitJobRequest sub;
  sub.set_spec(JobYaml("train", 1, 1, "sleep 30"));
  auto job = cp.Submit(sub);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  v1::JobRef ref;
  ref.set_id(job->id());
  ASSERT_TRUE(WaitUntil([&] {
    (void)agent.Tick();
    return cp.GetJob(ref)->state() == "running";
  }));
  // The run is open: the next reading starts an interval that is the job's whole.
  ASSERT_TRUE(agent.Tick().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  set(0, 5'100'000, 200'000);  // +100 J on both GPUs: only the job's counts for it
  set(1, 5'100'000, 200'000);
  ASSERT_TRUE(agent.Tick().ok());

  const v1::Footprint f = cp.GetJob(ref)->footprint();
  ASSERT_TRUE(f.known()) << f.note();
  EXPECT_NEAR(f.measured_energy_kwh(), 100 / 3.6e6 * 1.25, 1e-12);
  EXPECT_NE(f.energy_source(), "model");
  agent.StopAll(std::chrono::seconds(1));
  ::dlclose(fake);
}

TEST(AgentPowerTest, SimulatedAgentsReadNoPower) {
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
