#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"
#include "core/timeparse.h"

#include <fmt/format.h>

namespace hybridrec {

namespace {

struct Ratios {
  double train, val, test;
};

Ratios normalised_ratios(const SplitConfig& c) {
  if (c.train_ratio < 0 || c.val_ratio < 0 || c.test_ratio < 0)
    throw ConfigError("split: ratios must be >= 0 (train " + std::to_string(c.train_ratio) + ", val " +
                      std::to_string(c.val_ratio) + ", test " + std::to_string(c.test_ratio) + ")");
  const double sum = c.train_ratio + c.val_ratio + c.test_ratio;
  if (sum <= 0) throw ConfigError("split: train_ratio + val_ratio + test_ratio must be > 0");
  return {c.train_ratio / sum, c.val_ratio / sum, c.test_ratio / sum};
}

// Interaction indices of each user, in (timestamp, index) order.
std::vector<std::vector<std::uint32_t>> by_user_in_time_order(const Dataset& ds) {
  std::vector<std::vector<std::uint32_t>> per_user(ds.num_users());
  for (std::size_t k = 0; k < ds.interactions.size(); ++k) {
    auto u = ds.interactions[k].user;
    if (u >= per_user.size()) per_user.resize(u + 1);
    per_user[u].push_back(static_cast<std::uint32_t>(k));
  }
  for (auto& list : per_user)
    std::stable_sort(list.begin(), list.end(), [&](std::uint32_t a, std::uint32_t b) {
      return ds.interactions[a].timestamp < ds.interactions[b].timestamp;
    });
  return per_user;
}

// Global time cut. The boundary rule: the cut timestamp T is the timestamp of the
// first interaction (in time order) past the requested share; everything with
// timestamp < T goes to the earlier part and everything >= T to the later one.
// Ties at a boundary therefore all go to the later part, so every training
// timestamp is strictly before every validation/test timestamp (no leakage
// through equal timestamps), at the price of parts slightly off the ratios.
//
// Sharded, the same cut is the pos-th smallest timestamp over every shard, found by
// bisection on the timestamp with a summed count per probe (about 25 collectives
// for a year of seconds) instead of gathering the timestamps.
std::int64_t sharded_order_statistic(const Dataset& ds, std::size_t pos, ShardCollectives& shards) {
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
  for (const auto& x : ds.interactions) lo = std::min(lo, x.timestamp), hi = std::max(hi, x.timestamp);
  lo = shards.min(lo);
  hi = shards.max(hi);
  while (lo < hi) {  // invariant: the answer is in [lo, hi]
    const std::int64_t mid = lo + static_cast<std::int64_t>((static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo)) / 2);
    std::uint64_t at_most = 0;
    for (const auto& x : ds.interactions) at_most += x.timestamp <= mid;
    if (shards.sum(at_most) > pos)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

void temporal(const Dataset& ds, const Ratios& r, Split& s, ShardCollectives* shards) {
  const std::size_t n = shards ? shards->sum(std::uint64_t{ds.interactions.size()}) : ds.interactions.size();
  std::vector<std::uint32_t> order(shards ? 0 : n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return ds.interactions[a].timestamp < ds.interactions[b].timestamp;
  });
  auto cut_time = [&](double share) {
    auto pos = static_cast<std::size_t>(std::llround(share * static_cast<double>(n)));
    if (pos >= n) return std::numeric_limits<std::int64_t>::max();
    return shards ? sharded_order_statistic(ds, pos, *shards) : ds.interactions[order[pos]].timestamp;
  };
  const std::int64_t t1 = cut_time(r.train);
  const std::int64_t t2 = r.test > 0 ? cut_time(r.train + r.val) : std::numeric_limits<std::int64_t>::max();
  const std::size_t local = ds.interactions.size();
  for (std::uint32_t k = 0; k < local; ++k) {
    const auto t = ds.interactions[k].timestamp;
    if (t < t1)
      s.train.push_back(k);
    else if (t < t2)
      s.validation.push_back(k);
    else
      s.test.push_back(k);
  }
}

// Sizes of a user's train/validation/test parts for n interactions. Anyone with at
// least one interaction keeps at least one in train (a user must be known to be
// evaluated); rounding goes to the held-out parts first.
void part_sizes(std::size_t n, const Ratios& r, std::size_t& n_train, std::size_t& n_val, std::size_t& n_test) {
  n_test = static_cast<std::size_t>(std::llround(r.test * static_cast<double>(n)));
  n_val = static_cast<std::size_t>(std::llround(r.val * static_cast<double>(n)));
  while (n_test + n_val >= n && n > 0) {
    if (n_val > 0)
      --n_val;
    else if (n_test > 0)
      --n_test;
    else
      break;
  }
  n_train = n - n_val - n_test;
}

void assign_in_order(const std::vector<std::uint32_t>& list, std::size_t n_train, std::size_t n_val, Split& s) {
  for (std::size_t j = 0; j < list.size(); ++j) {
    if (j < n_train)
      s.train.push_back(list[j]);
    else if (j < n_train + n_val)
      s.validation.push_back(list[j]);
    else
      s.test.push_back(list[j]);
  }
}

// Per user, oldest part to train. last_n > 0: the last N to test and, when
// val_ratio > 0, the N before them to validation (always keeping one in train).
void user_temporal(const Dataset& ds, const SplitConfig& c, const Ratios& r, Split& s) {
  for (const auto& list : by_user_in_time_order(ds)) {
    const std::size_t n = list.size();
    std::size_t n_train, n_val, n_test;
    if (c.last_n > 0) {
      const auto held = static_cast<std::size_t>(c.last_n);
      n_test = std::min(held, n > 0 ? n - 1 : 0);
      n_val = c.val_ratio > 0 ? std::min(held, n - n_test > 0 ? n - n_test - 1 : 0) : 0;
      n_train = n - n_test - n_val;
    } else {
      part_sizes(n, r, n_train, n_val, n_test);
    }
    assign_in_order(list, n_train, n_val, s);
  }
}

// Per user random: each user's interactions shuffled with the user's own stream
// (so one user's split does not depend on the others), then cut by the ratios.
void user_random(const Dataset& ds, const SplitConfig& c, const Ratios& r, Split& s) {
  auto per_user = by_user_in_time_order(ds);
  for (std::size_t u = 0; u < per_user.size(); ++u) {
    auto& list = per_user[u];
    Rng rng = Rng::stream(c.seed, u);
    rng.shuffle(list.begin(), list.end());
    std::size_t n_train, n_val, n_test;
    part_sizes(list.size(), r, n_train, n_val, n_test);
    assign_in_order(list, n_train, n_val, s);
  }
}

// Latest interaction per user to test, the one before to validation (when
// val_ratio > 0); users need at least 2 (3 with validation) so one stays in train.
void leave_one_out(const Dataset& ds, const SplitConfig& c, Split& s) {
  for (const auto& list : by_user_in_time_order(ds)) {
    const std::size_t n = list.size();
    const std::size_t n_test = n >= 2 ? 1 : 0;
    const std::size_t n_val = (c.val_ratio > 0 && n >= 3) ? 1 : 0;
    assign_in_order(list, n - n_test - n_val, n_val, s);
  }
}

// A split supplied with the data (--split files, --split-col): each row's part as read.
void supplied(const Dataset& ds, Split& s) {
  for (std::uint32_t k = 0; k < ds.supplied_part.size(); ++k) {
    switch (static_cast<SuppliedPart>(ds.supplied_part[k])) {
      case SuppliedPart::Train: s.train.push_back(k); break;
      case SuppliedPart::Validation: s.validation.push_back(k); break;
      case SuppliedPart::Test: s.test.push_back(k); break;
    }
  }
}

bool is_supplied(const std::string& strategy) { return strategy == "files" || strategy == "column"; }

}  // namespace

Split make_split(const Dataset& dataset, const SplitConfig& config, ShardCollectives* shards) {
  Split s;
  s.config = config;
  const Ratios r = normalised_ratios(config);
  if (config.last_n < 0) throw ConfigError("split: last_n must be >= 0");
  if (is_supplied(config.strategy) && dataset.supplied_part.empty())
    throw ConfigError("split '" + config.strategy +
                      "' needs the parts with the data: --split files --train F --test F [--validation F], or "
                      "--split-col COL (values train, validation, test)");
  if (!dataset.supplied_part.empty() && !is_supplied(config.strategy))
    throw ConfigError("the data comes with its own split (split files or a split column) but data.split is '" +
                      config.strategy + "': use --split files (or --split column)");
  const bool by_time = config.strategy == "temporal" || config.strategy == "user_temporal" ||
                       config.strategy == "leave_one_out";
  if (by_time && !dataset.has_timestamps)
    throw ConfigError("split '" + config.strategy + "' orders interactions by time, but " +
                      (dataset.path.empty() ? std::string("the data") : dataset.path) +
                      " has no time column: use --split user_random (data.split: user_random), supply the split "
                      "(--split files), or name the time column with --time-col");
  if (is_supplied(config.strategy))
    supplied(dataset, s);
  else if (config.strategy == "temporal")
    temporal(dataset, r, s, shards);
  else if (config.strategy == "user_temporal")
    user_temporal(dataset, config, r, s);
  else if (config.strategy == "user_random")
    user_random(dataset, config, r, s);
  else if (config.strategy == "leave_one_out")
    leave_one_out(dataset, config, s);
  else
    throw ConfigError("split: unknown strategy '" + config.strategy +
                      "' (expected temporal, user_temporal, user_random, leave_one_out, files, column)");
  // Ascending index order in every part: deterministic and cache-friendly.
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.validation.begin(), s.validation.end());
  std::sort(s.test.begin(), s.test.end());
  s.train_end_time = std::numeric_limits<std::int64_t>::min();
  for (auto k : s.train) s.train_end_time = std::max(s.train_end_time, dataset.interactions[k].timestamp);
  if (shards) s.train_end_time = shards->max(s.train_end_time);
  if (s.train_end_time == std::numeric_limits<std::int64_t>::min()) s.train_end_time = 0;  // no training rows anywhere
  return s;
}

