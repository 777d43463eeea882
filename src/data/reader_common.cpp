// Parsing pieces every format shares: events, entity files, one interaction row.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <unordered_set>

#include "core/input_file.h"
#include "core/text.h"
#include "core/timeparse.h"
#include "data/reader_internal.h"

namespace hybridrec {

std::optional<Event> parse_event_fast(std::string_view text) {
  // Exact lower-case names first: parse_event lower-cases into a new string,
  // too slow for 10M rows.
  switch (text.size()) {
    case 4:
      if (text == "view") return Event::View;
      break;
    case 6:
      if (text == "rating") return Event::Rating;
      break;
    case 8:
      if (text == "purchase") return Event::Purchase;
      break;
    case 11:
      if (text == "add_to_cart") return Event::AddToCart;
      break;
    default:
      break;
  }
  return parse_event(trim(text));
}

float transform_weight(float raw, std::string_view transform) {
  if (transform == "log1p") return std::log1p(raw);
  if (transform == "raw") return raw;
  if (transform == "binary") return raw > 0.0f ? 1.0f : 0.0f;
  throw ConfigError("data.weight_transform must be raw, log1p or binary (got '" + std::string(transform) + "')");
}

std::size_t count_lines(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return 0;
  InputFile file(path);
  constexpr std::size_t kChunk = 1 << 20;
  auto buf = std::make_unique<char[]>(kChunk);
  std::size_t lines = 0, got = 0;
  char last = '\n';
  while ((got = file.read(buf.get(), kChunk)) > 0) {
    for (std::size_t i = 0; i < got; ++i) lines += buf[i] == '\n';
    last = buf[got - 1];
  }
  return lines + (last != '\n');  // a last line without newline
}

namespace detail {

void require_nonempty_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw DataError(path.string(), 0, "", "missing " + std::string(what) + " file");
  if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) == 0)
    throw DataError(path.string(), 0, "", "empty " + std::string(what) + " file");
}

bool check_record(RowErrorHandler& errors, const CsvReader& reader, const CsvRecord& record, std::size_t expected,
                  bool allow_more) {
  if (!record.error.empty()) {
    report(errors, reader, record.line, "", record.error, "malformed_row");
    return false;
  }
  if (record.size() < expected || (!allow_more && record.size() > expected)) {
    report(errors, reader, record.line, "",
           "expected " + std::to_string(expected) + " fields, got " + std::to_string(record.size()), "malformed_row");
    return false;
  }
  return true;
}

void drop_duplicate_ids(RawEntityFile& file, RowErrorHandler& errors) {
  std::unordered_map<std::string, std::size_t> first_line;
  std::size_t kept = 0;
  for (std::size_t r = 0; r < file.ids.size(); ++r) {
    auto [it, inserted] = first_line.emplace(file.ids[r], file.lines[r]);
    if (!inserted) {
      errors.bad_row(DataError(file.path.filename().string(), file.lines[r], "id",
                               "duplicate id '" + file.ids[r] + "' (first on line " + std::to_string(it->second) + ")"),
                     "duplicate_id");
      continue;
    }
    if (kept != r) {
      file.ids[kept] = std::move(file.ids[r]);
      file.lines[kept] = file.lines[r];
      file.values[kept] = std::move(file.values[r]);
    }
    ++kept;
  }
  file.ids.resize(kept);
  file.lines.resize(kept);
  file.values.resize(kept);
}

RawEntityFile read_entity_csv(const std::filesystem::path& path, std::string_view id_column, const CsvOptions& csv,
                              RowErrorHandler& errors) {
  require_nonempty_file(path, std::string(path.filename().string()));
  CsvReader reader(path, csv);
  CsvRecord record;
  RawEntityFile out;
  out.path = path;
  if (!reader.next(record)) throw DataError(path.string(), 0, "", "empty file");
  std::vector<std::string> header = record.to_strings();
  for (auto& h : header) h = std::string(trim(h));
  int id_index = find_column(header, id_column);
  if (id_index < 0)
    throw DataError(reader.file_name(), record.line, std::string(id_column), "missing id column in header");
  for (std::size_t c = 0; c < header.size(); ++c)
    if (static_cast<int>(c) != id_index) out.columns.push_back(header[c]);
  while (reader.next(record)) {
    if (!check_record(errors, reader, record, header.size())) continue;
    std::string_view id = trim(record[id_index]);
    if (id.empty()) {
      report(errors, reader, record.line, std::string(id_column), "empty id", "missing_field");
      continue;
    }
    out.ids.emplace_back(id);
    out.lines.push_back(record.line);
    auto& row = out.values.emplace_back();
    row.reserve(out.columns.size());
    for (std::size_t c = 0; c < header.size(); ++c)
      if (static_cast<int>(c) != id_index) row.emplace_back(trim(record[c]));
  }
  drop_duplicate_ids(out, errors);
  return out;
}

std::string year_from_title(std::string_view title) {
  title = trim(title);
  // MovieLens titles end in "(1995)"; a few have "(1995/I)" or trailing spaces.
  auto open = title.rfind('(');
  if (open == std::string_view::npos || open + 5 >= title.size()) return "";
  std::string_view inside = title.substr(open + 1, 4);
  for (char c : inside)
    if (c < '0' || c > '9') return "";
  return std::string(inside);
}

namespace {
void report(RowErrorHandler& errors, const std::string& file, std::size_t line, std::string_view field,
            const std::string& message, std::string_view code) {
  errors.bad_row(DataError(file, line, std::string(field), message), code);
}

std::optional<std::uint8_t> parse_part(std::string_view text) {
  const std::string t = to_lower(trim(text));
  if (t == "train" || t == "training") return static_cast<std::uint8_t>(SuppliedPart::Train);
  if (t == "validation" || t == "valid" || t == "val") return static_cast<std::uint8_t>(SuppliedPart::Validation);
  if (t == "test") return static_cast<std::uint8_t>(SuppliedPart::Test);
  return std::nullopt;
}
}  // namespace

