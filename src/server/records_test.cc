#include "server/records.h"

#include <gtest/gtest.h>

#include "resource/test_fleet.h"
#include "server/api_errors.h"

namespace harch {
namespace {

TEST(Records, RoundTripThroughJson) {
  const Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n1, cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: 2, nvlink: nvswitch}}
)");
  JobRecord r;
  r.id = 42;
  r.request_id = "abc";
  r.spec_text = "spec: text";
  r.name = "j";
  r.tenant = "t/u";
  r.phase = Phase::kRunning;
  r.reason = "why";
  r.attempt = 2;
  r.retries = 1;
  r.max_retries = 3;
  r.created = Time{Duration{1000}};
  r.updated = Time{Duration{2000}};
  r.started = Time{Duration{1500}};
  r.not_before = std::nullopt;
  r.master_port = 20042;
  r.progress = std::chrono::seconds(7200);
  r.tasks.push_back({0, "g", "r-n1", {"0", "1"}, TaskPhase::kRunning, 0, 0});
  ASSERT_TRUE(topo.FindGpu("r-n1/gpu1") && topo.FindNode("r-n1"));
  GroupPlacement gp;
  gp.group = "g";
  gp.grants = {GpuGrant{*topo.FindGpu("r-n1/gpu0")}, GpuGrant{*topo.FindGpu("r-n1/gpu1")}};
  gp.node_shares = {NodeShare{*topo.FindNode("r-n1"), MilliCpu{1000}, Bytes{1 << 30}}};
  r.placement.push_back(gp);
  auto back = RecordFromJson(RecordToJson(r, topo).dump(), topo);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(RecordToJson(*back, topo), RecordToJson(r, topo));
  EXPECT_EQ(back->placement[0].grants, gp.grants);
  EXPECT_EQ(back->progress, std::chrono::seconds(7200));
  // Documents written before progress was stored read as no progress.
  auto old = RecordToJson(r, topo);
  old.erase("progress_us");
  auto without = RecordFromJson(old.dump(), topo);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_EQ(without->progress, Duration{0});
  EXPECT_FALSE(RecordFromJson("{\"id\": 1}", topo).ok());
  EXPECT_FALSE(RecordFromJson("not json", topo).ok());
}

TEST(Records, TaskIds) {
  auto k = ParseTaskId("12/3/1");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->job, 12u);
  EXPECT_EQ(k->attempt, 3);
  EXPECT_EQ(k->rank, 1);
  for (const char* bad : {"", "1/2", "a/1/2", "1/2/3/4", "1//2", "1/2/x"}) EXPECT_FALSE(ParseTaskId(bad)) << bad;
}

TEST(ApiErrors, FieldOfNamesTheField) {
  EXPECT_EQ(FieldOf("spec:12:7: spec.taskGroups[0].replicas: must be >= 1"), "spec.taskGroups[0].replicas");
  EXPECT_EQ(FieldOf("id: no job 7"), "id");
  EXPECT_EQ(FieldOf("the job could not be stored: disk full"), "");
  EXPECT_EQ(FieldOf("no colon here"), "");
  EXPECT_TRUE(TokenMatches("Bearer s3cret", "s3cret"));
  EXPECT_FALSE(TokenMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(TokenMatches("", "s3cret"));
  EXPECT_TRUE(TokenMatches("", ""));
}

}  // namespace
}  // namespace harch
