// The CSV reader, encoding helpers and timestamp parser on deliberately nasty input.
#include <gtest/gtest.h>

#include <fstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/text.h"
#include "core/timeparse.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

fs::path write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir / name, std::ios::binary) << bytes;
  return dir / name;
}

struct Row {
  std::size_t line;
  std::vector<std::string> fields;
  std::string error;
};

std::vector<Row> read_all(const fs::path& file, CsvOptions options = {}) {
  CsvReader reader(file, options);
  CsvRecord record;
  std::vector<Row> rows;
  while (reader.next(record)) rows.push_back({record.line, record.to_strings(), record.error});
  return rows;
}

const std::string kNasty =
    "\xEF\xBB\xBFid,text,n\r\n"
    "1,\"a, b\",2\r\n"
    "2,\"say \"\"hi\"\"\",3\r\n"
    "\r\n"
    "3,\"two\r\nlines\nthree\",4\n"
    "4,plain,\n"
    "5,\"\",\"x\"";

TEST(CsvReader, QuotesEmbeddedDelimitersNewlinesCrlfAndBom) {
  auto dir = testing::scratch_dir("csv");
  auto rows = read_all(write(dir, "nasty.csv", kNasty));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"id", "text", "n"}));  // BOM stripped
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "a, b", "2"}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"2", "say \"hi\"", "3"}));
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"3", "two\r\nlines\nthree", "4"}));
  EXPECT_EQ(rows[4].fields, (std::vector<std::string>{"4", "plain", ""}));
  EXPECT_EQ(rows[5].fields, (std::vector<std::string>{"5", "", "x"}));  // no final newline
  // Physical lines: the blank line 4 is skipped, the quoted record spans 5-7.
  std::vector<std::size_t> lines;
  for (const auto& r : rows) lines.push_back(r.line);
  EXPECT_EQ(lines, (std::vector<std::size_t>{1, 2, 3, 5, 8, 9}));
  for (const auto& r : rows) EXPECT_EQ(r.error, "");
}

TEST(CsvReader, TinyBufferGivesTheSameRecordsAsALargeOne) {
  // Every record and quote straddles a buffer refill somewhere.
  auto dir = testing::scratch_dir("csv");
  auto file = write(dir, "nasty.csv", kNasty + "\n6,\"" + std::string(300, 'z') + "\"\"q\",7\n");
  auto big = read_all(file);
  for (std::size_t size : {64, 65, 67, 70, 97}) {
    CsvOptions small;
    small.buffer_size = size;
    auto rows = read_all(file, small);
    ASSERT_EQ(rows.size(), big.size()) << "buffer " << size;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].fields, big[i].fields) << "buffer " << size << " row " << i;
      EXPECT_EQ(rows[i].line, big[i].line) << "buffer " << size << " row " << i;
    }
  }
  EXPECT_EQ(big.back().fields[1], std::string(300, 'z') + "\"q");
}

TEST(CsvReader, MultiCharacterDelimiterWithoutQuoting) {
  auto dir = testing::scratch_dir("csv");
  CsvOptions o;
  o.delimiter = "::";
  o.quoting = false;
  o.buffer_size = 64;
  std::string content;
  for (int i = 0; i < 20; ++i) content += std::to_string(i) + "::\"Title: A, B\" (1995)::Drama|Comedy\n";
  auto rows = read_all(write(dir, "movies.dat", content), o);
  ASSERT_EQ(rows.size(), 20u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].fields, (std::vector<std::string>{std::to_string(i), "\"Title: A, B\" (1995)", "Drama|Comedy"}));
    EXPECT_EQ(rows[i].line, i + 1);
  }
}

TEST(CsvReader, Latin1RecordsBecomeUtf8AndUtf8IsLeftAlone) {
  auto dir = testing::scratch_dir("csv");
  auto rows = read_all(write(dir, "mixed.csv", "1,Caf\xC3\xA9\n2,Mis\xE9rables\n"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields[1], "Caf\xC3\xA9");       // valid UTF-8 kept
  EXPECT_EQ(rows[1].fields[1], "Mis\xC3\xA9rables");  // Latin-1 e-acute converted
}

TEST(CsvReader, MovieLensStyleLatin1ItemFile) {
  CsvOptions o;
  o.delimiter = "|";
  o.quoting = false;
  auto rows = read_all(fs::path(HYBRIDREC_TEST_DATA) / "io/ml100k-mini/u.item", o);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].fields[1], "Mis\xC3\xA9rables, Les (1995)");
  EXPECT_TRUE(is_valid_utf8(rows[1].fields[1]));
  EXPECT_EQ(rows[3].fields[1], "\"Quoted\" Title (1994)");  // quotes are data here
  EXPECT_EQ(rows[0].fields.size(), 24u);
}