void configure_sources(DatasetSources& src, const ColumnMap& cols, const LoadOptions& options) {
  src.weighted = cols.has(ColumnRole::Weight);
  src.explicit_ratings = !cols.has(ColumnRole::Event) && cols.has(ColumnRole::Rating);
  src.has_timestamps = cols.has(ColumnRole::Time);
  src.has_split_column = cols.has(ColumnRole::Split);
  src.rating_min = options.rating_min.value_or(1.0f);
  src.rating_max = options.rating_max.value_or(5.0f);
  transform_weight(1.0f, options.weight_transform);  // an unknown transform fails before reading
}

RowParser::RowParser(const ColumnMap& columns) : columns_(columns) {
  cells_.has_event = columns.has(ColumnRole::Event);
  cells_.value_is_weight = columns.has(ColumnRole::Weight);
  value_column_ = cells_.value_is_weight ? columns[ColumnRole::Weight] : columns[ColumnRole::Rating];
  cells_.has_value = value_column_ >= 0;
  cells_.has_timestamp = columns.has(ColumnRole::Time);
  cells_.has_part = columns.has(ColumnRole::Split);
  cells_.user_field = columns_.name_of(ColumnRole::User);
  cells_.item_field = columns_.name_of(ColumnRole::Item);
  cells_.event_field = columns_.name_of(ColumnRole::Event);
  // Views into the member copy: they live as long as the parser.
  cells_.value_field = columns_.name_of(cells_.value_is_weight ? ColumnRole::Weight : ColumnRole::Rating);
  cells_.timestamp_field = columns_.name_of(ColumnRole::Time);
  cells_.part_field = columns_.name_of(ColumnRole::Split);
  // Without an event column every row is a rating when there are ratings, a view
  // otherwise (a weighted view for play counts).
  default_event_ = columns.has(ColumnRole::Rating) && !cells_.value_is_weight ? Event::Rating : Event::View;
}

bool parse_interaction(const InteractionCells& cells, Event default_event, const std::string& file, std::size_t line,
                       RowErrorHandler& errors, RawInteraction& out) {
  out.line = line;
  out.user = trim(cells.user);
  out.item = trim(cells.item);
  if (out.user.empty()) {
    report(errors, file, line, std::string(cells.user_field), "empty user id", "missing_field");
    return false;
  }
  if (out.item.empty()) {
    report(errors, file, line, std::string(cells.item_field), "empty item id", "missing_field");
    return false;
  }
  out.event = default_event;
  if (cells.has_event) {
    auto e = parse_event_fast(cells.event);
    if (!e) {
      std::string_view ev = trim(cells.event);
      report(errors, file, line, std::string(cells.event_field),
             ev.empty() ? std::string("empty event (expected view, add_to_cart, purchase, rating)")
                        : "unknown event '" + std::string(ev) + "' (expected view, add_to_cart, purchase, rating)",
             ev.empty() ? "missing_field" : "unknown_event");
      return false;
    }
    out.event = *e;
  }
  out.value = std::numeric_limits<float>::quiet_NaN();
  if (cells.has_value) {
    std::string_view v = cells.value;
    double parsed = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
    bool present = true;
    if (ec == std::errc() && ptr == v.data() + v.size() && std::isfinite(parsed)) {
      out.value = static_cast<float>(parsed);
    } else if (!trim(v).empty()) {
      auto slow = parse_double(v);
      if (!slow) {
        report(errors, file, line, std::string(cells.value_field), "not a number: '" + std::string(trim(v)) + "'",
               "non_numeric_value");
        return false;
      }
      parsed = *slow;
      out.value = static_cast<float>(*slow);
    } else {
      present = false;
    }
    // A weight is a confidence: finite (also as a float) and >= 0, on no rating scale.
    if (cells.value_is_weight && present && (!std::isfinite(out.value) || parsed < 0)) {
      report(errors, file, line, std::string(cells.value_field),
             "weight " + std::string(trim(v)) + " is not a finite number >= 0 (a weight column holds counts or "
             "quantities; use --rating-col for ratings)",
             "bad_weight");
      return false;
    }
  }
  if (out.event == Event::Rating && std::isnan(out.value)) {
    report(errors, file, line, std::string(cells.value_field), "a rating event needs a numeric value",
           "missing_value");
    return false;
  }
  out.part = RawInteraction::kNoPart;
  if (cells.has_part) {
    auto part = parse_part(cells.part);
    if (!part) {
      report(errors, file, line, std::string(cells.part_field),
             "unknown split part '" + std::string(trim(cells.part)) + "' (expected train, validation or test)",
             "unknown_split");
      return false;
    }
    out.part = *part;
  }
  out.timestamp = 0;
  if (cells.has_timestamp) {
    std::string_view t = cells.timestamp;
    std::int64_t ts = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
    if (!t.empty() && ec == std::errc() && ptr == t.data() + t.size()) {
      out.timestamp = ts;  // unix seconds, the common case
    } else {
      std::string why;
      auto parsed = parse_timestamp(t, &why);
      if (!parsed) {
        report(errors, file, line, std::string(cells.timestamp_field), why,
               trim(t).empty() ? "missing_field" : "bad_timestamp");
        return false;
      }
      out.timestamp = *parsed;
    }
  }
  return true;
}

}  // namespace detail
}  // namespace hybridrec
