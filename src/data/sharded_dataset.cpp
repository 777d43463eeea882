#include "data/sharded_dataset.h"

#include <algorithm>

#include "core/error.h"

namespace hybridrec {

namespace {

// One value from every shard, in shard order.
template <class T>
std::vector<T> gather_values(ShardCollectives& shards, const T& mine) {
  return shards.gather_all_values(std::vector<T>{mine});
}

std::uint64_t fingerprint(const IdMap& map) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const auto& id : map.ids()) {
    for (unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xffu) * 1099511628211ULL;  // separator: ("ab","c") != ("a","bc")
  }
  return h ^ map.size();
}

// Every shard interned every row's ids in file order, so the maps must agree; a
// difference means the shards read different files and would train different tables.
void check_same_id_maps(const Dataset& ds, ShardCollectives& shards) {
  const std::uint64_t mine[2] = {fingerprint(ds.users), fingerprint(ds.items)};
  struct Pair {
    std::uint64_t users, items;
  };
  const auto all = gather_values(shards, Pair{mine[0], mine[1]});
  for (std::size_t r = 0; r < all.size(); ++r)
    if (all[r].users != mine[0] || all[r].items != mine[1])
      throw DataError(ds.path, 0, "", "shard " + std::to_string(r) + " read different user/item ids than shard " +
                                          std::to_string(shards.shard()) + " (was the data changed during loading?)");
}

// load_dataset decides explicit ratings on canonical data from the rows it holds;
// over shards it is every shard's rows: all ratings everywhere, scale = global range.
void decide_explicit_ratings(Dataset& ds, const LoadOptions& options, ShardCollectives& shards) {
  struct Facts {
    std::uint64_t rows = 0, ratings = 0;
    float lo = 0, hi = 0;
  } mine;
  mine.rows = ds.interactions.size();
  bool first = true;
  for (const auto& x : ds.interactions) {
    if (x.event != Event::Rating) continue;
    ++mine.ratings;
    mine.lo = first ? x.value : std::min(mine.lo, x.value);
    mine.hi = first ? x.value : std::max(mine.hi, x.value);
    first = false;
  }
  std::uint64_t rows = 0, ratings = 0;
  float lo = 0, hi = 0;
  first = true;
  for (const Facts& f : gather_values(shards, mine)) {
    rows += f.rows;
    ratings += f.ratings;
    if (f.ratings == 0) continue;
    lo = first ? f.lo : std::min(lo, f.lo);
    hi = first ? f.hi : std::max(hi, f.hi);
    first = false;
  }
  ds.explicit_ratings = rows > 0 && ratings == rows;
  ds.rating_min = ds.explicit_ratings ? lo : options.rating_min.value_or(1.0f);  // reader_canonical's defaults
  ds.rating_max = ds.explicit_ratings ? hi : options.rating_max.value_or(5.0f);
}

}  // namespace

Dataset load_dataset_shard(const std::filesystem::path& path, LoadOptions options, ShardCollectives& shards,
                           ShardLoadReport* report) {
  options.user_shard = shards.shard();
  options.user_shards = shards.shards();
  Dataset ds = load_dataset(path, options);
  check_same_id_maps(ds, shards);
  if (ds.format == "canonical") decide_explicit_ratings(ds, options, shards);
  const auto held = gather_values(shards, std::uint64_t{ds.interactions.size()});
  std::uint64_t total = 0;
  for (auto h : held) total += h;
  if (total == 0) throw DataError(path.string(), 0, "", "no usable interaction rows");
  if (report) {
    report->held_per_shard = held;
    report->total = total;
  }
  return ds;
}

}  // namespace hybridrec
