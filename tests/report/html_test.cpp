#include "nnlab/report/html.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/data/image_io.h"
#include "nnlab/report/table.h"

namespace nnlab::report {

TEST(Html, Base64OfTheRfc4648Vectors) {
  auto b64 = [](const std::string& text) {
    return base64(std::vector<std::uint8_t>(text.begin(), text.end()));
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64({0xff, 0xfe, 0x00}), "//4A");
}

TEST(Html, EscapesMarkup) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(Html, PngDataUriHoldsTheImage) {
  torch::manual_seed(0);
  const auto image = data::quantize_to_8bit(torch::rand({3, 5, 7}));
  const auto uri = png_data_uri(image);
  const std::string prefix = "data:image/png;base64,";
  ASSERT_EQ(uri.substr(0, prefix.size()), prefix);
  // The PNG signature \x89PNG encodes to iVBORw0KGgo.
  EXPECT_EQ(uri.substr(prefix.size(), 11), "iVBORw0KGgo");
}

TEST(Html, LineChartPlacesPointsOnTheAxes) {
  Series s{"accuracy", {0, 8, 16}, {1.0, 0.5, 0.0}};
  ChartOptions o;
  o.width = 560;
  o.height = 320;
  const auto svg = svg_line_chart({s}, o);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  // Plot area: x from 60 to 560-150 = 410, y from 15 (top, 100%) to 320-45 = 275 (0%).
  EXPECT_NE(svg.find("points=\"60.0,15.0 235.0,145.0 410.0,275.0 \""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">accuracy</text>"), std::string::npos);
  EXPECT_NE(svg.find(">60%</text>"), std::string::npos);  // ticks every 20%
}

TEST(Html, TableAsHtml) {
  Table t({"a", "b"});
  t.add_row({"1", "<2>"});
  t.add_rule();
  t.add_row({"3", "4"});
  EXPECT_EQ(t.to_html(),
            "<table>\n<thead><tr><th>a</th><th>b</th></tr></thead>\n<tbody>\n"
            "<tr><td>1</td><td>&lt;2&gt;</td></tr>\n<tr class=\"rule\"><td>3</td><td>4</td></tr>\n"
            "</tbody>\n</table>\n");
}

}  // namespace nnlab::report
