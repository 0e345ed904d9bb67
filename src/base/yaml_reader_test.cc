#include "base/yaml_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace harch {
namespace {

using ::testing::HasSubstr;

struct Thing {
  std::string name;
  int64_t count = 0;
  double ratio = 0;
  bool on = false;
  Bytes size;
};

Status ReadThing(std::string_view text, Thing* out) {
  auto root = LoadYaml(text, "t.yaml");
  if (!root.ok()) return root.status();
  YamlContext ctx("t.yaml");
  MapReader m(ctx, *root, "thing");
  m.RequiredString("name", &out->name);
  m.OptionalInt("count", &out->count, 0, 100);
  m.OptionalDouble("ratio", &out->ratio, 0.0, 1.0);
  m.OptionalBool("on", &out->on);
  m.OptionalBytes("size", &out->size, Bytes{0}, GiB(1));
  m.Done();
  return ctx.status();
}

TEST(YamlReader, ReadsTypedFields) {
  Thing t;
  ASSERT_TRUE(ReadThing("name: a\ncount: 7\nratio: 0.5\non: true\nsize: 512MiB\n", &t).ok());
  EXPECT_EQ(t.name, "a");
  EXPECT_EQ(t.count, 7);
  EXPECT_DOUBLE_EQ(t.ratio, 0.5);
  EXPECT_TRUE(t.on);
  EXPECT_EQ(t.size, MiB(512));
}

TEST(YamlReader, ErrorsNameLineColumnAndPath) {
  Thing t;
  Status s = ReadThing("name: a\ncount: many\n", &t);
  EXPECT_EQ(s.message(), "t.yaml:2:8: thing.count: expected an integer, got 'many'");
  s = ReadThing("name: a\ncount: 101\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("t.yaml:2:8: thing.count: value 101 is out of range [0, 100]"));
  s = ReadThing("count: 1\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("thing.name: missing required field"));
  s = ReadThing("name: a\ncuont: 1\n", &t);
  EXPECT_EQ(s.message(), "t.yaml:2:1: thing.cuont: unknown field 'cuont' (did you mean 'count'?)");
  s = ReadThing("name: a\nname: b\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("t.yaml:2:1: thing.name: duplicate key 'name'"));
  s = ReadThing("name: a\non: yes please\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("thing.on: expected true or false"));
  s = ReadThing("name: a\nsize: 2GiB\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("thing.size: size 2GiB is out of range"));
  s = ReadThing("name: [a\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("YAML syntax error"));
  s = ReadThing("- just a list\n", &t);
  EXPECT_THAT(s.message(), HasSubstr("thing: expected a mapping"));
}

TEST(YamlReader, RejectsDeepNestingBeforeParsing) {
  EXPECT_THAT(LoadYaml(std::string(100000, '['), "deep.yaml").status().message(),
              HasSubstr("nests deeper than"));
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  EXPECT_THAT(LoadYaml(dashes + "x\n", "deep.yaml").status().message(),
              HasSubstr("nests deeper than"));
  // Brackets inside quotes and comments do not count.
  EXPECT_TRUE(LoadYaml("a: '" + std::string(200, '[') + "' # " + std::string(200, '{') + "\n", "q.yaml").ok());
}

TEST(YamlReader, BoundsAliasExpansion) {
  // Each level doubles the tree the reader would walk.
  std::string doc = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 30; ++i) {
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
           ", *a" + std::to_string(i - 1) + "]\n";
  }
  auto root = LoadYaml(doc, "laughs.yaml");
  ASSERT_TRUE(root.ok());
  YamlLimits limits;
  limits.max_nodes_visited = 10'000;
  YamlContext ctx("laughs.yaml", limits);
  std::vector<std::string> out;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (ctx.failed()) return;
    if (n.IsSequence()) {
      if (!ctx.ExpectSequence(n, "x")) return;
      for (const auto& c : n) walk(c);
    } else {
      std::string s;
      ctx.ReadString(n, "x", &s);
    }
  };
  walk((*root)["a29"]);
  EXPECT_THAT(ctx.status().message(), HasSubstr("more than 10000 nodes"));
}

}  // namespace
}  // namespace harch
