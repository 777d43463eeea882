#include "data/stats.h"

#include "core/timeparse.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace hybridrec {

namespace {

using nlohmann::json;

// Nearest-rank quantiles of a count distribution.
json quantiles(std::vector<std::size_t> counts) {
  if (counts.empty()) return json::object();
  std::sort(counts.begin(), counts.end());
  auto at = [&](double q) { return counts[static_cast<std::size_t>(std::llround(q * (counts.size() - 1)))]; };
  double mean = 0;
  for (auto c : counts) mean += static_cast<double>(c);
  mean /= static_cast<double>(counts.size());
  return {{"min", counts.front()}, {"p25", at(0.25)}, {"median", at(0.5)}, {"p75", at(0.75)},
          {"p90", at(0.9)},        {"p99", at(0.99)}, {"max", counts.back()}, {"mean", mean}};
}

json attribute_summary(const AttributeTable& table) {
  json out = json::array();
  for (const auto& c : table.columns) {
    json j{{"name", c.name}, {"kind", c.is_categorical() ? (c.is_multi() ? "multi-categorical" : "categorical") : "numeric"}};
    std::size_t missing = 0;
    if (c.is_categorical()) {
      j["values"] = c.vocabulary.size();
      for (auto code : c.codes) missing += code < 0;
    } else {
      double lo = INFINITY, hi = -INFINITY;
      for (float x : c.numbers) {
        if (std::isnan(x)) {
          ++missing;
          continue;
        }
        lo = std::min(lo, static_cast<double>(x));
        hi = std::max(hi, static_cast<double>(x));
      }
      if (lo <= hi) j["min"] = lo, j["max"] = hi;
    }
    j["missing"] = missing;
    out.push_back(j);
  }
  return out;
}

std::string number(const json& v) {
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  return v.dump();
}

}  // namespace

std::string iso_utc(std::int64_t t) { return format_iso8601(t); }

namespace {
// Under this share of the positives per epoch a recency setting is warned about
// (as `train` does).
constexpr double kMinKeptFraction = 0.10;
}  // namespace

json recency_statistics(const Dataset& d, const Split& split, const PositiveWeighting& weighting) {
  const double span = training_span_days(d, split);
  const auto kept = [&](double days) {
    return recency_kept_fraction(collect_positives(d, split, weighting.event_weights, days, true));
  };
  json out{{"span_days", span}, {"auto_grid", json::array()}, {"warnings", json::array()}};
  if (span > 0)
    for (double f : kRecencySpanFractions)
      out["auto_grid"].push_back({{"fraction_of_span", f}, {"half_life_days", f * span}, {"kept_fraction", kept(f * span)}});
  if (weighting.recency_auto) {
    out["configured"] = "auto";
  } else {
    const double days = weighting.recency_half_life_days;
    const double k = kept(days);
    out["configured"] = {{"half_life_days", days}, {"kept_fraction", k}};
    if (days > 0 && k < kMinKeptFraction)
      out["warnings"].push_back(fmt::format(
          "data.recency_half_life_days {:.4g} keeps {:.1f}% of the {} training positives per epoch (under {:.0f}%) on a "
          "training span of {:.1f} days: set it to auto (chosen on validation) or off",
          days, 100.0 * k, collect_positives(d, split, weighting.event_weights, 0.0).size(), 100.0 * kMinKeptFraction,
          span));
  }
  return out;
}

std::vector<std::string> split_warnings(const Dataset& d, const Split& split) {
  std::vector<std::string> out;
  const bool supplied = split.config.strategy == "files" || split.config.strategy == "column";
  for (const char* part : {"train", "validation", "test"}) {
    const std::string why = why_part_is_empty(d, split, part);
    if (why.empty()) continue;
    if (std::string(part) == "validation" && (split.config.val_ratio <= 0 || supplied)) continue;  // asked for none
    out.push_back(fmt::format("split {}: the {} part is empty: {}{}", split.config.strategy, part, why,
                              std::string(part) == "validation" ? " (train runs without early stopping)"
                                                                : " (train refuses this split)"));
  }
  return out;
}

