#include "base/quantity.h"

#include <gtest/gtest.h>

namespace harch {
namespace {

TEST(ParseBytes, BinaryAndDecimalSuffixes) {
  EXPECT_EQ(ParseBytes("80GiB")->value, 80LL << 30);
  EXPECT_EQ(ParseBytes("80Gi")->value, 80LL << 30);
  EXPECT_EQ(ParseBytes("40GB")->value, 40'000'000'000LL);
  EXPECT_EQ(ParseBytes("512M")->value, 512'000'000LL);
  EXPECT_EQ(ParseBytes("1.5TiB")->value, 3LL << 39);
  EXPECT_EQ(ParseBytes("1024")->value, 1024);
  EXPECT_EQ(ParseBytes("7B")->value, 7);
}

TEST(ParseBytes, RejectsBadInput) {
  for (const char* bad : {"", "GiB", "-1GiB", "1.2.3G", "ten", "1.5B", "99999999999TiB", "1e3"}) {
    EXPECT_FALSE(ParseBytes(bad).ok()) << bad;
  }
  EXPECT_NE(ParseBytes("-4GiB").status().message().find("negative"), std::string::npos);
}

TEST(FormatBytes, PicksTheLargestUnit) {
  EXPECT_EQ(FormatBytes(GiB(80)), "80GiB");
  EXPECT_EQ(FormatBytes(Bytes{3LL << 39}), "1.5TiB");
  EXPECT_EQ(FormatBytes(Bytes{100}), "100B");
  EXPECT_EQ(FormatBytes(MiB(512)), "512MiB");
}

TEST(FormatBytes, RoundTripsWholeUnits) {
  for (int64_t v : {1LL, 1023LL, 1LL << 20, 186LL << 30, 2LL << 40}) {
    EXPECT_EQ(ParseBytes(FormatBytes(Bytes{v}))->value, v);
  }
}

TEST(ParseMilli, CpuAndGpu) {
  EXPECT_EQ(ParseMilliCpu("4")->value, 4000);
  EXPECT_EQ(ParseMilliCpu("2.5")->value, 2500);
  EXPECT_EQ(ParseMilliCpu("500m")->value, 500);
  EXPECT_EQ(ParseMilliGpu("0.25")->value, 250);
  EXPECT_EQ(ParseMilliGpu("250m")->value, 250);
  EXPECT_FALSE(ParseMilliGpu("0.0001").ok());  // not a whole milli
  EXPECT_FALSE(ParseMilliCpu("m").ok());
}

}  // namespace
}  // namespace harch
