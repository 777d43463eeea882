#include "data/validation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "core/text.h"
#include "core/timeparse.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

// 1995-01-01: older than any recommender log (MovieLens starts in 1995/1996); an
// earlier date is a unit or parsing mistake (milliseconds read as days, 0, ...).
constexpr std::int64_t kEarliestPlausible = 788918400;
constexpr std::int64_t kFutureSlack = 86400;

using Severity = ValidationIssue::Severity;

struct RowKey {
  std::uint32_t user, item;
  std::int64_t timestamp;
  Event event;
  std::uint32_t file;  // index into Collector::files_
  std::size_t line;
  auto tie() const { return std::tie(user, item, event, timestamp); }
  auto place() const { return std::tie(file, line); }
};

class Collector : public InteractionSink {
 public:
  Collector(ValidationReport& report, std::int64_t now) : report_(report), now_(now) {}

  // The next interaction file (a dataset, or one part of a supplied split).
  void next_file(const DatasetSources& src) {
    file_ = src.interactions.filename().string();
    files_.push_back(file_);
    has_timestamps_ = src.has_timestamps;
    weighted_ = src.weighted;
    report_.has_timestamps = report_.has_timestamps && src.has_timestamps;
    report_.weighted = src.weighted;
  }

  void set_source(const DatasetSources& src) {
    next_file(src);
    rating_min_ = src.rating_min;
    rating_max_ = src.rating_max;
    if (src.users) {
      for (const auto& id : src.users->ids) user_cache_.intern(id);
      known_users_ = users_.size();
      check_users_ = true;
      report_.catalogue_users = src.users->ids.size();
    }
    if (src.items) {
      for (const auto& id : src.items->ids) item_cache_.intern(id);
      known_items_ = items_.size();
      check_items_ = true;
      report_.catalogue_items = src.items->ids.size();
    }
  }

  void bad_row(const DataError& e, std::string_view code) override {
    report_.add({Severity::Error, e.file(), e.line(), e.field(), std::string(code), e.message()});
    if (e.file() == file_ && e.line() > 0)
      report_.error_rows[file_].insert(e.line());
    else
      ++report_.errors_outside_rows;
  }

  void row(const RawInteraction& r) override {
    ++report_.rows;
    ++report_.events[static_cast<int>(r.event)];
    std::uint32_t u = user_cache_.intern(r.user), i = item_cache_.intern(r.item);
    if (u >= seen_users_.size()) seen_users_.resize(u + 1, false);
    if (i >= seen_items_.size()) seen_items_.resize(i + 1, false);
    seen_users_[u] = true;
    seen_items_[i] = true;
    if (check_users_ && u >= known_users_)
      add(Severity::Warning, r.line, "user_id", "unknown_user", "user '" + std::string(r.user) + "' is not in the users file");
    if (check_items_ && i >= known_items_)
      add(Severity::Warning, r.line, "item_id", "unknown_item", "item '" + std::string(r.item) + "' is not in the items file");
    // A weight (play count) was checked as a finite number >= 0 when parsed; only
    // ratings have a scale.
    if (!weighted_ && r.event == Event::Rating && !(r.value >= rating_min_ && r.value <= rating_max_)) {
      std::ostringstream msg;
      msg << "rating " << r.value << " outside " << rating_min_ << ".." << rating_max_;
      add(Severity::Error, r.line, "value", "rating_out_of_range", msg.str());
    }
    if (has_timestamps_ && (r.timestamp < kEarliestPlausible || r.timestamp > now_ + kFutureSlack)) {
      add(Severity::Error, r.line, "timestamp", "impossible_timestamp",
          format_iso8601(r.timestamp) + (r.timestamp < kEarliestPlausible ? " is before 1995" : " is in the future"));
    }
    if (report_.rows == 1) report_.time_min = report_.time_max = r.timestamp;
    report_.time_min = std::min(report_.time_min, r.timestamp);
    report_.time_max = std::max(report_.time_max, r.timestamp);
    keys_.push_back({u, i, r.timestamp, r.event, static_cast<std::uint32_t>(files_.size() - 1), r.line});
  }

