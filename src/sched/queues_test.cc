// Tests of the tenant queues (queues.cc): the `kind: Queues` parser and its errors, and the
// TenantTree: hierarchical usage, quota admission (per family, "*", unlimited borrowing),
// borrowed capacity, guarantees, and fair share with a decaying usage and weights.
#include "sched/queues.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace harch {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using std::chrono::hours;
using std::chrono::minutes;

constexpr char kFile[] = "test.yaml";

// "test.yaml:LINE:COL" of the first occurrence of `needle` in `text` (1-based), plus `skip`
// characters: where error messages point.
std::string At(std::string_view text, std::string_view needle, size_t skip = 0, int nth = 0) {
  size_t pos = text.find(needle);
  for (int i = 0; i < nth && pos != std::string_view::npos; ++i) pos = text.find(needle, pos + 1);
  EXPECT_NE(pos, std::string_view::npos) << "needle '" << needle << "' not in the document";
  if (pos == std::string_view::npos) return "<missing needle>";
  pos += skip;
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

std::string Doc(std::string_view spec_body) {
  return "apiVersion: harchos.io/v1alpha1\n"
         "kind: Queues\n"
         "metadata:\n"
         "  name: q\n"
         "spec:\n" +
         std::string(spec_body);
}

std::string ParseError(const std::string& doc) {
  auto r = ParseQueueConfig(doc, kFile);
  EXPECT_FALSE(r.ok()) << "parsed:\n" << doc;
  if (r.ok()) return "<parsed>";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

// --- Parser ---------------------------------------------------------------------------------------

TEST(ParseQueueConfig, ValidDocument) {
  const std::string doc = Doc(
      "  usageHalfLife: 30m\n"
      "  tenants:\n"
      "    - path: research\n"
      "      weight: 2\n"
      "      quota:\n"
      "        - {family: H100, guaranteed: \"16\", borrowLimit: \"8\"}\n"
      "        - family: \"*\"\n"
      "          guaranteed: 32\n"
      "    - path: research/nlp\n"
      "    - path: prod\n"
      "      weight: 0.5\n"
      "      quota:\n"
      "        - {family: \"*\", guaranteed: \"64\", borrowLimit: \"0\"}\n"
      "        - {family: A100, guaranteed: 2.5, borrowLimit: 500m}\n");
  auto r = ParseQueueConfig(doc, kFile);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const QueueConfig& q = *r;
  EXPECT_EQ(q.usage_half_life, Duration(minutes(30)));
  ASSERT_EQ(q.tenants.size(), 3u);

  const TenantSpec& research = q.tenants[0];
  EXPECT_EQ(research.path, "research");
  EXPECT_DOUBLE_EQ(research.weight, 2.0);
  ASSERT_EQ(research.quota.size(), 2u);
  EXPECT_EQ(research.quota[0].family, "H100");
  EXPECT_EQ(research.quota[0].guaranteed_milli, 16000);
  ASSERT_TRUE(research.quota[0].borrow_limit_milli.has_value());
  EXPECT_EQ(*research.quota[0].borrow_limit_milli, 8000);
  EXPECT_EQ(research.quota[1].family, "*");
  EXPECT_EQ(research.quota[1].guaranteed_milli, 32000);
  EXPECT_FALSE(research.quota[1].borrow_limit_milli.has_value()) << "no borrowLimit: unlimited";
  EXPECT_EQ(research.ref.file, kFile);
  EXPECT_EQ(research.ref.line, 8);

  const TenantSpec& nlp = q.tenants[1];
  EXPECT_EQ(nlp.path, "research/nlp");
  EXPECT_DOUBLE_EQ(nlp.weight, 1.0);
  EXPECT_TRUE(nlp.quota.empty());

  const TenantSpec& prod = q.tenants[2];
  EXPECT_EQ(prod.path, "prod");
  EXPECT_DOUBLE_EQ(prod.weight, 0.5);
  ASSERT_EQ(prod.quota.size(), 2u);
  EXPECT_EQ(prod.quota[0].family, "*");
  EXPECT_EQ(prod.quota[0].guaranteed_milli, 64000);
  EXPECT_EQ(prod.quota[0].borrow_limit_milli, std::optional<int64_t>(0));
  EXPECT_EQ(prod.quota[1].guaranteed_milli, 2500);
  EXPECT_EQ(prod.quota[1].borrow_limit_milli, std::optional<int64_t>(500));
}

TEST(ParseQueueConfig, ShippedExampleParses) {
  const char* src = std::getenv("HARCH_SOURCE_DIR");
  const std::string path = std::string(src ? src : ".") + "/examples/queues/tenants.yaml";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found; set HARCH_SOURCE_DIR";
  auto config = LoadQueueConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->tenants.size(), 5u);
  const TenantTree tree(*config);
  EXPECT_TRUE(tree.CheckQuota("research/nlp", {{"H100", 384'000}}) == std::nullopt);
  EXPECT_TRUE(tree.CheckQuota("research/nlp", {{"H100", 385'000}}).has_value());
}

TEST(ParseQueueConfig, DefaultsWithoutHalfLifeAndMetadata) {
  const std::string doc =
      "apiVersion: harchos.io/v1alpha1\n"
      "kind: Queues\n"
      "spec:\n"
      "  tenants: []\n";
  auto r = ParseQueueConfig(doc, kFile);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->tenants.empty());
  EXPECT_EQ(r->usage_half_life, Duration(hours(1)));
}

TEST(ParseQueueConfig, UnknownFieldNamesPositionAndPath) {
  const std::string doc = Doc(
      "  tenants:\n"
      "    - path: research\n"
      "      wieght: 2\n");
  EXPECT_EQ(ParseError(doc), At(doc, "wieght") +
                                 ": spec.tenants[0].wieght: unknown field 'wieght' (did you mean "
                                 "'weight'?)");

  const std::string in_quota = Doc(
      "  tenants:\n"
      "    - path: research\n"
      "      quota:\n"
      "        - family: H100\n"
      "          guaranteed: 4\n"
      "          borrow: 2\n");
  EXPECT_THAT(ParseError(in_quota),
              StartsWith(At(in_quota, "borrow:") + ": spec.tenants[0].quota[0].borrow: unknown field 'borrow'"));

  const std::string top = Doc("  tenants: []\n  halfLife: 1h\n");
  EXPECT_THAT(ParseError(top), StartsWith(At(top, "halfLife") + ": spec.halfLife: unknown field"));
}

TEST(ParseQueueConfig, BadTenantPath) {
  for (const char* bad : {"Research", "research//nlp", "/research", "research/", "re search"}) {
    SCOPED_TRACE(bad);
    const std::string doc = Doc(
        "  tenants:\n"
        "    - path: ok\n"
        "    - path: \"" + std::string(bad) + "\"\n");
    EXPECT_THAT(ParseError(doc), StartsWith(At(doc, "path: \"", 6) + ": spec.tenants[1].path: "));
  }
  const std::string upper = Doc("  tenants:\n    - path: Research\n");
  EXPECT_THAT(ParseError(upper), HasSubstr("may hold only a-z"));
  const std::string empty_part = Doc("  tenants:\n    - path: a//b\n");
  EXPECT_THAT(ParseError(empty_part), HasSubstr("no empty part"));
  const std::string missing = Doc("  tenants:\n    - weight: 2\n");
  EXPECT_THAT(ParseError(missing), HasSubstr("spec.tenants[0].path: missing required field"));
}

TEST(ParseQueueConfig, DuplicateTenant) {
  const std::string doc = Doc(
      "  tenants:\n"
      "    - path: prod\n"
      "    - path: research\n"
      "    - path: prod\n");
  EXPECT_EQ(ParseError(doc),
            At(doc, "prod", 0, 1) + ": spec.tenants[2].path: tenant 'prod' is declared twice");
}

TEST(ParseQueueConfig, NegativeOrBadQuantities) {
  const std::string negative = Doc(
      "  tenants:\n"
      "    - path: prod\n"
      "      quota:\n"
      "        - family: H100\n"
      "          guaranteed: \"-1\"\n");
  const std::string msg = ParseError(negative);
  EXPECT_THAT(msg, StartsWith(At(negative, "\"-1\"") + ": spec.tenants[0].quota[0].guaranteed: "));
  EXPECT_THAT(msg, HasSubstr("must not be negative"));

  const std::string borrow = Doc(
      "  tenants:\n"
      "    - path: prod\n"
      "      quota:\n"
      "        - family: H100\n"
      "          guaranteed: 1\n"
      "          borrowLimit: -2\n");
  EXPECT_THAT(ParseError(borrow),
              StartsWith(At(borrow, "-2") + ": spec.tenants[0].quota[0].borrowLimit: "));

  const std::string no_guarantee = Doc(
      "  tenants:\n"
      "    - path: prod\n"
      "      quota:\n"
      "        - family: H100\n");
  EXPECT_THAT(ParseError(no_guarantee),
              HasSubstr("spec.tenants[0].quota[0].guaranteed: missing required field"));

  const std::string huge = Doc(
      "  tenants:\n"
      "    - path: prod\n"
      "      quota:\n"
      "        - {family: H100, guaranteed: \"20000000\"}\n");
  EXPECT_THAT(ParseError(huge), HasSubstr("must be between 0 and 10000000 GPUs"));

  const std::string weight = Doc("  tenants:\n    - path: prod\n      weight: 0\n");
  EXPECT_THAT(ParseError(weight),
              StartsWith(At(weight, "weight: ", 8) + ": spec.tenants[0].weight: value 0 is out of range"));
}

TEST(ParseQueueConfig, BadHalfLife) {
  for (const char* bad : {"soon", "0s", "-1h", "1x"}) {
    SCOPED_TRACE(bad);
    const std::string doc = Doc("  usageHalfLife: \"" + std::string(bad) + "\"\n  tenants: []\n");
    EXPECT_EQ(ParseError(doc), At(doc, "usageHalfLife: ", 15) +
                                   ": spec.usageHalfLife: expected a positive duration such as 1h");
  }
}

TEST(ParseQueueConfig, HeaderErrors) {
  EXPECT_THAT(ParseError("apiVersion: harchos.io/v1alpha1\nkind: Fleet\nspec: {tenants: []}\n"),
              HasSubstr("kind: expected 'Queues'"));
  EXPECT_THAT(ParseError("apiVersion: v2\nkind: Queues\nspec: {tenants: []}\n"),
              HasSubstr("apiVersion: unsupported version 'v2'"));
  EXPECT_THAT(ParseError("apiVersion: harchos.io/v1alpha1\nkind: Queues\nspec: {}\n"),
              HasSubstr("spec.tenants: missing required field"));
}

// --- TenantTree -------------------------------------------------------------------------------------

QuotaSpec Quota(std::string family, int64_t guaranteed, std::optional<int64_t> borrow) {
  return QuotaSpec{std::move(family), guaranteed, borrow};
}

QueueConfig Config() {
  QueueConfig c;
  c.tenants.push_back({"research", 2.0, {Quota("H100", 16000, 8000)}, {}});
  c.tenants.push_back({"research/nlp", 1.0, {}, {}});
  c.tenants.push_back({"prod", 1.0, {Quota("*", 4000, 0)}, {}});
  c.tenants.push_back({"open", 1.0, {Quota("H100", 2000, std::nullopt)}, {}});
  return c;
}

TEST(TenantTree, ConfiguredTenantsAndWeights) {
  TenantTree t(Config());
  ASSERT_EQ(t.tenants().count("research"), 1u);
  EXPECT_DOUBLE_EQ(t.tenants().at("research").weight, 2.0);
  EXPECT_EQ(t.tenants().at("research").quota.at("H100").guaranteed_milli, 16000);
  EXPECT_DOUBLE_EQ(t.tenants().at("research/nlp").weight, 1.0);
  // Tenants that appear only in jobs get weight 1 and no quota once they use something.
  EXPECT_EQ(t.tenants().count("adhoc"), 0u);
  t.Add("adhoc", {{"L4", 1000}});
  ASSERT_EQ(t.tenants().count("adhoc"), 1u);
  EXPECT_DOUBLE_EQ(t.tenants().at("adhoc").weight, 1.0);
  EXPECT_TRUE(t.tenants().at("adhoc").quota.empty());
  EXPECT_EQ(t.CheckQuota("adhoc", {{"L4", 1'000'000}}), std::nullopt);
}

TEST(TenantTree, UsageCountsAgainstEveryAncestor) {
  TenantTree t(Config());
  t.Add("research/nlp", {{"H100", 8000}, {"A100", 500}});
  t.Add("research", {{"H100", 2000}});
  t.Add("research/nlp/small", {{"L4", 250}});
  EXPECT_EQ(t.tenants().at("research/nlp/small").usage.at("L4"), 250);
  EXPECT_EQ(t.tenants().at("research/nlp").usage.at("H100"), 8000);
  EXPECT_EQ(t.tenants().at("research/nlp").usage.at("L4"), 250);
  EXPECT_EQ(t.tenants().at("research/nlp").usage_total, 8750);
  EXPECT_EQ(t.tenants().at("research").usage.at("H100"), 10000);
  EXPECT_EQ(t.tenants().at("research").usage.at("A100"), 500);
  EXPECT_EQ(t.tenants().at("research").usage_total, 10750);
  EXPECT_EQ(t.tenants().at("prod").usage_total, 0);

  t.Remove("research/nlp", {{"H100", 8000}, {"A100", 500}});
  EXPECT_EQ(t.tenants().at("research/nlp").usage.at("H100"), 0);
  EXPECT_EQ(t.tenants().at("research").usage.at("H100"), 2000);
  EXPECT_EQ(t.tenants().at("research").usage_total, 2250);
}

TEST(TenantTree, CheckQuotaPerFamilyOnThePath) {
  TenantTree t(Config());
  // research: 16 guaranteed + 8 borrowable H100 = 24.
  EXPECT_EQ(t.CheckQuota("research", {{"H100", 24000}}), std::nullopt);
  EXPECT_NE(t.CheckQuota("research", {{"H100", 24001}}), std::nullopt);
  // Other families are not limited by an H100 quota.
  EXPECT_EQ(t.CheckQuota("research", {{"A100", 100'000}}), std::nullopt);

  // A child is held to its parent's quota, and its usage fills the parent's.
  t.Add("research/nlp", {{"H100", 20000}});
  EXPECT_EQ(t.CheckQuota("research/nlp", {{"H100", 4000}}), std::nullopt);
  auto over = t.CheckQuota("research/nlp", {{"H100", 4001}});
  ASSERT_TRUE(over.has_value());
  EXPECT_THAT(*over, HasSubstr("tenant research would use 24"));
  EXPECT_THAT(*over, HasSubstr("H100 GPUs, over its quota of 16 guaranteed + 8 borrowable (20 in use)"));
  // A sibling path shares the parent's limit too.
  EXPECT_NE(t.CheckQuota("research", {{"H100", 8000}}), std::nullopt);
  EXPECT_EQ(t.CheckQuota("research", {{"H100", 4000}}), std::nullopt);
  // A demand of zero for the family never fails.
  EXPECT_EQ(t.CheckQuota("research", {{"H100", 0}}), std::nullopt);
}

TEST(TenantTree, CheckQuotaStarCountsEveryFamily) {
  TenantTree t(Config());
  // prod: "*" 4 guaranteed + 0 borrowable over all families together.
  EXPECT_EQ(t.CheckQuota("prod", {{"H100", 2000}, {"A100", 2000}}), std::nullopt);
  auto over = t.CheckQuota("prod", {{"H100", 2000}, {"A100", 2500}});
  ASSERT_TRUE(over.has_value());
  EXPECT_THAT(*over, HasSubstr("tenant prod would use 4.5 GPUs, over its quota of 4 guaranteed + 0 borrowable"));
  t.Add("prod", {{"L4", 3000}});
  EXPECT_EQ(t.CheckQuota("prod", {{"H100", 1000}}), std::nullopt);
  EXPECT_NE(t.CheckQuota("prod", {{"A100", 1001}}), std::nullopt);
  EXPECT_NE(t.CheckQuota("prod/child", {{"A100", 1001}}), std::nullopt) << "children too";
}

TEST(TenantTree, UnlimitedBorrowingNeverRefuses) {
  TenantTree t(Config());
  t.Add("open", {{"H100", 500'000}});
  EXPECT_EQ(t.CheckQuota("open", {{"H100", 1'000'000}}), std::nullopt);
  EXPECT_EQ(t.CheckQuota("nobody", {{"H100", 1'000'000}}), std::nullopt);
}

TEST(TenantTree, Borrowed) {
  TenantTree t(Config());
  EXPECT_EQ(t.Borrowed("research", "H100"), 0);
  t.Add("research", {{"H100", 10000}});
  EXPECT_EQ(t.Borrowed("research", "H100"), 0) << "below the guarantee borrows nothing";
  t.Add("research/nlp", {{"H100", 9000}});
  EXPECT_EQ(t.Borrowed("research", "H100"), 3000);
  // The child has no quota of its own; what its ancestor borrowed counts for it.
  EXPECT_EQ(t.Borrowed("research/nlp", "H100"), 3000);
  EXPECT_EQ(t.Borrowed("research", "A100"), 0);
  // "*" quotas count every family.
  t.Add("prod", {{"A100", 3000}, {"L4", 2500}});
  EXPECT_EQ(t.Borrowed("prod", "A100"), 1500);
  EXPECT_EQ(t.Borrowed("prod", "H100"), 1500);
  // No quota at all: nothing is borrowed.
  t.Add("adhoc", {{"H100", 50000}});
  EXPECT_EQ(t.Borrowed("adhoc", "H100"), 0);
}

TEST(TenantTree, BelowGuarantee) {
  TenantTree t(Config());
  EXPECT_TRUE(t.BelowGuarantee("research", "H100"));
  EXPECT_TRUE(t.BelowGuarantee("research/nlp", "H100")) << "through its parent";
  EXPECT_FALSE(t.BelowGuarantee("research", "A100")) << "no A100 quota";
  EXPECT_FALSE(t.BelowGuarantee("adhoc", "H100"));
  t.Add("research/nlp", {{"H100", 15999}});
  EXPECT_TRUE(t.BelowGuarantee("research", "H100"));
  t.Add("research", {{"H100", 1}});
  EXPECT_FALSE(t.BelowGuarantee("research", "H100"));
  EXPECT_FALSE(t.BelowGuarantee("research/nlp", "H100"));
  EXPECT_TRUE(t.BelowGuarantee("prod", "L4"));
  t.Add("prod", {{"A100", 4000}});
  EXPECT_FALSE(t.BelowGuarantee("prod", "L4")) << "\"*\" is full with A100s";
}

TEST(TenantTree, FairShareDecaysWithTheHalfLife) {
  QueueConfig c = Config();
  c.usage_half_life = hours(1);
  TenantTree t(c);
  ManualClock clock(Time(hours(1000)));
  t.Advance(clock.Now());
  EXPECT_DOUBLE_EQ(t.FairShareKey("research"), 0.0);
  t.Add("research/nlp", {{"H100", 2000}});  // two GPUs
  t.Add("prod", {{"A100", 500}});           // half a GPU
  clock.Advance(hours(1));
  t.Advance(clock.Now());
  // An hour of two GPUs: 7200 GPU-seconds, for the tenant and its ancestor.
  EXPECT_DOUBLE_EQ(t.tenants().at("research/nlp").gpu_seconds, 7200.0);
  EXPECT_DOUBLE_EQ(t.FairShareKey("research/nlp"), 7200.0);
  EXPECT_DOUBLE_EQ(t.tenants().at("research").gpu_seconds, 7200.0);
  EXPECT_DOUBLE_EQ(t.FairShareKey("research"), 3600.0) << "weight 2 halves the key";
  EXPECT_DOUBLE_EQ(t.FairShareKey("prod"), 1800.0);
  EXPECT_DOUBLE_EQ(t.FairShareKey("unknown"), 0.0);

  t.Remove("research/nlp", {{"H100", 2000}});
  t.Remove("prod", {{"A100", 500}});
  clock.Advance(hours(1));
  t.Advance(clock.Now());
  EXPECT_DOUBLE_EQ(t.FairShareKey("research/nlp"), 3600.0) << "one half-life: half";
  EXPECT_DOUBLE_EQ(t.FairShareKey("prod"), 900.0);
  clock.Advance(hours(2));
  t.Advance(clock.Now());
  EXPECT_DOUBLE_EQ(t.FairShareKey("research/nlp"), 900.0) << "two more: a quarter";
  // Time going backwards, or standing still, changes nothing.
  t.Advance(clock.Now() - hours(3));
  t.Advance(clock.Now());
  EXPECT_DOUBLE_EQ(t.FairShareKey("research/nlp"), 900.0);
  // Half an hour: 2^-0.5.
  clock.Advance(minutes(30));
  t.Advance(clock.Now());
  EXPECT_NEAR(t.FairShareKey("research/nlp"), 900.0 / std::sqrt(2.0), 1e-9);
}

TEST(TenantTree, ShorterHalfLifeForgetsFaster) {
  QueueConfig c;
  c.usage_half_life = minutes(15);
  TenantTree t(c);
  ManualClock clock(Time(hours(10)));
  t.Advance(clock.Now());
  t.Add("a", {{"H100", 1000}});
  clock.Advance(minutes(10));
  t.Advance(clock.Now());
  EXPECT_DOUBLE_EQ(t.FairShareKey("a"), 600.0);
  t.Remove("a", {{"H100", 1000}});
  clock.Advance(hours(1));
  t.Advance(clock.Now());
  EXPECT_DOUBLE_EQ(t.FairShareKey("a"), 600.0 / 16.0) << "four half-lives";
}

TEST(TenantTree, WeightsOrderTheFairShare) {
  QueueConfig c;
  c.tenants.push_back({"heavy", 4.0, {}, {}});
  c.tenants.push_back({"light", 1.0, {}, {}});
  TenantTree t(c);
  ManualClock clock(Time(hours(10)));
  t.Advance(clock.Now());
  t.Add("heavy", {{"H100", 3000}});
  t.Add("light", {{"H100", 1000}});
  clock.Advance(minutes(10));
  t.Advance(clock.Now());
  // heavy used three times as much but weighs four times: it goes first.
  EXPECT_DOUBLE_EQ(t.FairShareKey("heavy"), 1800.0 / 4.0);
  EXPECT_DOUBLE_EQ(t.FairShareKey("light"), 600.0);
  EXPECT_LT(t.FairShareKey("heavy"), t.FairShareKey("light"));
}

}  // namespace
}  // namespace harch
