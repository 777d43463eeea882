#include "core/csv.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "core/error.h"
#include "core/text.h"

namespace hybridrec {

CsvReader::CsvReader(const std::filesystem::path& path, CsvOptions options)
    : path_(path), file_name_(path.filename().string()), options_(std::move(options)) {
  if (options_.delimiter.empty()) throw Error("CSV delimiter must not be empty");
  std::error_code ec;
  file_ = std::make_unique<InputFile>(path);
  file_size_ = std::filesystem::file_size(path, ec);
  capacity_ = std::max<std::size_t>(options_.buffer_size, 64);
  buffer_ = std::make_unique<char[]>(capacity_);
  begin_ = end_ = buffer_.get();
}

CsvReader::~CsvReader() = default;

bool CsvReader::refill() {
  if (eof_) return false;
  std::size_t pending = static_cast<std::size_t>(end_ - begin_);
  if (begin_ == buffer_.get() && pending == capacity_) {
    // One record is larger than the buffer: grow it (rare, long quoted text).
    auto bigger = std::make_unique<char[]>(capacity_ * 2);
    std::memcpy(bigger.get(), begin_, pending);
    buffer_ = std::move(bigger);
    capacity_ *= 2;
  } else if (pending > 0 && begin_ != buffer_.get()) {
    std::memmove(buffer_.get(), begin_, pending);
  }
  begin_ = buffer_.get();
  end_ = begin_ + pending;
  std::size_t got = file_->read(end_, capacity_ - pending);
  end_ += got;
  if (got == 0) eof_ = true;
  if (first_read_ && end_ - begin_ >= 3 && std::memcmp(begin_, "\xEF\xBB\xBF", 3) == 0) {
    begin_ += 3;  // UTF-8 byte order mark: not part of the first header name
    consumed_ += 3;
  }
  if (got > 0 || pending > 0) first_read_ = false;
  return got > 0;
}

bool CsvReader::delimiter_at(const char* p, const char* end) const {
  const auto& d = options_.delimiter;
  if (d.size() == 1) return p < end && *p == d[0];
  return static_cast<std::size_t>(end - p) >= d.size() && std::memcmp(p, d.data(), d.size()) == 0;
}

CsvReader::Scan CsvReader::scan(CsvRecord& record) {
  spans_.clear();
  record.error.clear();
  char* p = begin_;
  auto* nl = static_cast<char*>(std::memchr(p, '\n', static_cast<std::size_t>(end_ - p)));
  if (!nl && !eof_) return Scan::NeedMore;
  char* line_end = nl ? nl : end_;
  if (options_.quoting && std::memchr(p, '"', static_cast<std::size_t>(line_end - p))) return scan_quoted_line(record);

  // Fast path: no quotes on this line, so it is one record.
  record_end_ = nl ? nl + 1 : end_;
  newlines_ = nl ? 1 : 0;
  char* le = line_end;
  if (le > p && le[-1] == '\r') --le;
  if (le == p) return Scan::Blank;
  const auto& d = options_.delimiter;
  if (d.size() == 1) {
    char c = d[0];
    while (true) {
      auto* hit = static_cast<char*>(std::memchr(p, c, static_cast<std::size_t>(le - p)));
      if (!hit) break;
      spans_.push_back({p, hit, false});
      p = hit + 1;
    }
  } else {
    std::string_view line(p, static_cast<std::size_t>(le - p));
    std::size_t pos = 0;
    for (std::size_t hit; (hit = line.find(d, pos)) != std::string_view::npos; pos = hit + d.size())
      spans_.push_back({p + pos, p + hit, false});
    p += pos;
  }
  spans_.push_back({p, le, false});
  return Scan::Record;
}

// Slow path for a line with a quote: a quoted field may span several lines, so
// walk characters until the record's terminating newline outside quotes.
CsvReader::Scan CsvReader::scan_quoted_line(CsvRecord& record) {
  char* p = begin_;
  newlines_ = 0;
  const std::size_t dlen = options_.delimiter.size();
  while (true) {
    if (p < end_ && *p == '"') {
      char* content = p + 1;
      char* q = content;
      bool doubled = false;
      while (true) {
        auto* hit = static_cast<char*>(std::memchr(q, '"', static_cast<std::size_t>(end_ - q)));
        if (!hit) {
          if (!eof_) return Scan::NeedMore;
          record.error = "unterminated quoted field";
          newlines_ += static_cast<std::size_t>(std::count(content, end_, '\n'));
          spans_.push_back({content, end_, doubled});
          record_end_ = end_;
          return Scan::Record;
        }
        if (hit + 1 == end_ && !eof_) return Scan::NeedMore;  // could be the first of a doubled quote
        if (hit + 1 < end_ && hit[1] == '"') {
          doubled = true;
          q = hit + 2;
          continue;
        }
        newlines_ += static_cast<std::size_t>(std::count(content, hit, '\n'));
        spans_.push_back({content, hit, doubled});
        p = hit + 1;
        break;
      }
      // After the closing quote: a delimiter, the end of the line, or garbage.
      if (p < end_ && !delimiter_at(p, end_) && *p != '\n' && *p != '\r') {
        if (record.error.empty()) record.error = "unexpected text after a closing quote";
        while (p < end_ && !delimiter_at(p, end_) && *p != '\n') ++p;
        if (p == end_ && !eof_) return Scan::NeedMore;
      }
      // Need to see what follows the quote (a "::" or "\r\n" may be cut by the buffer end).
      if (static_cast<std::size_t>(end_ - p) <= dlen && !eof_) return Scan::NeedMore;
    } else {
      char* start = p;
      while (p < end_ && *p != '\n' && !delimiter_at(p, end_)) ++p;
      if (p == end_ && !eof_) return Scan::NeedMore;
      char* fe = p;
      if ((p == end_ || *p == '\n') && fe > start && fe[-1] == '\r') --fe;
      spans_.push_back({start, fe, false});
    }
    // p is at a delimiter, a line end ("\r\n" or "\n"), or the end of data.
    if (p < end_ && delimiter_at(p, end_)) {
      p += dlen;
      continue;
    }
    if (p < end_ && *p == '\r') {
      if (p + 1 == end_ && !eof_) return Scan::NeedMore;
      ++p;
    }
    if (p < end_ && *p == '\n') {
      ++newlines_;
      ++p;
    }
    record_end_ = p;
    return Scan::Record;
  }
}

void CsvReader::finish_record(CsvRecord& record) {
  for (auto& s : spans_) {
    if (!s.unescape) continue;
    // Collapse "" to " in place: the record is complete, the buffer is ours.
    char* w = s.begin;
    for (char* r = s.begin; r < s.end; ++r) {
      *w++ = *r;
      if (*r == '"' && r + 1 < s.end && r[1] == '"') ++r;
    }
    s.end = w;
  }
  record.fields.clear();
  std::string_view raw(begin_, static_cast<std::size_t>(record_end_ - begin_));
  bool recode = false;
  if (options_.encoding != CsvOptions::Encoding::Utf8 && has_high_bytes(raw)) {
    recode = options_.encoding == CsvOptions::Encoding::Latin1 || latin1_seen_ || !is_valid_utf8(raw);
    if (recode) latin1_seen_ = true;
  }
  if (!recode) {
    for (const auto& s : spans_) record.fields.emplace_back(s.begin, static_cast<std::size_t>(s.end - s.begin));
    return;
  }
  // Reserve the worst case (every byte doubles) so the views below stay valid.
  recoded_.clear();
  recoded_.reserve(raw.size() * 2);
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  ranges.reserve(spans_.size());
  for (const auto& s : spans_) {
    std::size_t start = recoded_.size();
    append_latin1_as_utf8(std::string_view(s.begin, static_cast<std::size_t>(s.end - s.begin)), recoded_);
    ranges.emplace_back(start, recoded_.size() - start);
  }
  for (auto [start, len] : ranges) record.fields.emplace_back(recoded_.data() + start, len);
}

bool CsvReader::next(CsvRecord& record) {
  while (true) {
    if (begin_ == end_) {
      if (eof_) return false;
      refill();
      continue;
    }
    Scan s = scan(record);
    if (s == Scan::NeedMore) {
      refill();
      continue;
    }
    std::size_t start_line = line_;
    line_ += newlines_;
    consumed_ += static_cast<std::uint64_t>(record_end_ - begin_);
    if (s == Scan::Blank) {
      begin_ = record_end_;
      continue;
    }
    record.line = start_line;
    finish_record(record);
    begin_ = record_end_;
    return true;
  }
}

std::string detect_delimiter(const std::filesystem::path& path) {
  LineReader in(path, 1 << 16);
  std::vector<std::string> lines;
  std::string_view line;
  while (lines.size() < 20 && in.next(line))
    if (!line.empty()) lines.emplace_back(line);
  if (lines.empty()) return ",";
  // "::" first: its single ':' would otherwise never be a candidate, but it must
  // beat ',' in "1::Toy Story, The (1995)::Comedy".
  for (std::string cand : {"::", "\t", ",", ";", "|"}) {
    std::size_t expected = 0;
    bool consistent = true;
    for (const auto& l : lines) {
      std::size_t count = 0;
      for (std::size_t pos = l.find(cand); pos != std::string::npos; pos = l.find(cand, pos + cand.size())) ++count;
      if (expected == 0) expected = count;
      // Quoted fields may hide delimiters, so later lines may have fewer or more
      // for ','; require every line to have at least one.
      if (count == 0 || (cand != "," && count != expected)) consistent = false;
    }
    if (consistent && expected > 0) return cand;
  }
  return ",";
}

int find_column(const std::vector<std::string>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (iequals(trim(header[i]), trim(name))) return static_cast<int>(i);
  return -1;
}

}  // namespace hybridrec