  // Same user, item, event and timestamp twice: a logging or export bug, reported
  // as a warning.
  void report_duplicates() {
    std::sort(keys_.begin(), keys_.end(), [](const RowKey& a, const RowKey& b) {
      return a.tie() != b.tie() ? a.tie() < b.tie() : a.place() < b.place();
    });
    std::vector<std::pair<RowKey, RowKey>> duplicates;  // (row, its first occurrence)
    for (std::size_t k = 1, first = 0; k < keys_.size(); ++k) {
      if (keys_[k].tie() == keys_[first].tie())
        duplicates.emplace_back(keys_[k], keys_[first]);
      else
        first = k;
    }
    std::sort(duplicates.begin(), duplicates.end(),
              [](const auto& a, const auto& b) { return a.first.place() < b.first.place(); });
    for (const auto& [row, first] : duplicates) {
      const std::string& file = files_[row.file];
      std::string where = "line " + std::to_string(first.line);
      if (first.file != row.file) where = files_[first.file] + ":" + std::to_string(first.line);
      // A warning (issue #16): a repeated row is usually an export artefact (CiaoDVD has
      // users rating a movie twice on one day under two reviews); the training
      // positives count each (user, item) pair once anyway.
      // The same row in two parts of a supplied split is leakage: an error.
      const Severity severity = first.file != row.file ? Severity::Error : Severity::Warning;
      report_.add({severity, file, row.line, "", "duplicate_row",
                   std::string(has_timestamps_ ? "same user, item, event and timestamp as "
                                               : "same user, item and event as ") + where});
      if (severity == Severity::Error) report_.error_rows[file].insert(row.line);
    }
    report_.users = static_cast<std::size_t>(std::count(seen_users_.begin(), seen_users_.end(), true));
    report_.items = static_cast<std::size_t>(std::count(seen_items_.begin(), seen_items_.end(), true));
  }

 private:
  void add(Severity severity, std::size_t line, std::string field, std::string code, std::string message) {
    report_.add({severity, file_, line, std::move(field), std::move(code), std::move(message)});
    if (severity == Severity::Error) report_.error_rows[file_].insert(line);
  }

  ValidationReport& report_;
  std::int64_t now_;
  std::string file_;
  std::vector<std::string> files_;
  bool has_timestamps_ = true, weighted_ = false;
  float rating_min_ = 1, rating_max_ = 5;
  IdMap users_, items_;
  detail::IdCache user_cache_{users_}, item_cache_{items_};  // filled in set_source
  std::size_t known_users_ = 0, known_items_ = 0;
  bool check_users_ = false, check_items_ = false;
  std::vector<bool> seen_users_, seen_items_;
  std::vector<RowKey> keys_;
};

void check_prices(const RawEntityFile& items, ValidationReport& report) {
  int price = -1;
  for (std::size_t c = 0; c < items.columns.size(); ++c)
    if (iequals(items.columns[c], "price")) price = static_cast<int>(c);
  if (price < 0) return;
  std::string file = items.path.filename().string();
  for (std::size_t r = 0; r < items.values.size(); ++r) {
    const std::string& text = items.values[r][price];
    if (text.empty()) continue;
    auto value = parse_double(text);
    if (!value)
      report.add({Severity::Error, file, items.lines[r], items.columns[price], "non_numeric_value",
                  "price is not a number: '" + text + "'"});
    else if (*value < 0)
      report.add({Severity::Error, file, items.lines[r], items.columns[price], "negative_price",
                  "negative price " + text});
    else
      continue;
    ++report.errors_outside_rows;
  }
}

std::string issue_code_for(const DataError& e) {
  const std::string& m = e.message();
  if (m.rfind("missing", 0) == 0 && e.line() == 0) return "missing_file";
  if (m.find("empty") != std::string::npos && e.line() == 0) return "empty_file";
  return "malformed_file";
}

}  // namespace

void ValidationReport::add(ValidationIssue issue) {
  (issue.severity == ValidationIssue::Severity::Error ? errors : warnings) += 1;
  if (++counts[issue.code] <= kExamplesPerCode) issues.push_back(std::move(issue));
}

