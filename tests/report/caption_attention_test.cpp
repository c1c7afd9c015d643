#include "nnlab/report/caption_attention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/report/html.h"

namespace nnlab::report {

TEST(CaptionAttention, OverlayIsRedWhereTheAttentionWentAndGrayElsewhere) {
  // A 1 x 8 x 8 image of 0.5 under a 2 x 2 grid, all attention on the top-left region.
  const auto image = torch::full({1, 8, 8}, 0.5);
  const auto overlay = attention_overlay(image, {1, 0, 0, 0}, 2, 2);
  ASSERT_EQ(overlay.sizes(), (std::vector<std::int64_t>{3, 32, 32}));
  const float gray = 0.5f * 0.7f;
  // Green and blue are the gray image everywhere.
  EXPECT_TRUE(torch::allclose(overlay[1], torch::full({32, 32}, gray)));
  EXPECT_TRUE(torch::allclose(overlay[2], torch::full({32, 32}, gray)));
  // Red: gray plus the attention scaled to its maximum (1 in the top-left corner, 0 in the
  // bottom-right one), clamped to [0, 1].
  EXPECT_NEAR(overlay[0][0][0].item<float>(), 1.0f, 1e-6);
  EXPECT_NEAR(overlay[0][31][31].item<float>(), gray, 1e-6);
  // Each pixel is repeated 4x4.
  EXPECT_TRUE(torch::equal(overlay.slice(1, 0, 4).slice(2, 0, 4),
                           overlay.slice(1, 0, 1).slice(2, 0, 1).expand({3, 4, 4})));
  // Scaling to the maximum: a uniformly low attention is drawn as strongly as a peak.
  const auto flat = attention_overlay(image, {0.25f, 0.25f, 0.25f, 0.25f}, 2, 2);
  EXPECT_NEAR(flat[0][16][16].item<float>(), 1.0f, 1e-6);
}

TEST(CaptionAttention, PageHasTheImageAFigurePerStepAndTheProvenance) {
  CaptionAttentionPage page;
  page.title = "test scene <3>";
  page.text = "shirt bag";
  page.image = torch::rand({1, 8, 16});
  page.words = {"shirt", "bag"};
  page.attention = {{1, 0}, {0, 1}, {0.5f, 0.5f}};  // two words and </s>
  page.grid_h = 1;
  page.grid_w = 2;
  page.provenance = {{"nnlab", "test"}};
  const auto html = caption_attention_html(page);
  EXPECT_NE(html.find("<title>shirt bag</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>test scene &lt;3&gt;: shirt bag</h1>"), std::string::npos);
  std::size_t figures = 0;
  for (auto at = html.find("<figure>"); at != std::string::npos; at = html.find("<figure>", at + 1))
    ++figures;
  EXPECT_EQ(figures, 4u);  // the image and three steps
  EXPECT_NE(html.find("<figcaption>&lt;/s&gt;</figcaption>"), std::string::npos);
  EXPECT_NE(html.find("over the 1x2 regions"), std::string::npos);
  EXPECT_NE(html.find(png_data_uri(attention_overlay(page.image, page.attention[1], 1, 2))),
            std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 15), "</body></html>\n");
}

}  // namespace nnlab::report
