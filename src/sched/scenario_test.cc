// Runs every scheduler scenario script in src/sched/testdata (see testdata/README.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/files.h"
#include "sched/scenario.h"

namespace harch {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("HARCH_SOURCE_DIR");
  return dir ? dir : ".";
}

std::vector<std::string> Scripts() {
  std::vector<std::string> out;
  const auto dir = std::filesystem::path(SourceDir()) / "src/sched/testdata";
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".txt") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One test over every script, found when it runs (CTest sets HARCH_SOURCE_DIR for the run, not
// for test discovery, so a suite parameterised by the scripts would be discovered empty).
TEST(ScenarioScripts, AllPass) {
  const std::vector<std::string> scripts = Scripts();
  if (scripts.empty()) GTEST_SKIP() << "no scripts in " << SourceDir() << "/src/sched/testdata; set HARCH_SOURCE_DIR";
  EXPECT_GE(scripts.size(), 10u);
  for (const std::string& name : scripts) {
    SCOPED_TRACE(name);
    auto text = ReadFile(SourceDir() + "/src/sched/testdata/" + name);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    const Status st = RunScenario(*text, "testdata/" + name, SourceDir());
    EXPECT_TRUE(st.ok()) << st.message();
  }
}

TEST(ScenarioRunner, ReportsTheFailingLine) {
  const std::string script =
      "fleet examples/fleets/reference.yaml\n"
      "submit a gpus=8\n"
      "tick\n"
      "expect a pending\n";
  const Status st = RunScenario(script, "inline.txt", SourceDir());
  if (!std::filesystem::exists(SourceDir() + "/examples/fleets/reference.yaml")) {
    GTEST_SKIP() << "reference fleet not found; set HARCH_SOURCE_DIR";
  }
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("inline.txt:4: a: expected pending"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace harch
