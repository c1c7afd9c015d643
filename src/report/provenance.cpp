#include "nnlab/report/provenance.h"

#include "nnlab/report/html.h"

namespace nnlab::report {

std::string provenance_section(const nlohmann::json& provenance) {
  std::string html = "<section id=\"provenance\"><h2>Provenance</h2><table class=\"provenance\">";
  for (const auto& [key, value] : provenance.items()) {
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_array()) {
      for (const auto& item : value) {
        if (!text.empty()) text += " ";
        text += item.is_string() ? item.get<std::string>() : item.dump();
      }
    } else {
      text = value.dump();
    }
    html += "<tr><th>" + html_escape(key) + "</th><td>" + html_escape(text) + "</td></tr>";
  }
  return html + "</table></section>";
}

std::string with_provenance_section(std::string html, const nlohmann::json& provenance) {
  const auto end = html.rfind("</body>");
  const auto section = provenance_section(provenance);
  if (end == std::string::npos) return html + section;
  html.insert(end, section);
  return html;
}

}  // namespace nnlab::report
