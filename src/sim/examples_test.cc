// Every shipped example fits the reference fleet: each job spec in examples/jobs is accepted by
// the scheduler (it can fit) and starts on an idle fleet, and every job of every workload in
// examples/workloads can fit. A spec that could never run (for example a gang wider than any
// NVLink domain it asks for) fails here with the scheduler's reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/clock.h"
#include "base/random.h"
#include "resource/topology.h"
#include "sched/queues.h"
#include "sched/scheduler.h"
#include "sim/workload.h"

namespace harch {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* dir = std::getenv("HARCH_SOURCE_DIR");
  return dir && *dir ? fs::path(dir) : fs::path(".");
}

std::vector<fs::path> Files(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ExamplesFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path fleet = SourceDir() / "examples/fleets/reference.yaml";
    if (!fs::exists(fleet)) GTEST_SKIP() << "examples not found under " << SourceDir() << "; set HARCH_SOURCE_DIR";
    auto topo = LoadTopologyFile(fleet.string());
    ASSERT_TRUE(topo.ok()) << topo.status().ToString();
    topo_ = std::make_unique<Topology>(std::move(topo).value());
    auto queues = LoadQueueConfigFile((SourceDir() / "examples/queues/tenants.yaml").string());
    ASSERT_TRUE(queues.ok()) << queues.status().ToString();
    queues_ = *queues;
  }

  std::unique_ptr<Scheduler> NewScheduler() {
    return std::make_unique<Scheduler>(topo_.get(), PluginRegistry::Default().MakeProfile("harch").value(),
                                       queues_, SchedulerConfig{}, &clock_, &rng_, &clock_);
  }

  std::unique_ptr<Topology> topo_;
  QueueConfig queues_;
  ManualClock clock_{Time(std::chrono::hours(24 * 20788))};  // 2026-12-01, before every example's deadline
  Random rng_{1};
};

TEST_F(ExamplesFitTest, EveryJobExampleFitsAndStartsOnAnIdleReferenceFleet) {
  int checked = 0;
  for (const fs::path& file : Files(SourceDir() / "examples/jobs", ".yaml")) {
    SCOPED_TRACE(file.string());
    auto spec = LoadJobSpecFile(file.string());
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    auto sched = NewScheduler();
    auto id = sched->Submit(*spec);
    ASSERT_TRUE(id.ok()) << file.filename() << " can never fit the reference fleet: " << id.status().message();
    sched->Schedule();
    const Job* job = sched->Find(*id);
    EXPECT_EQ(job->state, JobState::kRunning)
        << file.filename() << " waits on an idle fleet: " << job->pending_constraint << ": " << job->pending_reason;
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

TEST_F(ExamplesFitTest, EveryWorkloadJobCanFitTheReferenceFleet) {
  int checked = 0;
  for (const auto& [kind, ext] : {std::pair{"synthetic", ".yaml"}, std::pair{"jsonl", ".jsonl"}}) {
    for (const fs::path& file : Files(SourceDir() / "examples/workloads", ext)) {
      SCOPED_TRACE(file.string());
      auto workload = LoadWorkload(std::string(kind) + ":" + file.string(), WorkloadOptions{});
      ASSERT_TRUE(workload.ok()) << workload.status().ToString();
      auto sched = NewScheduler();
      int refused = 0;
      std::string first;
      for (const SimJob& job : workload->jobs) {
        auto id = sched->Submit(job.spec);
        if (!id.ok() && refused++ == 0) first = job.id + ": " + id.status().message();
      }
      EXPECT_EQ(refused, 0) << file.filename() << ": " << refused << " of " << workload->jobs.size()
                            << " jobs can never fit the reference fleet; the first: " << first;
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

}  // namespace
}  // namespace harch
