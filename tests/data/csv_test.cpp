#include "nnlab/data/csv.h"

#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"

namespace nnlab::data {
namespace {

using testing_util::contains;
using testing_util::error_of;
using testing_util::TempDir;

TEST(Csv, QuotedFieldsDoubledQuotesAndCrlf) {
  const std::string text =
      "id,name,note\r\n"
      "1,\"Smith, John\",\"said \"\"hi\"\"\"\r\n"
      "2,\"two\r\nlines\",\"\"\r\n"
      "3,plain,x\r\n";
  const CsvTable t = CsvTable::parse(text, "mem.csv");
  ASSERT_EQ(t.header(), (std::vector<std::string>{"id", "name", "note"}));
  ASSERT_EQ(t.rows().size(), 3u);
  EXPECT_EQ(t.rows()[0][1], "Smith, John");
  EXPECT_EQ(t.rows()[0][2], "said \"hi\"");
  EXPECT_EQ(t.rows()[1][1], "two\r\nlines");
  EXPECT_EQ(t.rows()[1][2], "");
  EXPECT_EQ(t.rows()[2][1], "plain");
  // The quoted line break moves the third row to line 5.
  EXPECT_EQ(t.line_of(0), 2u);
  EXPECT_EQ(t.line_of(1), 3u);
  EXPECT_EQ(t.line_of(2), 5u);
}

TEST(Csv, BomStrippedAndLastNewlineOptional) {
  const CsvTable with_bom = CsvTable::parse("\xEF\xBB\xBFImgId,TrueLabel\n0,5\n1,7", "bom.csv");
  EXPECT_EQ(with_bom.header()[0], "ImgId");
  ASSERT_EQ(with_bom.rows().size(), 2u);
  EXPECT_EQ(with_bom.rows()[1], (std::vector<std::string>{"1", "7"}));
  // A trailing newline and blank lines do not make rows.
  const CsvTable blank = CsvTable::parse("a,b\n\n1,2\n\n", "blank.csv");
  ASSERT_EQ(blank.rows().size(), 1u);
  EXPECT_EQ(blank.line_of(0), 3u);
  EXPECT_TRUE(CsvTable::parse("a,b\n", "header_only.csv").rows().empty());
}

TEST(Csv, ColumnsByNameExactThenCaseInsensitive) {
  const CsvTable t = CsvTable::parse("ImgId,truelabel,TrueLabel\n0,1,2\n", "cols.csv");
  EXPECT_EQ(t.column("TrueLabel"), 2u);
  EXPECT_EQ(t.column("TRUELABEL"), 1u);
  EXPECT_EQ(t.column("imgid"), 0u);
  EXPECT_FALSE(t.column("TargetClass").has_value());
  const std::string message = error_of<core::FileError>([&] { t.require_column("TargetClass"); });
  EXPECT_TRUE(contains(message, "cols.csv: no column 'TargetClass' in the header"));
  EXPECT_TRUE(contains(message, "(columns: ImgId, truelabel, TrueLabel)"));
}

TEST(Csv, RaggedRowNamesFileAndLine) {
  TempDir dir;
  const std::string path = dir / "ragged.csv";
  testing_util::write_bytes(path, "a,b,c\n1,2,3\n4,5\n");
  const std::string message = error_of<core::FileError>([&] { CsvTable::read(path); });
  EXPECT_TRUE(contains(message, path + ": line 3: 2 fields, but the header has 3"));
}

TEST(Csv, MalformedQuotesNameFileAndLine) {
  EXPECT_TRUE(
      contains(error_of<core::FileError>([] { CsvTable::parse("a,b\n1,\"open\n2,3\n", "q.csv"); }),
               "q.csv: line 2: quoted field is never closed"));
  EXPECT_TRUE(
      contains(error_of<core::FileError>([] { CsvTable::parse("a,b\n1,\"x\"y\n", "q.csv"); }),
               "q.csv: line 2: unexpected 'y' after a closing quote"));
}

TEST(Csv, MissingAndEmptyFiles) {
  TempDir dir;
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { CsvTable::read(dir / "none.csv"); }),
                       dir / "none.csv: no such file"));
  testing_util::write_bytes(dir / "empty.csv", "");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { CsvTable::read(dir / "empty.csv"); }),
                       dir / "empty.csv: empty file"));
}

TEST(Csv, EscapeRoundTrips) {
  const std::vector<std::string> fields = {"plain", "with,comma", "with \"quote\"", "two\nlines",
                                           ""};
  EXPECT_EQ(csv_escape("plain"), "plain");
  EXPECT_EQ(csv_escape("a\"b"), "\"a\"\"b\"");
  const std::string line = csv_line(fields);
  const CsvTable t = CsvTable::parse(line + "\n" + line + "\n", "round.csv");
  EXPECT_EQ(t.header(), fields);
  ASSERT_EQ(t.rows().size(), 1u);
  EXPECT_EQ(t.rows()[0], fields);
}

}  // namespace
}  // namespace nnlab::data
