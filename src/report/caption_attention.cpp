#include "nnlab/report/caption_attention.h"

#include <torch/nn/functional/upsampling.h>

#include <sstream>

#include "nnlab/report/html.h"
#include "nnlab/report/provenance.h"

namespace nnlab::report {

namespace {

torch::Tensor four_times(const torch::Tensor& image) {
  return torch::nn::functional::interpolate(image.unsqueeze(0),
                                            torch::nn::functional::InterpolateFuncOptions()
                                                .scale_factor(std::vector<double>{4, 4})
                                                .mode(torch::kNearest))
      .squeeze(0);
}

}  // namespace

torch::Tensor attention_overlay(const torch::Tensor& image, const std::vector<float>& attention,
                                std::int64_t grid_h, std::int64_t grid_w) {
  auto a = torch::tensor(attention).view({1, 1, grid_h, grid_w});
  a = torch::nn::functional::interpolate(
          a, torch::nn::functional::InterpolateFuncOptions()
                 .size(std::vector<std::int64_t>{image.size(1), image.size(2)})
                 .mode(torch::kBilinear)
                 .align_corners(false))
          .squeeze(0);
  a = a / a.max().clamp_min(1e-12);
  const auto gray = image.mean(0, true) * 0.7;
  return four_times(torch::cat({(gray + a).clamp(0, 1), gray, gray}, 0));
}

std::string caption_attention_html(const CaptionAttentionPage& page) {
  std::ostringstream html;
  html << "<!doctype html><html><head><meta charset=\"utf-8\"><title>" << html_escape(page.text)
       << "</title><style>body{font-family:sans-serif}"
       << "figure{display:inline-block;margin:8px;text-align:center}</style></head><body>"
       << "<h1>" << html_escape(page.title) << ": " << html_escape(page.text)
       << "</h1><figure><img src=\"" << png_data_uri(four_times(page.image))
       << "\"><figcaption>the image</figcaption></figure>";
  const auto image = page.image.cpu();
  for (std::size_t t = 0; t < page.attention.size(); ++t) {
    const auto word = t < page.words.size() ? page.words[t] : std::string("</s>");
    html << "<figure><img src=\""
         << png_data_uri(attention_overlay(image, page.attention[t], page.grid_h, page.grid_w))
         << "\"><figcaption>" << html_escape(word) << "</figcaption></figure>";
  }
  html << "<p>Red: where the decoder looked while writing each word (its attention over the "
       << page.grid_h << "x" << page.grid_w << " regions).</p>"
       << provenance_section(page.provenance) << "</body></html>\n";
  return html.str();
}

}  // namespace nnlab::report
