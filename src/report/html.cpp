#include "nnlab/report/html.h"

#include <algorithm>
#include <cstdio>

#include "nnlab/data/image_io.h"

namespace nnlab::report {

namespace {

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  return buffer;
}

std::string tick_label(double value, bool percent) {
  char buffer[32];
  if (percent) {
    std::snprintf(buffer, sizeof(buffer), "%.0f%%", value * 100);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%g", value);
  }
  return buffer;
}

// Colour-blind-safe palette (Okabe & Ito).
const char* colour(size_t i) {
  static const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                   "#E69F00", "#56B4E9", "#F0E442", "#000000"};
  return kColours[i % 8];
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const std::uint32_t v = bytes[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string png_data_uri(const torch::Tensor& image) {
  return "data:image/png;base64," + base64(data::encode_image(image, ".png"));
}

std::string svg_line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  const double left = 60, right = 150, top = 15, bottom = 45;
  const double plot_w = o.width - left - right, plot_h = o.height - top - bottom;
  double x_min = 0, x_max = 0;
  bool first = true;
  for (const auto& s : series) {
    for (const double x : s.x) {
      x_min = first ? x : std::min(x_min, x);
      x_max = first ? x : std::max(x_max, x);
      first = false;
    }
  }
  if (x_max <= x_min) x_max = x_min + 1;
  const double y_span = o.y_max > o.y_min ? o.y_max - o.y_min : 1;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return top + (1 - (y - o.y_min) / y_span) * plot_h; };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(o.width) +
                    "\" height=\"" + std::to_string(o.height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  // Grid and ticks: five steps on each axis.
  for (int i = 0; i <= 5; ++i) {
    const double y = o.y_min + y_span * i / 5;
    svg += "<line x1=\"" + number(left) + "\" x2=\"" + number(left + plot_w) + "\" y1=\"" +
           number(py(y)) + "\" y2=\"" + number(py(y)) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + number(left - 6) + "\" y=\"" + number(py(y) + 4) +
           "\" text-anchor=\"end\">" + tick_label(y, o.y_percent) + "</text>\n";
    const double x = x_min + (x_max - x_min) * i / 5;
    svg += "<text x=\"" + number(px(x)) + "\" y=\"" + number(top + plot_h + 16) +
           "\" text-anchor=\"middle\">" + tick_label(x, false) + "</text>\n";
  }
  svg += "<rect x=\"" + number(left) + "\" y=\"" + number(top) + "\" width=\"" + number(plot_w) +
         "\" height=\"" + number(plot_h) + "\" fill=\"none\" stroke=\"#888\"/>\n";
  svg += "<text x=\"" + number(left + plot_w / 2) + "\" y=\"" + number(o.height - 8) +
         "\" text-anchor=\"middle\">" + html_escape(o.x_label) + "</text>\n";
  svg += "<text transform=\"translate(14," + number(top + plot_h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(o.y_label) + "</text>\n";
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    std::string points;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      points += number(px(s.x[i])) + "," + number(py(s.y[i])) + " ";
      svg += "<circle cx=\"" + number(px(s.x[i])) + "\" cy=\"" + number(py(s.y[i])) +
             "\" r=\"3\" fill=\"" + colour(k) + "\"><title>" + html_escape(s.name) + ": " +
             tick_label(s.x[i], false) + " -> " + tick_label(s.y[i], o.y_percent) +
             "</title></circle>\n";
    }
    svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(colour(k)) +
           "\" points=\"" + points + "\"/>\n";
    const double ly = top + 10 + 18 * static_cast<double>(k);
    svg += "<line x1=\"" + number(left + plot_w + 10) + "\" x2=\"" + number(left + plot_w + 30) +
           "\" y1=\"" + number(ly) + "\" y2=\"" + number(ly) + "\" stroke-width=\"2\" stroke=\"" +
           colour(k) + "\"/>\n";
    svg += "<text x=\"" + number(left + plot_w + 35) + "\" y=\"" + number(ly + 4) + "\">" +
           html_escape(s.name) + "</text>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace nnlab::report
