// The simulator's independent sovereignty check: a placement outside a data object's tag is
// counted, whatever the scheduler thought of it.
#include "sim/sovereignty_check.h"

#include <gtest/gtest.h>

namespace harch {
namespace {

DataObject Data(std::string name, std::vector<std::string> countries) {
  DataObject d;
  d.name = std::move(name);
  d.jurisdiction = std::move(countries);
  return d;
}

SovereigntyChecker Checker() {
  return SovereigntyChecker({{"dakhla-n1", "MA"}, {"dakhla-n2", "MA"}, {"dakar-n1", "SN"}});
}

TEST(SovereigntyCheckerTest, PlacementsInsideTheTagAreClean) {
  SovereigntyChecker c = Checker();
  EXPECT_TRUE(c.Check("j", {Data("d", {"MA"})}, {"dakhla-n1", "dakhla-n2"}).empty());
  EXPECT_TRUE(c.Check("k", {Data("d", {"MA", "SN"}), Data("e", {"SN", "MA", "FR"})}, {"dakhla-n1", "dakar-n1"}).empty());
  EXPECT_TRUE(c.Check("no-data", {}, {"dakar-n1"}).empty());
  EXPECT_EQ(c.placements_checked(), 3);
  EXPECT_EQ(c.violations(), 0);
}

TEST(SovereigntyCheckerTest, AnInjectedBadPlacementIsCounted) {
  SovereigntyChecker c = Checker();
  // A gang with one replica in Senegal although its data may only be processed in Morocco.
  const auto found = c.Check("gang", {Data("corpus", {"MA"})}, {"dakhla-n1", "dakar-n1", "dakar-n1"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].node, "dakar-n1");
  EXPECT_EQ(found[0].country, "SN");
  EXPECT_EQ(found[0].data, "corpus");
  EXPECT_EQ(c.violations(), 1);
  ASSERT_EQ(c.examples().size(), 1u);
  EXPECT_EQ(c.examples()[0], "gang on dakar-n1 (SN): data object 'corpus' is tagged [MA]");
}

TEST(SovereigntyCheckerTest, EveryDataObjectMustAllowTheCountry) {
  SovereigntyChecker c = Checker();
  // MA is in the first tag but not the second: the intersection is SN only.
  const auto found = c.Check("j", {Data("a", {"MA", "SN"}), Data("b", {"SN"})}, {"dakhla-n2"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].data, "b");
  EXPECT_EQ(c.violations(), 1);
  // Two bad placements of one job count twice; an empty tag allows nowhere.
  c.Check("j", {Data("a", {})}, {"dakar-n1"});
  EXPECT_EQ(c.violations(), 2);
}

TEST(SovereigntyCheckerTest, AnUnknownNodeIsAViolation) {
  SovereigntyChecker c = Checker();
  const auto found = c.Check("j", {Data("a", {"MA"})}, {"elsewhere"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].country, "unknown");
}

}  // namespace
}  // namespace harch
