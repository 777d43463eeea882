// Layout detection and the assembly of a Dataset from streamed rows.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/text.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

namespace fs = std::filesystem;

bool ratings_csv_is_movielens(const fs::path& file) {
  CsvReader reader(file);
  CsvRecord header;
  return reader.next(header) && find_column(header.to_strings(), "userId") >= 0 &&
         find_column(header.to_strings(), "movieId") >= 0;
}

std::string detect_in_dir(const fs::path& dir) {
  if (fs::exists(dir / "interactions.csv")) return "canonical";
  if (fs::exists(dir / "u.data")) return "movielens-100k";
  if (fs::exists(dir / "ratings.dat")) return "movielens-1m";
  if (fs::exists(dir / "ratings.csv") && ratings_csv_is_movielens(dir / "ratings.csv")) return "movielens-latest";
  return "";
}

// Bad rows while loading: thrown when strict, otherwise counted and skipped.
class LoadErrors : public RowErrorHandler {
 public:
  LoadErrors(bool strict, LoadStats& stats) : strict_(strict), stats_(stats) {}
  void bad_row(const DataError& error, std::string_view code) override {
    if (strict_) throw error;
    ++stats_.rows_skipped;
    if (stats_.first_problems.size() < 10) stats_.first_problems.push_back(error.what());
  }

 private:
  bool strict_;
  LoadStats& stats_;
};

class DatasetBuilder : public InteractionSink {
 public:
  DatasetBuilder(Dataset& dataset, RowErrorHandler& errors, int shard, int shards)
      : dataset_(dataset), errors_(errors), users_(dataset.users), items_(dataset.items), shard_(shard), shards_(shards) {}
  // Per interaction file: its weight transform, supplied part and rows to skip.
  void start_file(const DatasetSources& src, std::uint8_t part, const LoadOptions& options) {
    weighted_ = src.weighted;
    transform_ = options.weight_transform;
    part_ = part;
    record_parts_ = part != RawInteraction::kNoPart || src.has_split_column;
    skip_ = nullptr;
    if (options.skip_rows)
      if (auto it = options.skip_rows->find(src.interactions.filename().string()); it != options.skip_rows->end())
        skip_ = &it->second;
  }
  void row(const RawInteraction& r) override {
    if (skip_ && skip_->count(r.line)) return;  // rejected by validation (--on-invalid skip)
    const std::uint32_t user = users_.intern(r.user), item = items_.intern(r.item);
    if (shards_ > 1 && user_shard_of(r.user, shards_) != shard_) return;  // another shard's user
    const float value = weighted_ ? transform_weight(r.value, transform_) : r.value;
    dataset_.interactions.push_back(Interaction{r.timestamp, user, item, value, r.event});
    if (record_parts_) {
      dataset_.supplied_part.resize(dataset_.interactions.size() - 1, RawInteraction::kNoPart);
      dataset_.supplied_part.push_back(part_ != RawInteraction::kNoPart ? part_ : r.part);
    }
  }
  void bad_row(const DataError& error, std::string_view code) override { errors_.bad_row(error, code); }

 private:
  Dataset& dataset_;
  RowErrorHandler& errors_;
  detail::IdCache users_, items_;
  int shard_, shards_;
  bool weighted_ = false, record_parts_ = false;
  std::string transform_;
  std::uint8_t part_ = RawInteraction::kNoPart;
  const std::unordered_set<std::size_t>* skip_ = nullptr;
};

std::vector<std::uint32_t> intern_catalogue(const std::optional<RawEntityFile>& file, IdMap& map) {
  std::vector<std::uint32_t> rows;
  if (!file) return rows;
  map.reserve(file->ids.size());
  rows.reserve(file->ids.size());
  for (const auto& id : file->ids) rows.push_back(map.intern(id));
  return rows;
}

}  // namespace

int user_shard_of(std::string_view user_id, int shards) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : user_id) h = (h ^ c) * 1099511628211ULL;
  return shards > 1 ? static_cast<int>(h % static_cast<std::uint64_t>(shards)) : 0;
}

