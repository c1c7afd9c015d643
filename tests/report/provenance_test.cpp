#include "nnlab/report/provenance.h"

#include <gtest/gtest.h>

namespace nnlab::report {

TEST(ProvenanceSection, OneEscapedRowPerKey) {
  const nlohmann::json block = {
      {"nnlab_commit", "abc<1>"}, {"cpu_isa", {"avx2", "avx512f"}}, {"threads", 2}};
  const auto html = provenance_section(block);
  EXPECT_EQ(html.rfind("<section id=\"provenance\">", 0), 0u) << html;
  EXPECT_NE(html.find("<tr><th>nnlab_commit</th><td>abc&lt;1&gt;</td></tr>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><th>cpu_isa</th><td>avx2 avx512f</td></tr>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr><th>threads</th><td>2</td></tr>"), std::string::npos) << html;
}

TEST(ProvenanceSection, GoesAtTheEndOfTheBody) {
  const nlohmann::json block = {{"seed", 0}};
  const auto html = with_provenance_section("<html><body><p>x</p></body></html>", block);
  EXPECT_EQ(html, "<html><body><p>x</p>" + provenance_section(block) + "</body></html>");
  EXPECT_EQ(with_provenance_section("<p>x</p>", block), "<p>x</p>" + provenance_section(block));
}

}  // namespace nnlab::report
