// Layout detection and the assembly of a Dataset from streamed rows.
#include <algorithm>
#include <cmath>

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
  void row(const RawInteraction& r) override {
    const std::uint32_t user = users_.intern(r.user), item = items_.intern(r.item);
    if (shards_ > 1 && user_shard_of(r.user, shards_) != shard_) return;  // another shard's user
    dataset_.interactions.push_back(Interaction{r.timestamp, user, item, r.value, r.event});
  }
  void bad_row(const DataError& error, std::string_view code) override { errors_.bad_row(error, code); }

 private:
  Dataset& dataset_;
  RowErrorHandler& errors_;
  detail::IdCache users_, items_;
  int shard_, shards_;
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
  if (name == "interactions.csv") return "canonical";
  if (name == "u.data") return "movielens-100k";
  if (name == "ratings.dat") return "movielens-1m";
  if (name == "ratings.csv" && ratings_csv_is_movielens(path)) return "movielens-latest";
  return "generic";
}

DatasetSources open_sources(const fs::path& path, const LoadOptions& options, RowErrorHandler& errors) {
  std::string format = options.format.empty() || options.format == "auto" ? detect_format(path) : options.format;
  std::error_code ec;
  fs::path dir = fs::is_directory(path, ec) ? path : path.parent_path();
  if (format == "canonical") return open_canonical(dir, options, errors);
  if (format == "movielens-100k" || format == "ml-100k") return open_movielens_100k(dir, options, errors);
  if (format == "movielens-1m" || format == "movielens-10m" || format == "ml-1m" || format == "ml-10m")
    return open_movielens_1m(dir, options, errors);
  if (format == "movielens-latest" || format == "ml-latest") return open_movielens_latest(dir, options, errors);
  if (format == "generic") {
    if (fs::is_directory(path, ec))
      throw DataError(path.string(), 0, "", "format 'generic' needs a file, not a folder");
    return open_generic(path, options, errors);
  }
  throw ConfigError("unknown dataset format '" + format +
                    "' (expected auto, canonical, movielens-100k, movielens-1m, movielens-latest, generic)");
}

Dataset load_dataset(const fs::path& path, const LoadOptions& options, LoadStats* stats) {
  LoadStats local;
  LoadStats& st = stats ? *stats : local;
  LoadErrors errors(options.strict, st);
  DatasetSources src = open_sources(path, options, errors);

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
  const std::size_t lines = count_lines(src.interactions);
  dataset.interactions.reserve(shards == 1 ? lines : lines / static_cast<std::size_t>(shards) * 21 / 20 + 1024);
  DatasetBuilder builder(dataset, errors, options.user_shard, shards);
  src.read_interactions(builder);
  st.rows_read = dataset.interactions.size();
  if (dataset.interactions.empty() && shards == 1)  // a shard may be empty; the whole load may not
    throw DataError(src.interactions.string(), 0, "", "no usable interaction rows");
  if (!options.strict && st.rows_skipped > 0 && !stats)
    spdlog::warn("{}: skipped {} malformed rows (first: {})", src.interactions.string(), st.rows_skipped,
                 st.first_problems.front());

  if (src.users) dataset.user_attributes = build_attribute_table(*src.users, user_rows, dataset.users.size());
  if (src.items) dataset.item_attributes = build_attribute_table(*src.items, item_rows, dataset.items.size());

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
