// An SVG heatmap: one <rect class="cell"> per value, filled on a linear scale from white (0) to
// dark blue (1, #08306B, the end of ColorBrewer's "Blues"); row labels right-aligned on the
// left, column labels above, turned 45 degrees so long tokens do not overlap; a colour bar on
// the right. Label widths are estimated (0.6 em per character, twice that for East Asian wide
// characters), as SVG has no text measurement without a renderer.
#include "nnlab/report/heatmap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "nnlab/report/html.h"

namespace nnlab::report {

namespace {

constexpr double kFontSize = 12;
constexpr double kCharWidth = 0.6 * kFontSize;
constexpr int kMargin = 8;
constexpr int kTitleHeight = 24;
constexpr int kBarWidth = 12;
constexpr double kSin45 = 0.70710678118654752;

// Text for an XML text node or attribute: escaped as for HTML, without the control characters
// XML 1.0 does not allow.
std::string xml_escape(const std::string& text) {
  std::string printable;
  printable.reserve(text.size());
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') printable += c;
  }
  return html_escape(printable);
}

// Estimated width of text in character cells: CJK and other wide code points count twice.
double text_width(const std::string& text) {
  double width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    length = std::min(length, text.size() - i);
    unsigned code = lead;
    if (length == 3) {
      code = ((lead & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
             (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
    }
    const bool wide = length == 4 || (length == 3 && code >= 0x1100 &&
                                      !(code >= 0x2000 && code < 0x2E80) && code < 0xFF61);
    width += wide ? 2 : 1;
    i += length;
  }
  return width;
}

std::string number(double value, const char* format = "%.1f") {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// White -> #08306B.
std::string fill(double value) {
  const auto channel = [&](int dark) {
    return static_cast<int>(std::lround(255.0 + (dark - 255.0) * value));
  };
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "#%02X%02X%02X", channel(0x08), channel(0x30),
                channel(0x6B));
  return buffer;
}

}  // namespace

std::string heatmap_svg(const std::vector<std::vector<float>>& values,
                        const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& column_labels,
                        const HeatmapOptions& options) {
  if (row_labels.size() != values.size()) {
    throw std::invalid_argument("heatmap_svg: " + std::to_string(row_labels.size()) +
                                " row labels for " + std::to_string(values.size()) + " rows");
  }
  for (size_t r = 0; r < values.size(); ++r) {
    if (values[r].size() != column_labels.size()) {
      throw std::invalid_argument("heatmap_svg: row " + std::to_string(r) + " has " +
                                  std::to_string(values[r].size()) + " values, but there are " +
                                  std::to_string(column_labels.size()) + " column labels");
    }
  }
  if (options.cell <= 0) {
    throw std::invalid_argument("heatmap_svg: cell size " + std::to_string(options.cell) +
                                " is not positive");
  }

  const double cell = options.cell;
  double row_label_width = 0;
  for (const auto& label : row_labels) {
    row_label_width = std::max(row_label_width, text_width(label));
  }
  double column_label_width = 0;
  for (const auto& label : column_labels) {
    column_label_width = std::max(column_label_width, text_width(label));
  }
  const double title_height = options.title.empty() ? 0 : kTitleHeight;
  const double left = kMargin + row_label_width * kCharWidth + 6;
  // A label turned 45 degrees rises by its length / sqrt(2).
  const double top = kMargin + title_height + column_label_width * kCharWidth * kSin45 + 8;
  const double grid_width = cell * static_cast<double>(column_labels.size());
  const double grid_height = cell * static_cast<double>(values.size());
  const double bar_x = left + grid_width + 16;
  const double bar_height = std::max(grid_height, 4 * kFontSize);
  // The last column label leans right beyond the grid by about its rise.
  const double width = std::max(bar_x + kBarWidth + 4 + 2 * kCharWidth,
                                left + grid_width + column_label_width * kCharWidth) +
                       kMargin;
  const double height = top + bar_height + kMargin;

  std::string svg;
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width) + "\" height=\"" +
         number(height) + "\" viewBox=\"0 0 " + number(width) + " " + number(height) +
         "\" font-family=\"sans-serif\" font-size=\"" + number(kFontSize, "%.0f") + "\">\n";
  svg +=
      "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
      "<stop offset=\"0\" stop-color=\"" +
      fill(0) + "\"/><stop offset=\"1\" stop-color=\"" + fill(1) + "\"/></linearGradient></defs>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#FFFFFF\"/>\n";
  if (!options.title.empty()) {
    svg += "<text x=\"" + number(width / 2) + "\" y=\"" + number(kMargin + 16) +
           "\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" +
           xml_escape(options.title) + "</text>\n";
  }

  for (size_t c = 0; c < column_labels.size(); ++c) {
    const double x = left + cell * (static_cast<double>(c) + 0.5);
    const double y = top - 6;
    svg += "<text class=\"column-label\" x=\"" + number(x) + "\" y=\"" + number(y) +
           "\" transform=\"rotate(-45 " + number(x) + " " + number(y) + ")\">" +
           xml_escape(column_labels[c]) + "</text>\n";
  }
  for (size_t r = 0; r < values.size(); ++r) {
    const double y = top + cell * static_cast<double>(r);
    svg += "<text class=\"row-label\" x=\"" + number(left - 6) + "\" y=\"" + number(y + cell / 2) +
           "\" text-anchor=\"end\" dominant-baseline=\"central\">" + xml_escape(row_labels[r]) +
           "</text>\n";
    for (size_t c = 0; c < values[r].size(); ++c) {
      // Clamped to [0, 1]; NaN draws as 0.
      const float raw = values[r][c];
      const double value = raw > 0 ? std::min<double>(raw, 1.0) : 0.0;
      const double x = left + cell * static_cast<double>(c);
      svg += "<rect class=\"cell\" x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" +
             number(cell) + "\" height=\"" + number(cell) + "\" fill=\"" + fill(value) +
             "\"><title>" + xml_escape(row_labels[r]) + " / " + xml_escape(column_labels[c]) +
             ": " + number(value, "%.3f") + "</title></rect>\n";
      if (options.show_values) {
        svg += "<text x=\"" + number(x + cell / 2) + "\" y=\"" + number(y + cell / 2) +
               "\" text-anchor=\"middle\" dominant-baseline=\"central\" font-size=\"" +
               number(std::min(kFontSize, cell / 3), "%.0f") + "\" fill=\"" +
               (value > 0.5 ? "#FFFFFF" : "#000000") + "\">" + number(value, "%.2f") + "</text>\n";
      }
    }
  }
  svg += "<rect x=\"" + number(left) + "\" y=\"" + number(top) + "\" width=\"" +
         number(grid_width) + "\" height=\"" + number(grid_height) +
         "\" fill=\"none\" stroke=\"#888888\"/>\n";

  svg += "<rect class=\"colour-bar\" x=\"" + number(bar_x) + "\" y=\"" + number(top) +
         "\" width=\"" + number(kBarWidth) + "\" height=\"" + number(bar_height) +
         "\" fill=\"url(#scale)\" stroke=\"#888888\"/>\n";
  svg += "<text x=\"" + number(bar_x + kBarWidth + 4) + "\" y=\"" + number(top + kFontSize - 2) +
         "\">1</text>\n";
  svg += "<text x=\"" + number(bar_x + kBarWidth + 4) + "\" y=\"" + number(top + bar_height) +
         "\">0</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace nnlab::report