std::string why_part_is_empty(const Dataset& ds, const Split& split, const std::string& part) {
  const auto& rows = part == "train" ? split.train : part == "validation" ? split.validation : split.test;
  if (!rows.empty()) return "";
  const SplitConfig& c = split.config;
  if (ds.interactions.empty()) return "the dataset has no interactions";
  if (is_supplied(c.strategy))
    return "the supplied split has no " + part + " rows (" +
           (c.strategy == "files" ? std::string("its --") + part + " file is empty or missing"
                                  : std::string("no row of the split column says '") + part + "'") + ")";
  const double ratio = part == "train" ? c.train_ratio : part == "validation" ? c.val_ratio : c.test_ratio;
  if (ratio <= 0 && c.strategy != "leave_one_out") return "data." + std::string(part == "validation" ? "val" : part) + "_ratio is 0";
  if (part == "validation" && c.strategy == "leave_one_out" && c.val_ratio <= 0) return "data.val_ratio is 0";
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
  for (const auto& x : ds.interactions) lo = std::min(lo, x.timestamp), hi = std::max(hi, x.timestamp);
  if (c.strategy == "temporal") {
    if (lo == hi)
      return "every interaction has the same timestamp, and a global time cut puts all rows with the cut's timestamp "
             "in the later part: use --split user_random, or check the time column";
    return fmt::format("the global time cut leaves no {} rows: too many interactions share the timestamps near the cut "
                       "(ties at a cut go to the later part; time range {} .. {}); use --split user_temporal or "
                       "user_random, or change the ratios",
                       part, format_iso8601(lo), format_iso8601(hi));
  }
  // The per-user strategies keep each user's first interaction(s) in train.
  std::vector<std::size_t> per_user(ds.num_users(), 0);
  for (const auto& x : ds.interactions) ++per_user[x.user];
  const std::size_t needed = c.strategy == "leave_one_out" ? (part == "validation" ? 3 : 2) : 2;
  std::size_t enough = 0;
  for (auto n : per_user) enough += n >= needed;
  if (enough == 0)
    return fmt::format("every user has fewer than {} interactions, and split {} keeps each user's first interaction "
                       "in train, so nothing is left for {}: use --split temporal (a global time cut)",
                       needed, c.strategy, part);
  return fmt::format("only {} user(s) have {} or more interactions, too few for the {} ratio {} to round to a row "
                     "(split {}); raise the ratio or use --split temporal",
                     enough, needed, part, ratio, c.strategy);
}