std::string detect_format(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw DataError(path.string(), 0, "", "no such file or directory");
  if (fs::is_directory(path, ec)) {
    std::string format = detect_in_dir(path);
    if (format.empty())
      throw DataError(path.string(), 0, "",
                      "unrecognised dataset folder: expected interactions.csv (canonical), u.data (MovieLens 100K), "
                      "ratings.dat (MovieLens 1M/10M) or ratings.csv + movies.csv (MovieLens latest)");
    return format;
  }
  std::string name = path.filename().string();
  if (name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".json.gz") ||
      name.ends_with(".jsonl.gz") || name.ends_with(".json.xz") || name.ends_with(".jsonl.xz"))
    return "jsonl";
  if (name == "interactions.csv") return "canonical";
  if (name == "u.data") return "movielens-100k";
  if (name == "ratings.dat") return "movielens-1m";
  if (name == "ratings.csv" && ratings_csv_is_movielens(path)) return "movielens-latest";
  return "generic";
}

namespace {
DatasetSources open_layout(const fs::path& path, const LoadOptions& options, RowErrorHandler& errors);
}  // namespace

// The layout's own files, then the attribute tables given with the options.
DatasetSources open_sources(const fs::path& path, const LoadOptions& options, RowErrorHandler& errors) {
  DatasetSources src = open_layout(path, options, errors);
  if (!options.users_file.empty()) src.users = read_attribute_file(options.users_file, options.user_key, errors);
  if (!options.items_file.empty()) src.items = read_attribute_file(options.items_file, options.item_key, errors);
  if (!options.item_links.empty()) {
    if (!src.items) {
      src.items.emplace();
      src.items->path = options.item_links.front();
    }
    add_link_tables(*src.items, options.item_links, errors);
  }
  return src;
}

namespace {
DatasetSources open_layout(const fs::path& path, const LoadOptions& options, RowErrorHandler& errors) {
  std::string format = options.format.empty() || options.format == "auto" ? detect_format(path) : options.format;
  std::error_code ec;
  fs::path dir = fs::is_directory(path, ec) ? path : path.parent_path();
  if (format == "canonical") return open_canonical(dir, options, errors);
  if (format == "movielens-100k" || format == "ml-100k") return open_movielens_100k(dir, options, errors);
  if (format == "movielens-1m" || format == "movielens-10m" || format == "ml-1m" || format == "ml-10m")
    return open_movielens_1m(dir, options, errors);
  if (format == "movielens-latest" || format == "ml-latest") return open_movielens_latest(dir, options, errors);
  if (format == "generic" || format == "jsonl") {
    if (fs::is_directory(path, ec))
      throw DataError(path.string(), 0, "", "format '" + format + "' needs a file, not a folder");
    return format == "generic" ? open_generic(path, options, errors) : open_jsonl(path, options, errors);
  }
  throw ConfigError("unknown dataset format '" + format +
                    "' (expected auto, canonical, movielens-100k, movielens-1m, movielens-latest, generic, jsonl)");
}
}  // namespace

std::vector<std::pair<fs::path, std::uint8_t>> interaction_files(const fs::path& path, const LoadOptions& options) {
  if (!options.supplied_split_files()) return {{path, RawInteraction::kNoPart}};
  if (options.split_test.empty())
    throw ConfigError("--split files needs --train FILE and --test FILE (and optionally --validation FILE)");
  std::vector<std::pair<fs::path, std::uint8_t>> files{{options.split_train, std::uint8_t(SuppliedPart::Train)}};
  if (!options.split_validation.empty())
    files.emplace_back(options.split_validation, std::uint8_t(SuppliedPart::Validation));
  files.emplace_back(options.split_test, std::uint8_t(SuppliedPart::Test));
  return files;
}