ValidationReport validate_dataset(const std::filesystem::path& path, const LoadOptions& options, std::int64_t now) {
  if (now == 0)
    now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  ValidationReport report;
  report.path = path.string();
  Collector collector(report, now);
  try {
    const auto files = interaction_files(path, options);
    DatasetSources src = open_sources(files.front().first, options, collector);
    report.format = src.format;
    collector.set_source(src);
    if (src.items) check_prices(*src.items, report);
    src.read_interactions(collector);
    for (std::size_t f = 1; f < files.size(); ++f) {  // the other parts of a supplied split
      DatasetSources part = open_sources(files[f].first, options, collector);
      collector.next_file(part);
      part.read_interactions(collector);
    }
    collector.report_duplicates();
  } catch (const DataError& e) {
    report.add({Severity::Error, e.file(), e.line(), e.field(), issue_code_for(e), e.message()});
    ++report.errors_outside_rows;
  }
  // Issues were found in several passes (rows, then duplicates): present them by place.
  std::stable_sort(report.issues.begin(), report.issues.end(), [](const ValidationIssue& a, const ValidationIssue& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
  if (report.users > 0 && report.items > 0)
    report.sparsity = 1.0 - static_cast<double>(report.rows) / (static_cast<double>(report.users) * report.items);
  return report;
}

nlohmann::json ValidationReport::to_json() const {
  nlohmann::json events_json = nlohmann::json::object();
  for (int e = 0; e < kNumEvents; ++e) events_json[std::string(event_name(static_cast<Event>(e)))] = events[e];
  nlohmann::json issues_json = nlohmann::json::array();
  for (const auto& i : issues)
    issues_json.push_back({{"severity", i.severity == ValidationIssue::Severity::Error ? "error" : "warning"},
                           {"file", i.file},
                           {"line", i.line},
                           {"field", i.field},
                           {"code", i.code},
                           {"message", i.message}});
  nlohmann::json summary = {{"rows", rows},
                            {"users", users},
                            {"items", items},
                            {"catalogue_users", catalogue_users},
                            {"catalogue_items", catalogue_items},
                            {"sparsity", sparsity},
                            {"events", events_json}};
  if (rows > 0 && has_timestamps) summary["time_range"] = {format_iso8601(time_min), format_iso8601(time_max)};
  summary["has_timestamps"] = has_timestamps;
  summary["weighted"] = weighted;
  return {{"path", path},          {"format", format}, {"ok", ok()},   {"errors", errors},
          {"warnings", warnings},  {"summary", summary}, {"counts", counts}, {"issues", issues_json}};
}

std::string ValidationReport::to_text() const {
  std::ostringstream out;
  out << "Dataset " << path << " (" << (format.empty() ? "unknown format" : format) << ")\n";
  out << "  rows " << rows << ", users " << users << ", items " << items;
  if (users > 0 && items > 0) out << ", sparsity " << sparsity * 100.0 << "%";
  out << "\n  events:";
  for (int e = 0; e < kNumEvents; ++e) out << " " << event_name(static_cast<Event>(e)) << "=" << events[e];
  out << "\n";
  if (catalogue_users || catalogue_items)
    out << "  catalogue: " << catalogue_users << " users, " << catalogue_items << " items\n";
  if (rows > 0 && has_timestamps)
    out << "  time range " << format_iso8601(time_min) << " .. " << format_iso8601(time_max) << "\n";
  if (!has_timestamps) out << "  no time column: timestamps not checked; split with --split user_random\n";
  if (weighted) out << "  weight column: checked as finite numbers >= 0 (confidence of each positive)\n";
  for (const auto& i : issues) {
    out << (i.severity == ValidationIssue::Severity::Error ? "error   " : "warning ") << i.file;
    if (i.line > 0) out << ":" << i.line;
    out << ": ";
    if (!i.field.empty()) out << "field '" << i.field << "': ";
    out << i.message << " [" << i.code << "]\n";
  }
  for (const auto& [code, count] : counts)
    if (count > kExamplesPerCode) out << "  ... " << count - kExamplesPerCode << " more " << code << "\n";
  out << (ok() ? "OK" : "FAILED") << ": " << errors << " error(s), " << warnings << " warning(s)\n";
  return out.str();
}

}  // namespace hybridrec