json dataset_statistics(const Dataset& d) {
  json out;
  out["format"] = d.format;
  out["path"] = d.path;
  out["users"] = d.num_users();
  out["items"] = d.num_items();
  out["interactions"] = d.interactions.size();
  std::array<std::size_t, kNumEvents> events{};
  std::vector<std::size_t> per_user(d.num_users(), 0), per_item(d.num_items(), 0);
  std::vector<std::uint64_t> pairs;
  pairs.reserve(d.interactions.size());
  std::int64_t t_min = INT64_MAX, t_max = INT64_MIN;
  double rating_sum = 0;
  std::size_t ratings = 0;
  for (const auto& x : d.interactions) {
    ++events[static_cast<int>(x.event)];
    ++per_user[x.user];
    ++per_item[x.item];
    pairs.push_back(static_cast<std::uint64_t>(x.user) << 32 | x.item);
    t_min = std::min(t_min, x.timestamp);
    t_max = std::max(t_max, x.timestamp);
    if (!std::isnan(x.value)) rating_sum += x.value, ++ratings;
  }
  json ev = json::object();
  for (int e = 0; e < kNumEvents; ++e) ev[std::string(event_name(static_cast<Event>(e)))] = events[e];
  out["events"] = ev;
  std::sort(pairs.begin(), pairs.end());
  const std::size_t distinct = static_cast<std::size_t>(std::unique(pairs.begin(), pairs.end()) - pairs.begin());
  out["distinct_user_item_pairs"] = distinct;
  const double cells = static_cast<double>(d.num_users()) * static_cast<double>(d.num_items());
  out["density"] = cells > 0 ? distinct / cells : 0.0;
  out["sparsity"] = cells > 0 ? 1.0 - distinct / cells : 0.0;
  out["has_timestamps"] = d.has_timestamps;
  if (d.weighted) out["weight_transform"] = d.weight_transform;
  if (!d.interactions.empty() && d.has_timestamps) {
    out["time_range"] = {{"min", t_min}, {"max", t_max}, {"min_iso", iso_utc(t_min)}, {"max_iso", iso_utc(t_max)},
                         {"days", (t_max - t_min) / 86400.0}};
  }
  out["interactions_per_user"] = quantiles(per_user);
  out["interactions_per_item"] = quantiles(per_item);
  out["users_without_interactions"] = std::count(per_user.begin(), per_user.end(), 0u);
  out["items_without_interactions"] = std::count(per_item.begin(), per_item.end(), 0u);
  out["values"] = {{"count", ratings}, {"mean", ratings ? rating_sum / ratings : 0.0}};
  out["explicit_ratings"] = d.explicit_ratings;
  out["user_attributes"] = attribute_summary(d.user_attributes);
  out["item_attributes"] = attribute_summary(d.item_attributes);
  return out;
}

json feature_statistics(const FeatureSet& fs) {
  auto side = [](const EntityFeatures& f) {
    json j;
    j["entities"] = f.size();
    j["dense_dim"] = f.dense_dim();
    json dense = json::array();
    for (std::size_t c = 0; c < f.dense_dim(); ++c) {
      auto col = f.dense.col(static_cast<Eigen::Index>(c));
      dense.push_back({{"name", f.dense_names[c]},
                       {"min", f.size() ? col.minCoeff() : 0.0f},
                       {"mean", f.size() ? col.mean() : 0.0f},
                       {"max", f.size() ? col.maxCoeff() : 0.0f}});
    }
    j["dense"] = dense;
    json cat = json::array();
    for (std::size_t k = 0; k < f.num_categorical(); ++k) {
      const auto& codes = f.categorical[k];
      json field{{"name", f.categorical_names[k]},
                 {"cardinality", f.categorical_cardinality[k]},
                 {"unknown", std::count(codes.begin(), codes.end(), 0)}};
      if (f.is_bag(k))  // multi-valued: every value is used (mean-pooled)
        field["mean_values"] = f.size() ? static_cast<double>(f.bag_codes[k].size()) / static_cast<double>(f.size()) : 0.0;
      cat.push_back(field);
    }
    j["categorical"] = cat;
    return j;
  };
  return {{"users", side(fs.users)}, {"items", side(fs.items)}};
}

