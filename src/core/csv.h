#pragma once
// Streaming delimited-text reader for every dataset layout we load: RFC 4180
// quoting (delimiters, doubled quotes and newlines inside quotes), CRLF or LF,
// a UTF-8 BOM, Latin-1 text repaired to UTF-8, single-char delimiters or the
// multi-char "::" of MovieLens 1M/10M; gzip or xz files are decompressed on the fly.
//
// Speed and memory matter (10M-line files): the file is read through a fixed
// buffer, never held whole, and fields are string_views into that buffer, so a
// record costs no allocation. The views are valid only until the next next().
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_file.h"

namespace hybridrec {

struct CsvOptions {
  std::string delimiter = ",";  // one character, or several such as "::"
  // RFC 4180 quotes. Off for MovieLens '|' and '::' files, whose titles contain
  // bare quote characters that are data, not quoting.
  bool quoting = true;
  enum class Encoding { Auto, Utf8, Latin1 };
  // Auto: records that are not valid UTF-8 are read as Latin-1 (and, once one is
  // seen, every later record with high bytes is: the file is Latin-1).
  Encoding encoding = Encoding::Auto;
  std::size_t buffer_size = 1 << 20;  // grows when one record is larger
};

struct CsvRecord {
  std::size_t line = 0;  // 1-based physical line where the record starts
  std::vector<std::string_view> fields;
  // Non-empty when the record is structurally broken (unterminated quote, text
  // after a closing quote); the fields are then a best-effort split.
  std::string error;

  std::size_t size() const { return fields.size(); }
  std::string_view operator[](std::size_t i) const { return fields[i]; }
  std::vector<std::string> to_strings() const { return {fields.begin(), fields.end()}; }
};

class CsvReader {
 public:
  // Throws DataError naming the path when it cannot be opened.
  explicit CsvReader(const std::filesystem::path& path, CsvOptions options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next non-empty record; false at end of file. Blank lines are
  // skipped (they still count for line numbers).
  bool next(CsvRecord& record);

  const std::string& file_name() const { return file_name_; }  // for error messages
  const std::filesystem::path& path() const { return path_; }
  std::uint64_t file_size() const { return file_size_; }
  std::uint64_t bytes_consumed() const { return consumed_; }
  bool saw_latin1() const { return latin1_seen_; }
  const CsvOptions& options() const { return options_; }

 private:
  enum class Scan { Record, Blank, NeedMore };
  struct Span {
    char* begin;
    char* end;
    bool unescape;  // holds doubled quotes to collapse
  };

  bool refill();
  Scan scan(CsvRecord& record);
  Scan scan_quoted_line(CsvRecord& record);
  void finish_record(CsvRecord& record);
  bool delimiter_at(const char* p, const char* end) const;

  std::filesystem::path path_;
  std::string file_name_;
  CsvOptions options_;
  std::unique_ptr<InputFile> file_;  // decompresses .gz / .xz transparently
  std::uint64_t file_size_ = 0;
  std::uint64_t consumed_ = 0;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  char* begin_ = nullptr;  // first unconsumed byte
  char* end_ = nullptr;    // one past the last byte read
  bool eof_ = false;
  bool first_read_ = true;
  bool latin1_seen_ = false;
  std::size_t line_ = 1;  // physical line of begin_
  // Scan results of the current record.
  std::vector<Span> spans_;
  char* record_end_ = nullptr;  // where the next record starts
  std::size_t newlines_ = 0;    // physical line breaks the record consumed
  std::string recoded_;         // Latin-1 records converted to UTF-8
};

// Guesses the delimiter of a text file from its first lines: "::", tab, ',', ';'
// or '|', whichever splits them into the same number (> 1) of fields. Falls back to ','.
std::string detect_delimiter(const std::filesystem::path& path);

// Index of a header field equal to `name` (case-insensitive, surrounding spaces
// ignored), or -1.
int find_column(const std::vector<std::string>& header, std::string_view name);

}  // namespace hybridrec