TEST(CsvReader, UnterminatedQuoteAndTextAfterQuoteAreReported) {
  auto dir = testing::scratch_dir("csv");
  auto rows = read_all(write(dir, "bad.csv", "a,\"ok\"x,b\nc,\"never closed\n"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("after a closing quote"), std::string::npos);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_NE(rows[1].error.find("unterminated"), std::string::npos);
}

TEST(CsvReader, MissingFileNamesIt) {
  try {
    CsvReader reader("/nonexistent/dir/x.csv");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.csv"), std::string::npos);
  }
}

TEST(CsvReader, DetectsDelimiters) {
  auto dir = testing::scratch_dir("csv");
  EXPECT_EQ(detect_delimiter(write(dir, "a", "1::2::3\n4::5::6\n")), "::");
  EXPECT_EQ(detect_delimiter(write(dir, "b", "1\t2\t3\n4\t5\t6\n")), "\t");
  EXPECT_EQ(detect_delimiter(write(dir, "c", "u;i;r\n1;2;3,5\n")), ";");
  EXPECT_EQ(detect_delimiter(write(dir, "d", "1|2|3\n4|5|6\n")), "|");
  EXPECT_EQ(detect_delimiter(write(dir, "e", "u,i\n1,\"a,b\"\n")), ",");
}

TEST(Text, Utf8ValidationAndLatin1Conversion) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));     // euro sign
  EXPECT_FALSE(is_valid_utf8("\xE9t\xE9"));       // Latin-1
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));        // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));    // surrogate
  EXPECT_EQ(latin1_to_utf8("\xE9"), "\xC3\xA9");
  EXPECT_EQ(latin1_to_utf8("a\xFF"), "a\xC3\xBF");
  EXPECT_EQ(parse_int64(" 42 "), 42);
  EXPECT_FALSE(parse_int64("4x"));
  EXPECT_FALSE(parse_double("nan"));
  EXPECT_DOUBLE_EQ(*parse_double("3.5"), 3.5);
}

TEST(TimeParse, UnixAndIso8601) {
  EXPECT_EQ(parse_timestamp("881250949"), 881250949);
  EXPECT_EQ(parse_timestamp("881250949.75"), 881250949);
  EXPECT_EQ(parse_timestamp("2024-01-15"), 1705276800);
  EXPECT_EQ(parse_timestamp("2024-01-15T10:30:00Z"), 1705314600);
  EXPECT_EQ(parse_timestamp("2024-01-15T10:30:00"), 1705314600);
  EXPECT_EQ(parse_timestamp("2024-01-15 10:30:00.250Z"), 1705314600);
  EXPECT_EQ(parse_timestamp("2024-01-15T12:30:00+02:00"), 1705314600);
  EXPECT_EQ(parse_timestamp("2024-01-15T05:00:00-0530"), 1705314600);
  EXPECT_EQ(parse_timestamp("2024-01-15T10:30"), 1705314600);
  EXPECT_EQ(parse_timestamp("2024-02-29"), 1709164800);  // leap day
  EXPECT_EQ(format_iso8601(1705314600), "2024-01-15T10:30:00Z");
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
}

TEST(TimeParse, RejectsWithAReason) {
  std::string why;
  EXPECT_FALSE(parse_timestamp("2023-02-29", &why));
  EXPECT_NE(why.find("does not exist"), std::string::npos) << why;
  EXPECT_FALSE(parse_timestamp("2024-13-01", &why));
  EXPECT_NE(why.find("month 13"), std::string::npos) << why;
  EXPECT_FALSE(parse_timestamp("2024-01-15T25:00:00Z", &why));
  EXPECT_FALSE(parse_timestamp("2024-01-15T10:30:00+2", &why));
  EXPECT_FALSE(parse_timestamp("yesterday", &why));
  EXPECT_NE(why.find("yesterday"), std::string::npos) << why;
  EXPECT_FALSE(parse_timestamp("", &why));
  EXPECT_FALSE(parse_timestamp("15/01/2024", &why));
  EXPECT_FALSE(parse_timestamp("2024-01-15Tjunk", &why));
}

}  // namespace
}  // namespace hybridrec
