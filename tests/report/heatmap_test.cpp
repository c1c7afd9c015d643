#include "nnlab/report/heatmap.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace nnlab::report {
namespace {

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(Heatmap, CellsLabelsAndTitle) {
  const std::vector<std::vector<float>> attention = {{0.9f, 0.1f, 0.0f}, {0.2f, 0.7f, 0.1f}};
  HeatmapOptions options;
  options.title = "Attention <AH>";
  const std::string svg = heatmap_svg(attention, {"<s>", "AH"}, {"A", "B&C", "\"q\""}, options);

  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(svg, "<svg "), 1u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(count(svg, "<rect class=\"cell\""), 2u * 3u);
  // Every element that opens also closes (a cheap well-formedness check).
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
  EXPECT_EQ(count(svg, "<title>"), count(svg, "</title>"));

  // Labels and title are escaped; no raw label text is left.
  EXPECT_NE(svg.find(">&lt;s&gt;</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">B&amp;C</text>"), std::string::npos);
  EXPECT_NE(svg.find(">&quot;q&quot;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">Attention &lt;AH&gt;</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<s>"), std::string::npos);
  EXPECT_EQ(svg.find("B&C"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"row-label\""), 2u);
  EXPECT_EQ(count(svg, "class=\"column-label\""), 3u);

  // The scale runs from white at 0 to dark blue (#08306B) at 1; 0.9 is 90% of the way.
  EXPECT_NE(svg.find("fill=\"#FFFFFF\"><title>&lt;s&gt; / &quot;q&quot;: 0.000</title>"),
            std::string::npos);
  EXPECT_NE(svg.find("fill=\"#21457A\"><title>&lt;s&gt; / A: 0.900</title>"), std::string::npos);
  EXPECT_NE(svg.find("stop-color=\"#08306B\""), std::string::npos);
  // No values printed unless asked.
  EXPECT_EQ(svg.find(">0.90</text>"), std::string::npos);
}

TEST(Heatmap, ClampsAndShowsValues) {
  HeatmapOptions options;
  options.show_values = true;
  const std::string svg = heatmap_svg({{-0.5f, 2.0f}}, {"r"}, {"a", "b"}, options);
  EXPECT_NE(svg.find(">0.00</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">1.00</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "<rect class=\"cell\""), 2u);
  EXPECT_NE(svg.find("fill=\"#FFFFFF\"><title>r / a: 0.000</title>"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#08306B\"><title>r / b: 1.000</title>"), std::string::npos);
  // No title element at the top when none is given.
  EXPECT_EQ(svg.find("font-weight=\"bold\""), std::string::npos);
}

TEST(Heatmap, MismatchedLabelsThrow) {
  const std::vector<std::vector<float>> values = {{0.1f, 0.2f}, {0.3f, 0.4f}};
  EXPECT_THROW(heatmap_svg(values, {"only one"}, {"a", "b"}), std::invalid_argument);
  EXPECT_THROW(heatmap_svg(values, {"r1", "r2"}, {"a", "b", "c"}), std::invalid_argument);
  EXPECT_THROW(heatmap_svg({{0.1f, 0.2f}, {0.3f}}, {"r1", "r2"}, {"a", "b"}),
               std::invalid_argument);
  HeatmapOptions zero;
  zero.cell = 0;
  EXPECT_THROW(heatmap_svg(values, {"r1", "r2"}, {"a", "b"}, zero), std::invalid_argument);
  EXPECT_NO_THROW(heatmap_svg(values, {"r1", "r2"}, {"a", "b"}));
}

}  // namespace
}  // namespace nnlab::report
