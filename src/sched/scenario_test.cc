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

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, Passes) {
  const std::string path = SourceDir() + "/src/sched/testdata/" + GetParam();
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const Status st = RunScenario(*text, "testdata/" + GetParam(), SourceDir());
  EXPECT_TRUE(st.ok()) << st.message();
}

INSTANTIATE_TEST_SUITE_P(Scripts, ScenarioTest, ::testing::ValuesIn(Scripts()),
                         [](const auto& info) {
                           std::string name = info.param.substr(0, info.param.size() - 4);
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

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
