// Building blocks of self-contained HTML reports: escaping, images embedded as data: URIs, and
// line charts drawn as inline SVG (no script, no external file, opens offline).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::report {

std::string html_escape(const std::string& text);

// RFC 4648 base64 with padding.
std::string base64(const std::vector<std::uint8_t>& bytes);

// (C, H, W) in [0,1] -> "data:image/png;base64,...".
std::string png_data_uri(const torch::Tensor& image);

struct Series {
  std::string name;
  std::vector<double> x, y;
};

struct ChartOptions {
  std::string x_label;
  std::string y_label;
  double y_min = 0;
  double y_max = 1;
  bool y_percent = true;  // y tick labels as percentages of 1
  int width = 560;
  int height = 320;
};

// A line chart with markers, axes, ticks and a legend, as an <svg> element.
std::string svg_line_chart(const std::vector<Series>& series, const ChartOptions& options);

}  // namespace nnlab::report