std::string format_statistics_text(const json& r) {
  std::string s;
  auto line = [&](const std::string& text) { s += text + "\n"; };
  if (r.contains("dataset")) {
    const json& d = r["dataset"];
    line(fmt::format("Dataset ({}) {}", d.value("format", ""), d.value("path", "")));
    line(fmt::format("  users {}  items {}  interactions {}  distinct pairs {}  sparsity {:.4f}%", number(d["users"]),
                     number(d["items"]), number(d["interactions"]), number(d["distinct_user_item_pairs"]),
                     100.0 * d["sparsity"].get<double>()));
    std::string ev;
    for (int e = 0; e < kNumEvents; ++e) {
      std::string name(event_name(static_cast<Event>(e)));
      ev += fmt::format(" {} {}", name, number(d["events"][name]));
    }
    line("  events:" + ev);
    if (d.contains("time_range"))
      line(fmt::format("  time {} .. {} ({:.1f} days)", d["time_range"]["min_iso"].get<std::string>(),
                       d["time_range"]["max_iso"].get<std::string>(), d["time_range"]["days"].get<double>()));
    for (const char* key : {"interactions_per_user", "interactions_per_item"}) {
      std::string q;
      for (const char* k : {"min", "p25", "median", "p75", "p90", "p99", "max", "mean"})
        if (d[key].contains(k)) q += fmt::format(" {} {}", k, number(d[key][k]));
      line(fmt::format("  {}:{}", key, q));
    }
    for (const char* key : {"user_attributes", "item_attributes"}) {
      std::string a;
      for (const auto& c : d[key])
        a += fmt::format(" {}({}{})", c["name"].get<std::string>(), c["kind"].get<std::string>(),
                         c.contains("values") ? ", " + number(c["values"]) + " values" : std::string());
      line(fmt::format("  {}:{}", key, a.empty() ? " none" : a));
    }
  }
  if (r.contains("recency") && r["recency"].value("span_days", 0.0) > 0) {
    const json& rc = r["recency"];
    std::string grid;
    for (const auto& g : rc["auto_grid"])
      grid += fmt::format(" {:.4g}d {:.1f}%", g["half_life_days"].get<double>(), 100.0 * g["kept_fraction"].get<double>());
    line(fmt::format("Recency (data.recency_half_life_days {}): training span {:.1f} days; positives kept per epoch at "
                     "the half-lives auto tries (span/2 .. span/32, or off):{}",
                     rc["configured"].is_string() ? "auto" : number(rc["configured"]["half_life_days"]),
                     rc["span_days"].get<double>(), grid));
  }
  if (r.contains("split")) {
    const json& sp = r["split"];
    line(fmt::format("Split {} (seed {}), train ends {}", sp["strategy"].get<std::string>(), number(sp["seed"]),
                     iso_utc(sp["train_end_time"].get<std::int64_t>())));
    for (const char* part : {"train", "validation", "test"}) {
      const json& p = sp[part];
      std::string cold;
      if (p.contains("cold_start_users"))
        cold = fmt::format("  cold-start users {} items {}", number(p["cold_start_users"]), number(p["cold_start_items"]));
      line(fmt::format("  {:<10} {:>10} interactions ({:.1f}%)  users {}  items {}{}", part, number(p["interactions"]),
                       100.0 * sp["shares"][part].get<double>(), number(p["users"]), number(p["items"]), cold));
    }
  }
  if (r.contains("features")) {
    for (const char* side : {"users", "items"}) {
      const json& f = r["features"][side];
      line(fmt::format("Features of {}: dense {}, categorical {}", side, number(f["dense_dim"]), f["categorical"].size()));
      for (const auto& c : f["dense"])
        line(fmt::format("  {:<28} min {:.3f}  mean {:.3f}  max {:.3f}", c["name"].get<std::string>(),
                         c["min"].get<double>(), c["mean"].get<double>(), c["max"].get<double>()));
      for (const auto& c : f["categorical"])
        line(fmt::format("  {:<28} embedding field, cardinality {} ({} unknown)", c["name"].get<std::string>(),
                         number(c["cardinality"]), number(c["unknown"])));
    }
  }
  if (r.contains("warnings"))
    for (const auto& w : r["warnings"]) line("warning: " + w.get<std::string>());
  return s;
}

}  // namespace hybridrec