Dataset load_dataset(const fs::path& path, const LoadOptions& options, LoadStats* stats) {
  LoadStats local;
  LoadStats& st = stats ? *stats : local;
  LoadErrors errors(options.strict, st);
  const auto files = interaction_files(path, options);
  DatasetSources src = open_sources(files.front().first, options, errors);

  Dataset dataset;
  dataset.path = path.string();
  dataset.format = src.format;
  // Catalogue ids first: dense indices follow users.csv/items.csv order, and
  // entities without interactions still exist.
  auto user_rows = intern_catalogue(src.users, dataset.users);
  auto item_rows = intern_catalogue(src.items, dataset.items);

  // Exact reserve (one line = at most one row): growing by doubling would peak
  // at three times the final size while copying.
  // A shard reserves its expected share plus slack (hash shares vary a little).
  const int shards = std::max(1, options.user_shards);
  if (options.user_shard < 0 || options.user_shard >= shards)
    throw ConfigError("load: user_shard " + std::to_string(options.user_shard) + " out of range for " +
                      std::to_string(shards) + " shards");
  std::size_t lines = 0;
  for (const auto& [file, part] : files) lines += count_lines(file == files.front().first ? src.interactions : file);
  dataset.interactions.reserve(shards == 1 ? lines : lines / static_cast<std::size_t>(shards) * 21 / 20 + 1024);
  DatasetBuilder builder(dataset, errors, options.user_shard, shards);
  for (std::size_t f = 0; f < files.size(); ++f) {
    // Every supplied part is read the same way; ratings, weights and timestamps
    // must agree across them (a part without timestamps makes the whole data so).
    DatasetSources part_src = f == 0 ? src : open_sources(files[f].first, options, errors);
    if (f > 0 && (part_src.weighted != src.weighted || part_src.explicit_ratings != src.explicit_ratings))
      throw DataError(part_src.interactions.string(), 0, "",
                      "this split file has different columns from " + src.interactions.filename().string() +
                          " (one has ratings or weights the other does not)");
    src.has_timestamps = src.has_timestamps && part_src.has_timestamps;
    builder.start_file(part_src, files[f].second, options);
    part_src.read_interactions(builder);
  }
  st.rows_read = dataset.interactions.size();
  if (dataset.interactions.empty() && shards == 1)  // a shard may be empty; the whole load may not
    throw DataError(src.interactions.string(), 0, "", "no usable interaction rows");
  if (!options.strict && st.rows_skipped > 0 && !stats)
    spdlog::warn("{}: skipped {} malformed rows (first: {})", src.interactions.string(), st.rows_skipped,
                 st.first_problems.front());
  if (!dataset.supplied_part.empty()) {
    dataset.supplied_part.resize(dataset.interactions.size(), RawInteraction::kNoPart);
    if (std::find(dataset.supplied_part.begin(), dataset.supplied_part.end(), RawInteraction::kNoPart) !=
        dataset.supplied_part.end())
      throw DataError(src.interactions.string(), 0, options.split_column, "rows without a split part");
  }
  dataset.has_timestamps = src.has_timestamps;
  dataset.weighted = src.weighted;
  if (src.weighted) dataset.weight_transform = options.weight_transform;

  // Each attribute column's role is printed: an inferred "ignore" must not go unnoticed.
  std::vector<std::string> notes;
  if (src.users)
    dataset.user_attributes =
        build_attribute_table(*src.users, user_rows, dataset.users.size(), options.user_roles, &notes);
  if (src.items)
    dataset.item_attributes =
        build_attribute_table(*src.items, item_rows, dataset.items.size(), options.item_roles, &notes);
  // On stderr: stdout may be a --json report. The layouts' own files (MovieLens,
  // canonical) are noted only when a column is ignored.
  const bool tables_given = !options.users_file.empty() || !options.items_file.empty() || !options.item_links.empty();
  if (options.user_shard == 0)
    for (const auto& note : notes)
      if (tables_given || note.find(" is ignore ") != std::string::npos) fmt::print(stderr, "attribute {}\n", note);

  dataset.explicit_ratings = src.explicit_ratings;
  dataset.rating_min = src.rating_min;
  dataset.rating_max = src.rating_max;
  if (src.format == "canonical") {
    // Explicit feedback only when every interaction is a rating; the scale is
    // what the data shows.
    bool all_ratings = !dataset.interactions.empty() && std::all_of(dataset.interactions.begin(), dataset.interactions.end(),
                                   [](const Interaction& i) { return i.event == Event::Rating; });
    dataset.explicit_ratings = all_ratings;
    if (all_ratings) {
      auto [lo, hi] = std::minmax_element(dataset.interactions.begin(), dataset.interactions.end(),
                                          [](const Interaction& a, const Interaction& b) { return a.value < b.value; });
      dataset.rating_min = lo->value;
      dataset.rating_max = hi->value;
    }
  }
  return dataset;
}

}  // namespace hybridrec
