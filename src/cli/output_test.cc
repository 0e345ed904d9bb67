#include "cli/output.h"

#include <gtest/gtest.h>

#include <sstream>

namespace harch {
namespace {

TEST(Table, PadsColumnsAndRightAlignsNumbers) {
  Table t({"HUB", "GPUS"});
  t.AddRow({"dakhla", "904"});
  t.AddRow({"dakar", "1,798"});
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str(),
            "HUB     GPUS\n"
            "dakhla    904\n"
            "dakar   1,798\n");
}

TEST(WithThousands, GroupsDigits) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1798), "1,798");
  EXPECT_EQ(WithThousands(100000), "100,000");
  EXPECT_EQ(WithThousands(-1234567), "-1,234,567");
}

}  // namespace
}  // namespace harch