namespace {
// Sharded: an item seen on any shard is seen (users are disjoint across shards).
void union_over_shards(std::vector<char>& mask, ShardCollectives* shards) {
  if (!shards) return;
  std::vector<std::uint64_t> counts(mask.begin(), mask.end());
  shards->sum(counts);
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = counts[i] > 0;
}
}  // namespace

nlohmann::json split_statistics(const Dataset& ds, const Split& split, ShardCollectives* shards) {
  std::vector<char> train_user(ds.num_users(), 0), train_item(ds.num_items(), 0);
  for (auto k : split.train) {
    train_user[ds.interactions[k].user] = 1;
    train_item[ds.interactions[k].item] = 1;
  }
  union_over_shards(train_item, shards);
  auto part = [&](const std::vector<std::uint32_t>& idx, bool held_out) {
    std::vector<char> seen_user(ds.num_users(), 0), seen_item(ds.num_items(), 0);
    std::size_t users = 0, items = 0, cold_users = 0, cold_items = 0, cold_user_rows = 0, cold_item_rows = 0;
    std::array<std::size_t, kNumEvents> events{};
    std::int64_t t_min = std::numeric_limits<std::int64_t>::max(), t_max = std::numeric_limits<std::int64_t>::min();
    for (auto k : idx) {
      const Interaction& x = ds.interactions[k];
      if (!seen_user[x.user]) {
        seen_user[x.user] = 1;
        ++users;
        if (!train_user[x.user]) ++cold_users;
      }
      seen_item[x.item] = 1;
      if (!train_user[x.user]) ++cold_user_rows;
      if (!train_item[x.item]) ++cold_item_rows;
      ++events[static_cast<int>(x.event)];
      t_min = std::min(t_min, x.timestamp);
      t_max = std::max(t_max, x.timestamp);
    }
    union_over_shards(seen_item, shards);
    for (std::size_t i = 0; i < seen_item.size(); ++i)
      if (seen_item[i]) ++items, cold_items += !train_item[i];
    std::size_t rows = idx.size();
    if (shards) {
      std::uint64_t counts[5 + kNumEvents] = {rows, users, cold_users, cold_user_rows, cold_item_rows};
      for (int e = 0; e < kNumEvents; ++e) counts[5 + e] = events[e];
      shards->sum(counts, 5 + kNumEvents);
      rows = counts[0], users = counts[1], cold_users = counts[2], cold_user_rows = counts[3], cold_item_rows = counts[4];
      for (int e = 0; e < kNumEvents; ++e) events[e] = counts[5 + e];
      t_min = shards->min(t_min);
      t_max = shards->max(t_max);
    }
    nlohmann::json j{{"interactions", rows}, {"users", users}, {"items", items}};
    nlohmann::json ev = nlohmann::json::object();
    for (int e = 0; e < kNumEvents; ++e) ev[std::string(event_name(static_cast<Event>(e)))] = events[e];
    j["events"] = ev;
    j["time_min"] = rows == 0 ? nlohmann::json(nullptr) : nlohmann::json(t_min);
    j["time_max"] = rows == 0 ? nlohmann::json(nullptr) : nlohmann::json(t_max);
    if (held_out) {
      j["cold_start_users"] = cold_users;  // users never seen in train
      j["cold_start_items"] = cold_items;
      j["cold_start_user_interactions"] = cold_user_rows;
      j["cold_start_item_interactions"] = cold_item_rows;
    }
    return j;
  };
  const double total = static_cast<double>(shards ? shards->sum(std::uint64_t{ds.interactions.size()}) : ds.interactions.size());
  nlohmann::json out;
  out["strategy"] = split.config.strategy;
  out["seed"] = split.config.seed;
  out["train_end_time"] = split.train_end_time;
  out["train"] = part(split.train, false);
  out["validation"] = part(split.validation, true);
  out["test"] = part(split.test, true);
  auto share = [&](const char* name) { return total > 0 ? out[name]["interactions"].get<double>() / total : 0.0; };
  out["shares"] = {{"train", share("train")}, {"validation", share("validation")}, {"test", share("test")}};
  return out;
}

}  // namespace hybridrec
