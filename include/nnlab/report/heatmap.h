// Draws a matrix as a heatmap with labelled axes: the attention of a generated sequence (rows:
// output tokens, columns: input tokens). SVG, so it scales and the labels stay text.
#pragma once

#include <string>
#include <vector>

namespace nnlab::report {

struct HeatmapOptions {
  std::string title;
  int cell = 28;             // pixels per cell
  bool show_values = false;  // print each weight in its cell
};

// values: rows x columns, each in [0, 1] (clamped). Throws std::invalid_argument when the label
// counts do not match the matrix or a row's length differs.
std::string heatmap_svg(const std::vector<std::vector<float>>& values,
                        const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& column_labels,
                        const HeatmapOptions& options = {});

}  // namespace nnlab::report
