#include "nnlab/report/table.h"

#include <gtest/gtest.h>

namespace nnlab::report {

TEST(Table, AlignsColumnsAndWritesCsv) {
  Table t({"layer", "params"});
  t.add_row({"conv1", "156"});
  t.add_row({"fc, \"big\"", "48,120"});
  t.add_rule();
  t.add_row({"total", "61,706"});
  const auto text = t.render();
  EXPECT_NE(text.find("conv1         156"), std::string::npos) << text;
  EXPECT_NE(text.find("total      61,706"), std::string::npos) << text;
  EXPECT_EQ(t.to_csv(),
            "layer,params\nconv1,156\n\"fc, \"\"big\"\"\",\"48,120\"\ntotal,\"61,706\"\n");
}

TEST(Table, Numbers) {
  EXPECT_EQ(grouped(61706), "61,706");
  EXPECT_EQ(grouped(-1234567), "-1,234,567");
  EXPECT_EQ(grouped(12), "12");
  EXPECT_EQ(percent(0.8913, 2), "89.13%");
  EXPECT_EQ(fixed(2.5, 0), "2");  // round-half-even of printf
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(100), "100 B");
}

}  // namespace nnlab::report
