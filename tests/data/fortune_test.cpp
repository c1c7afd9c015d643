#include "nnlab/data/fortune.h"

#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"

namespace nnlab::data {
namespace {

using testing_util::TempDir;
using testing_util::write_bytes;

TEST(Fortune, StripsAnsiEscapes) {
  EXPECT_EQ(strip_ansi_escapes("\x1b[32m《夜思》\x1b[m"), "《夜思》");
  EXPECT_EQ(strip_ansi_escapes("a\x1b[1;33mb\x1b[0mc"), "abc");
  EXPECT_EQ(strip_ansi_escapes("plain"), "plain");
}

TEST(Fortune, ReadsRecordsAndDropsHighlightedLines) {
  TempDir dir;
  write_bytes(dir / "f", "first\nrecord\n\n%\n\x1b[33mby someone\x1b[m\n\nsecond\n%\n%\n\n");
  const auto records = read_fortunes(dir / "f");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].lines, (std::vector<std::string>{"first", "record"}));
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].lines, (std::vector<std::string>{"second"}));
  EXPECT_EQ(records[1].line, 7);
  FortuneOptions keep;
  keep.drop_highlighted = false;
  const auto all = read_fortunes(dir / "f", keep);
  EXPECT_EQ(all[1].lines, (std::vector<std::string>{"by someone", "", "second"}));
}

TEST(Fortune, ErrorsNameTheFile) {
  TempDir dir;
  EXPECT_THROW(read_fortunes(dir / "missing"), core::FileError);
  write_bytes(dir / "bad", "ok\n%\n\xff\xfe\n");
  try {
    read_fortunes(dir / "bad");
    FAIL();
  } catch (const core::FileError& e) {
    EXPECT_EQ(std::string(e.what()), dir / "bad" + ": line 3: invalid UTF-8");
  }
}

}  // namespace
}  // namespace nnlab::data
