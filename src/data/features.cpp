// Content features (see data/features.h). Everything the transform needs - attribute
// vocabularies, min/max, the price percentile table, priors - is fitted once and
// kept in stats_ (feature_stats.json); transform() and the serving-time
// *_from_attributes() read only that JSON, so a saved model applies exactly the
// transform it was trained with.
//
// Layout. Users: [attribute blocks][total_purchases][avg_price_point (if items have a
// price)][recency][frequency]; categorical: [large attributes][favourite_category (if
// items have a category)]. Items: [attribute blocks][price_percentile (if price)]
// [popularity][avg_rating][conversion_rate][trending][recency]; categorical:
// [category][brand][other large attributes]. Attribute blocks: categorical with at
// most max_one_hot values -> one-hot (multi-hot for multi-valued columns) with an
// explicit "unknown" slot; larger -> embedding field (code 0 = unknown), a bag of
// codes for a multi-valued column (mean-pooled by the network, nn.EmbeddingBag);
// numeric -> min-max over the catalogue, missing -> catalogue mean.
#include "data/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

#include "core/error.h"

namespace hybridrec {

namespace {

using nlohmann::json;

constexpr int kStatsVersion = 1;
constexpr double kDaySeconds = 86400.0;
constexpr double kUserRecencyTauDays = 30.0;   // a month of silence -> recency e^-1
constexpr double kItemRecencyTauDays = 90.0;   // items age more slowly than user visits
constexpr double kRatingShrinkage = 2.0;       // pseudo-ratings at the prior mean
constexpr double kConversionShrinkage = 5.0;   // pseudo-views at the prior conversion rate
constexpr int kPercentilePoints = 101;         // price quantiles at 0%, 1%, ..., 100%
constexpr double kTrendLogClip = 3.0;          // trending: log share ratio clipped to +-3

float clamp01(double v) {
  if (!(v == v)) return 0.0f;  // NaN
  return static_cast<float>(std::clamp(v, 0.0, 1.0));
}

float min_max(double v, double lo, double hi) { return hi > lo ? clamp01((v - lo) / (hi - lo)) : 0.0f; }

enum class Encoding { OneHot, MultiHot, Embedding, EmbeddingBag, Numeric };

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::OneHot: return "one_hot";
    case Encoding::MultiHot: return "multi_hot";
    case Encoding::Embedding: return "embedding";
    case Encoding::EmbeddingBag: return "embedding_bag";
    case Encoding::Numeric: return "numeric";
  }
  return "";
}

Encoding parse_encoding(const std::string& s) {
  if (s == "one_hot") return Encoding::OneHot;
  if (s == "multi_hot") return Encoding::MultiHot;
  if (s == "embedding") return Encoding::Embedding;
  if (s == "embedding_bag") return Encoding::EmbeddingBag;
  if (s == "numeric") return Encoding::Numeric;
  throw DataError("feature_stats.json", 0, "encoding", "unknown attribute encoding '" + s + "'");
}

// One attribute column as the transform sees it.
struct AttributeSpec {
  std::string name;
  Encoding encoding = Encoding::OneHot;
  std::vector<std::string> vocabulary;
  std::unordered_map<std::string, int> index;
  double min = 0, max = 0, fill = 0;  // numeric: min-max range and the value for missing
  std::string separator = "|";        // multi-valued: what separates the values of a raw attribute

  int code(const std::string& value) const {
    auto it = index.find(value);
    return it == index.end() ? -1 : it->second;
  }
  json to_json() const {
    json j{{"name", name}, {"encoding", encoding_name(encoding)}};
    if (encoding == Encoding::Numeric) {
      j["min"] = min;
      j["max"] = max;
      j["fill"] = fill;
    } else {
      j["vocabulary"] = vocabulary;
      if (multi_valued()) j["separator"] = separator;
    }
    return j;
  }
  static AttributeSpec from_json(const json& j) {
    AttributeSpec a;
    a.name = j.at("name").get<std::string>();
    a.encoding = parse_encoding(j.at("encoding").get<std::string>());
    if (a.encoding == Encoding::Numeric) {
      a.min = j.at("min").get<double>();
      a.max = j.at("max").get<double>();
      a.fill = j.at("fill").get<double>();
    } else {
      a.vocabulary = j.at("vocabulary").get<std::vector<std::string>>();
      a.separator = j.value("separator", std::string("|"));
      if (a.separator.empty()) throw DataError("feature_stats.json", 0, a.name + ".separator", "empty separator");
      for (std::size_t k = 0; k < a.vocabulary.size(); ++k) a.index.emplace(a.vocabulary[k], static_cast<int>(k));
    }
    return a;
  }
  bool embedded() const { return encoding == Encoding::Embedding || encoding == Encoding::EmbeddingBag; }
  bool multi_valued() const { return encoding == Encoding::MultiHot || encoding == Encoding::EmbeddingBag; }
  std::size_t dense_width() const {
    if (encoding == Encoding::Numeric) return 1;
    if (embedded()) return 0;
    return vocabulary.size() + 1;  // + unknown slot
  }
  void append_names(std::vector<std::string>& dense_names, std::vector<std::string>& cat_names,
                    std::vector<std::int32_t>& cardinality, std::vector<bool>& bags) const {
    if (encoding == Encoding::Numeric) {
      dense_names.push_back(name);
    } else if (embedded()) {
      cat_names.push_back(name);
      cardinality.push_back(static_cast<std::int32_t>(vocabulary.size() + 1));
      bags.push_back(encoding == Encoding::EmbeddingBag);
    } else {
      for (const auto& v : vocabulary) dense_names.push_back(name + "=" + v);
      dense_names.push_back(name + "=unknown");
    }
  }
};

// One entity's value of one attribute: stats-vocabulary codes (-1 = unknown) or a number.
struct AttributeValue {
  std::vector<int> codes;
  double number = std::numeric_limits<double>::quiet_NaN();
};

// Encodes one attribute at dense/cat (both advanced). A bag field's codes also go to
// (*bags)[its field index, cat - cat_begin] when bags is given.
void encode_attribute(const AttributeSpec& a, const AttributeValue& v, float*& dense, std::int32_t*& cat,
                      const std::int32_t* cat_begin = nullptr, CategoricalBags* bags = nullptr) {
  switch (a.encoding) {
    case Encoding::Numeric:
      *dense++ = std::isnan(v.number) ? clamp01(a.fill) : min_max(v.number, a.min, a.max);
      break;
    case Encoding::Embedding: {
      int code = v.codes.empty() ? -1 : v.codes.front();
      *cat++ = code < 0 ? 0 : code + 1;
      break;
    }
    case Encoding::EmbeddingBag: {
      // Every known value; values never seen in training are left out, and a bag
      // with none left is the unknown code alone (as a missing single value).
      std::vector<std::int32_t> codes;
      for (int c : v.codes)
        if (c >= 0) codes.push_back(c + 1);
      if (codes.empty()) codes.push_back(0);
      if (bags) (*bags)[static_cast<std::size_t>(cat - cat_begin)] = codes;
      *cat++ = codes.front();
      break;
    }
    case Encoding::OneHot:
    case Encoding::MultiHot: {
      const std::size_t width = a.vocabulary.size() + 1;
      std::fill(dense, dense + width, 0.0f);
      bool any = false;
      // Multi-hot is mean-pooled: each of an entity's n known values weighs 1/n, so
      // an item with eight tags does not outweigh one with a single tag (the dense
      // form of nn.EmbeddingBag(mode="mean") over the column's values).
      std::size_t known = 0;
      for (int c : v.codes) known += c >= 0;
      const float share = a.encoding == Encoding::MultiHot && known > 0 ? 1.0f / static_cast<float>(known) : 1.0f;
      for (int c : v.codes) {
        if (c < 0) continue;
        dense[c] += share;
        any = true;
        if (a.encoding == Encoding::OneHot) break;
      }
      if (!any) dense[width - 1] = 1.0f;  // missing or never seen in training: the unknown slot
      dense += width;
      break;
    }
  }
}

// Maps a dataset column's codes to a spec's codes by value (the dataset may have been
// loaded separately, with another vocabulary order, or lack the column entirely).
struct ColumnReader {
  const AttributeColumn* column = nullptr;
  std::vector<int> remap;

  ColumnReader(const AttributeSpec& spec, const AttributeTable& table) {
    column = table.find(spec.name);
    if (column && column->is_categorical())
      for (const auto& v : column->vocabulary) remap.push_back(spec.code(v));
  }
  AttributeValue value(std::size_t entity) const {
    AttributeValue v;
    if (!column || entity >= column->size()) return v;
    if (!column->is_categorical()) {
      v.number = column->numbers[entity];
      return v;
    }
    auto map = [&](std::int32_t c) { return c >= 0 && c < static_cast<int>(remap.size()) ? remap[c] : -1; };
    if (column->is_multi() && entity < column->multi.size() && !column->multi[entity].empty()) {
      for (auto c : column->multi[entity]) v.codes.push_back(map(c));
    } else {
      v.codes.push_back(map(column->codes[entity]));
    }
    return v;
  }
};

AttributeValue raw_value(const AttributeSpec& a, const RawAttributes& raw, const char* side) {
  AttributeValue v;
  auto it = raw.find(a.name);
  if (it == raw.end() || it->second.empty()) return v;
  const std::string& text = it->second;
  if (a.encoding == Encoding::Numeric) {
    char* end = nullptr;
    double x = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(x))
      throw DataError(std::string(side) + " attributes", 0, a.name, "'" + text + "' is not a number");
    v.number = x;
    return v;
  }
  if (a.multi_valued()) {  // "a|b" (or the column's own separator): every value
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t bar = text.find(a.separator, start);
      if (bar == std::string::npos) bar = text.size();
      if (bar > start) v.codes.push_back(a.code(text.substr(start, bar - start)));
      start = bar + a.separator.size();
    }
    return v;
  }
  // One value; a multi-valued text ("Action|Comedy") counts by its first (primary) value.
  v.codes.push_back(a.code(text.substr(0, text.find('|'))));
  return v;
}

// Fits an attribute spec from a dataset column (catalogue attributes, not interactions).
AttributeSpec fit_attribute(const AttributeColumn& col, const FeatureConfig& config, bool force_embedding) {
  AttributeSpec a;
  a.name = col.name;
  if (!col.is_categorical()) {
    a.encoding = Encoding::Numeric;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
    std::size_t n = 0;
    for (float x : col.numbers)
      if (!std::isnan(x)) {
        lo = std::min(lo, static_cast<double>(x));
        hi = std::max(hi, static_cast<double>(x));
        sum += x;
        ++n;
      }
    if (n == 0) lo = hi = 0;
    a.min = lo;
    a.max = hi;
    a.fill = n == 0 || hi <= lo ? 0.0 : (sum / n - lo) / (hi - lo);
    return a;
  }
  a.vocabulary = col.vocabulary;
  a.separator = col.separator;
  for (std::size_t k = 0; k < a.vocabulary.size(); ++k) a.index.emplace(a.vocabulary[k], static_cast<int>(k));
  if (force_embedding || static_cast<int>(a.vocabulary.size()) > config.max_one_hot)
    a.encoding = col.is_multi() ? Encoding::EmbeddingBag : Encoding::Embedding;
  else
    a.encoding = col.is_multi() ? Encoding::MultiHot : Encoding::OneHot;
  return a;
}

// Item columns with a special role: the category (or, e.g. for MovieLens, the genre)
// and the brand become embedding fields in that order.
const AttributeColumn* find_category_column(const AttributeTable& t) {
  for (const char* name : {"category", "genre", "genres"})
    if (const auto* c = t.find(name); c && c->is_categorical()) return c;
  return nullptr;
}

// Training-period behaviour of every user and item, before normalisation.
struct Behaviour {
  // Users.
  std::vector<double> purchases, price_point_sum, activity_days;
  std::vector<std::uint32_t> price_point_count;
  std::vector<std::int64_t> last_time;
  std::vector<int> favourite;  // index into the fitted category vocabulary, -1 = none
  // Items.
  std::vector<double> popularity, rating_sum, rating_count, item_purchases, item_views, recent;
  std::vector<std::int64_t> first_time;
  double recent_total = 0, popularity_total = 0, rating_total = 0, rating_n = 0, views_total = 0,
         purchases_total = 0;
  bool any_purchase = false;
};

float event_weight(const FeatureConfig& c, Event e) {
  switch (e) {
    case Event::View: return c.view_weight;
    case Event::AddToCart: return c.cart_weight;
    case Event::Purchase: return c.purchase_weight;
    case Event::Rating: return c.rating_weight;
  }
  return 1.0f;
}

}  // namespace

FeatureConfig FeatureConfig::from_json(const json& j) {
  FeatureConfig c;
  c.max_one_hot = j.at("max_one_hot").get<int>();
  c.view_weight = j.at("view_weight").get<float>();
  c.cart_weight = j.at("cart_weight").get<float>();
  c.purchase_weight = j.at("purchase_weight").get<float>();
  c.rating_weight = j.at("rating_weight").get<float>();
  c.trending_window_days = j.at("trending_window_days").get<int>();
  return c;
}

json FeatureConfig::to_json() const {
  return {{"max_one_hot", max_one_hot},         {"view_weight", view_weight},
          {"cart_weight", cart_weight},         {"purchase_weight", purchase_weight},
          {"rating_weight", rating_weight},     {"trending_window_days", trending_window_days}};
}

namespace {

// Price percentile from the fitted quantile table (linear between quantiles).
double price_percentile(const std::vector<double>& q, double price) {
  if (q.empty() || std::isnan(price)) return 0.5;
  if (price <= q.front()) return 0.0;
  if (price >= q.back()) return 1.0;
  auto it = std::upper_bound(q.begin(), q.end(), price);
  auto k = static_cast<std::size_t>(it - q.begin()) - 1;  // q[k] <= price < q[k+1]
  double frac = q[k + 1] > q[k] ? (price - q[k]) / (q[k + 1] - q[k]) : 0.0;
  return (static_cast<double>(k) + frac) / static_cast<double>(q.size() - 1);
}

// Everything fit and transform share, read from stats_.
struct Model {
  FeatureConfig config;
  std::int64_t cut_time = 0;
  std::vector<AttributeSpec> user_attrs, item_attrs;  // in layout order (item: category, brand first)
  std::string category_column, price_column;           // empty when absent
  std::vector<double> price_quantiles;
  json users_b, items_b;  // behaviour normalisers

  static Model from_stats(const json& s) {
    Model m;
    m.config = FeatureConfig::from_json(s.at("config"));
    m.cut_time = s.at("cut_time").get<std::int64_t>();
    for (const auto& a : s.at("users").at("attributes")) m.user_attrs.push_back(AttributeSpec::from_json(a));
    for (const auto& a : s.at("items").at("attributes")) m.item_attrs.push_back(AttributeSpec::from_json(a));
    m.category_column = s.at("items").value("category_column", "");
    m.price_column = s.at("items").value("price_column", "");
    m.users_b = s.at("users").at("behaviour");
    m.items_b = s.at("items").at("behaviour");
    if (m.items_b.contains("price_percentile"))
      m.price_quantiles = m.items_b["price_percentile"].at("quantiles").get<std::vector<double>>();
    return m;
  }
  const AttributeSpec* category_spec() const {
    for (const auto& a : item_attrs)
      if (a.name == category_column) return &a;
    return nullptr;
  }
};

}  // namespace

struct FeatureBuilder::Fitted {
  Model model;
  std::size_t user_dense_dim = 0, user_fields = 0;
  static std::shared_ptr<const Fitted> from_stats(const json& stats) {
    auto f = std::make_shared<Fitted>();
    f->model = Model::from_stats(stats);
    f->user_dense_dim = stats.at("users").at("dense_names").size();
    f->user_fields = stats.at("users").at("categorical_cardinality").size();
    return f;
  }
};

std::shared_ptr<const FeatureBuilder::Fitted> FeatureBuilder::fitted() const {
  return fitted_ ? fitted_ : Fitted::from_stats(stats_);
}

namespace {

// Sharded (users disjoint across shards): per-user values are zero / -1 / min()
// outside their shard, so element-wise sums and extremes give the global values.
void sum_doubles(ShardCollectives& shards, std::initializer_list<std::vector<double>*> vectors) {
  for (auto* v : vectors) shards.sum(*v);
}

template <class T>
void reduce_as_int64(ShardCollectives& shards, std::vector<T>& v, bool take_max) {
  std::vector<std::int64_t> wide(v.begin(), v.end());
  take_max ? shards.max(wide.data(), wide.size()) : shards.min(wide.data(), wide.size());
  std::copy(wide.begin(), wide.end(), v.begin());
}

void reduce_behaviour(ShardCollectives& shards, Behaviour& b) {
  sum_doubles(shards, {&b.purchases, &b.price_point_sum, &b.activity_days, &b.popularity, &b.rating_sum,
                       &b.rating_count, &b.item_purchases, &b.item_views, &b.recent});
  std::vector<std::uint64_t> counts(b.price_point_count.begin(), b.price_point_count.end());
  shards.sum(counts);
  std::copy(counts.begin(), counts.end(), b.price_point_count.begin());
  reduce_as_int64(shards, b.last_time, true);
  reduce_as_int64(shards, b.favourite, true);
  reduce_as_int64(shards, b.first_time, false);
  double totals[] = {b.recent_total, b.popularity_total, b.rating_total, b.rating_n, b.views_total, b.purchases_total};
  shards.sum(totals, std::size(totals));
  b.recent_total = totals[0], b.popularity_total = totals[1], b.rating_total = totals[2], b.rating_n = totals[3],
  b.views_total = totals[4], b.purchases_total = totals[5];
}

// Aggregates split.train (nothing after split.train_end_time) per user and item.
// With `per_user`, also keeps what serving needs to fold new events into a user's
// behaviour (TrainingBehaviour): the distinct days and touched categories behind
// activity_days and favourite, and the per-item category and price percentile.
Behaviour aggregate(const Dataset& ds, const Split& split, const Model& m, ShardCollectives* shards,
                    TrainingBehaviour* per_user = nullptr) {
  const std::size_t nu = ds.num_users(), ni = ds.num_items();
  Behaviour b;
  b.purchases.assign(nu, 0);
  b.price_point_sum.assign(nu, 0);
  b.price_point_count.assign(nu, 0);
  b.activity_days.assign(nu, 0);
  b.last_time.assign(nu, std::numeric_limits<std::int64_t>::min());
  b.favourite.assign(nu, -1);
  b.popularity.assign(ni, 0);
  b.rating_sum.assign(ni, 0);
  b.rating_count.assign(ni, 0);
  b.item_purchases.assign(ni, 0);
  b.item_views.assign(ni, 0);
  b.recent.assign(ni, 0);
  b.first_time.assign(ni, std::numeric_limits<std::int64_t>::max());

  // Per item: its category code in the fitted vocabulary and its price percentile.
  std::vector<int> item_category(ni, -1);
  std::vector<double> item_percentile(ni, std::numeric_limits<double>::quiet_NaN());
  if (const AttributeSpec* cat = m.category_spec()) {
    ColumnReader reader(*cat, ds.item_attributes);
    for (std::size_t i = 0; i < ni; ++i) {
      auto v = reader.value(i);
      item_category[i] = v.codes.empty() ? -1 : v.codes.front();
    }
  }
  if (!m.price_column.empty())
    if (const auto* col = ds.item_attributes.find(m.price_column); col && !col->is_categorical())
      for (std::size_t i = 0; i < ni && i < col->numbers.size(); ++i)
        if (!std::isnan(col->numbers[i])) item_percentile[i] = price_percentile(m.price_quantiles, col->numbers[i]);

  const std::int64_t cut = m.cut_time;  // the fitted cut, whatever split is passed later
  const std::int64_t recent_from = cut - static_cast<std::int64_t>(m.config.trending_window_days) * 86400;
  std::vector<std::uint32_t> rows;  // training rows in use, grouped by user below
  rows.reserve(split.train.size());
  for (auto k : split.train) {
    if (k >= ds.interactions.size()) throw Error("features: split index " + std::to_string(k) + " out of range");
    const Interaction& x = ds.interactions[k];
    if (x.timestamp > cut) continue;  // never look past the cut
    rows.push_back(k);
    if (x.event == Event::Purchase) b.any_purchase = true;
    const double w = event_weight(m.config, x.event);
    b.popularity[x.item] += w;
    b.popularity_total += w;
    if (x.timestamp > recent_from) {
      b.recent[x.item] += w;
      b.recent_total += w;
    }
    if (x.event == Event::Rating && !std::isnan(x.value)) {
      b.rating_sum[x.item] += x.value;
      b.rating_count[x.item] += 1;
      b.rating_total += x.value;
      b.rating_n += 1;
    }
    if (x.event == Event::View) {
      b.item_views[x.item] += 1;
      b.views_total += 1;
    }
    if (x.event == Event::Purchase) {
      b.item_purchases[x.item] += 1;
      b.purchases_total += 1;
    }
    b.first_time[x.item] = std::min(b.first_time[x.item], x.timestamp);
    b.last_time[x.user] = std::max(b.last_time[x.user], x.timestamp);
    if (!std::isnan(item_percentile[x.item])) {
      b.price_point_sum[x.user] += item_percentile[x.item];
      b.price_point_count[x.user] += 1;
    }
  }
  if (shards) b.any_purchase = shards->max(std::int64_t{b.any_purchase}) != 0;  // decides the loop below
  // "Total purchases": purchase events, or every interaction for explicit-rating data
  // (MovieLens) where a rating is the only evidence of consumption.
  for (auto k : rows) {
    const Interaction& x = ds.interactions[k];
    if (!b.any_purchase || x.event == Event::Purchase) b.purchases[x.user] += 1;
  }
  // Favourite category (event-weighted, ties -> lower code) and active days, per user.
  std::sort(rows.begin(), rows.end(), [&](std::uint32_t a, std::uint32_t c) {
    const auto &x = ds.interactions[a], &y = ds.interactions[c];
    return x.user != y.user ? x.user < y.user : x.timestamp < y.timestamp;
  });
  const std::size_t ncat = m.category_spec() ? m.category_spec()->vocabulary.size() : 0;
  std::vector<double> cat_weight(ncat, 0);
  std::vector<int> touched;
  // per_user's CSR rows: users before next_open are closed (their ranges end).
  std::uint32_t next_open = 0;
  auto close_users_before = [&](std::size_t end) {
    if (!per_user) return;
    for (; next_open < end; ++next_open) {
      per_user->day_offsets.push_back(static_cast<std::uint32_t>(per_user->days.size()));
      per_user->category_offsets.push_back(static_cast<std::uint32_t>(per_user->categories.size()));
    }
  };
  if (per_user) {
    per_user->day_offsets.assign(1, 0);
    per_user->category_offsets.assign(1, 0);
  }
  for (std::size_t s = 0; s < rows.size();) {
    const auto u = ds.interactions[rows[s]].user;
    close_users_before(u);
    std::size_t e = s;
    std::int64_t prev_day = std::numeric_limits<std::int64_t>::min();
    double days = 0;
    for (; e < rows.size() && ds.interactions[rows[e]].user == u; ++e) {
      const Interaction& x = ds.interactions[rows[e]];
      std::int64_t day = x.timestamp >= 0 ? x.timestamp / 86400 : (x.timestamp - 86399) / 86400;
      if (day != prev_day) {  // rows are in time order within the user
        ++days;
        if (per_user) per_user->days.push_back(day);
      }
      prev_day = day;
      int c = item_category[x.item];
      if (c >= 0) {
        if (cat_weight[c] == 0) touched.push_back(c);
        cat_weight[c] += event_weight(m.config, x.event);
      }
    }
    b.activity_days[u] = days;
    int best = -1;
    for (int c : touched)
      if (best < 0 || cat_weight[c] > cat_weight[best] || (cat_weight[c] == cat_weight[best] && c < best)) best = c;
    b.favourite[u] = best;
    if (per_user) {
      std::sort(touched.begin(), touched.end());
      touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
      for (int c : touched) {
        per_user->categories.push_back(c);
        per_user->category_weights.push_back(cat_weight[c]);
      }
    }
    close_users_before(static_cast<std::size_t>(u) + 1);
    for (int c : touched) cat_weight[c] = 0;
    touched.clear();
    s = e;
  }
  close_users_before(nu);
  if (per_user) {
    per_user->purchases = b.purchases;
    per_user->price_point_sum = b.price_point_sum;
    per_user->price_point_count = b.price_point_count;
    per_user->last_time = b.last_time;
    per_user->item_category.assign(item_category.begin(), item_category.end());
    per_user->item_price_percentile = item_percentile;
  }
  if (shards) reduce_behaviour(*shards, b);
  return b;
}

json range_of(const std::vector<double>& values) {
  double lo = 0, hi = 0;
  if (!values.empty()) {
    lo = *std::min_element(values.begin(), values.end());
    hi = *std::max_element(values.begin(), values.end());
  }
  return {{"min", lo}, {"max", hi}};
}

std::vector<double> log1p_all(const std::vector<double>& v) {
  std::vector<double> out(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) out[k] = std::log1p(v[k]);
  return out;
}

// Behaviour values of one user; history == false gives the "no history" values
// that a brand-new user receives at serving time.
struct UserBehaviour {
  double purchases = 0, price_point = std::numeric_limits<double>::quiet_NaN(), days = 0;
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  int favourite = -1;
};

void encode_user_behaviour(const Model& m, const UserBehaviour& v, float*& dense, std::int32_t*& cat) {
  const json& b = m.users_b;
  *dense++ = min_max(std::log1p(v.purchases), b["total_purchases"]["min"], b["total_purchases"]["max"]);
  if (b.contains("avg_price_point")) {
    const json& p = b["avg_price_point"];
    *dense++ = std::isnan(v.price_point) ? clamp01(p["fill"].get<double>())
                                         : min_max(v.price_point, p["min"], p["max"]);
  }
  const double tau = b["recency"]["tau_days"].get<double>();
  *dense++ = v.last == std::numeric_limits<std::int64_t>::min()
                 ? 0.0f
                 : clamp01(std::exp(-std::max(0.0, (m.cut_time - v.last) / kDaySeconds) / tau));
  *dense++ = min_max(std::log1p(v.days), b["frequency"]["min"], b["frequency"]["max"]);
  if (b.contains("favourite_category")) *cat++ = v.favourite < 0 ? 0 : v.favourite + 1;
}

struct ItemBehaviour {
  double price = std::numeric_limits<double>::quiet_NaN();
  double popularity = 0, rating_sum = 0, rating_count = 0, purchases = 0, views = 0, recent = 0;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
};

void encode_item_behaviour(const Model& m, const ItemBehaviour& v, float*& dense) {
  const json& b = m.items_b;
  if (b.contains("price_percentile")) *dense++ = clamp01(price_percentile(m.price_quantiles, v.price));
  *dense++ = min_max(std::log1p(v.popularity), b["popularity"]["min"], b["popularity"]["max"]);
  {
    const json& r = b["avg_rating"];
    const double prior = r["prior"], shrink = r["shrinkage"], lo = r["scale_min"], hi = r["scale_max"];
    *dense++ = min_max((v.rating_sum + shrink * prior) / (v.rating_count + shrink), lo, hi);
  }
  {
    const json& c = b["conversion_rate"];
    const double prior = c["prior"], shrink = c["shrinkage"];
    *dense++ = clamp01((v.purchases + shrink * prior) / (v.views + shrink));
  }
  {
    // Share of recent weighted events vs share of all: > 1 rising, < 1 fading.
    const json& t = b["trending"];
    const double recent_total = t["recent_total"], total = t["total"];
    double score = 0.5;  // neutral: no evidence either way
    if (recent_total > 0 && total > 0 && v.popularity > 0) {
      double ratio = (v.recent / recent_total) / (v.popularity / total);
      double lr = ratio > 0 ? std::clamp(std::log(ratio), -kTrendLogClip, kTrendLogClip) : -kTrendLogClip;
      score = (lr + kTrendLogClip) / (2 * kTrendLogClip);
    }
    *dense++ = clamp01(score);
  }
  // Recency: new items score high; never seen in training = brand new = 1.
  const double tau = b["recency"]["tau_days"].get<double>();
  *dense++ = v.first == std::numeric_limits<std::int64_t>::max()
                 ? 1.0f
                 : clamp01(std::exp(-std::max(0.0, (m.cut_time - v.first) / kDaySeconds) / tau));
}

void append_user_behaviour_names(const json& b, std::vector<std::string>& dense, std::vector<std::string>& cat,
                                 std::vector<std::int32_t>& card, std::vector<bool>& bags) {
  dense.push_back("total_purchases");
  if (b.contains("avg_price_point")) dense.push_back("avg_price_point");
  dense.push_back("recency");
  dense.push_back("frequency");
  if (b.contains("favourite_category")) {
    cat.push_back("favourite_category");
    card.push_back(b["favourite_category"]["cardinality"].get<std::int32_t>());
    bags.push_back(false);
  }
}

void append_item_behaviour_names(const json& b, std::vector<std::string>& dense) {
  if (b.contains("price_percentile")) dense.push_back("price_percentile");
  for (const char* n : {"popularity", "avg_rating", "conversion_rate", "trending", "recency"}) dense.push_back(n);
}

// Fills names/dims of one side into its JSON so the layout is readable in the file.
void describe_side(json& side, const std::vector<AttributeSpec>& attrs, bool users) {
  std::vector<std::string> dense, cat;
  std::vector<std::int32_t> card;
  std::vector<bool> bags;
  for (const auto& a : attrs) a.append_names(dense, cat, card, bags);
  if (users)
    append_user_behaviour_names(side["behaviour"], dense, cat, card, bags);
  else
    append_item_behaviour_names(side["behaviour"], dense);
  side["dense_names"] = dense;
  side["categorical_names"] = cat;
  side["categorical_cardinality"] = card;
  side["categorical_bags"] = bags;
}

// Which categorical fields are bags; files written before bags existed have none.
std::vector<bool> bag_fields_of(const json& side) {
  std::vector<bool> bags(side.at("categorical_names").size(), false);
  if (side.contains("categorical_bags")) bags = side["categorical_bags"].get<std::vector<bool>>();
  if (bags.size() != side.at("categorical_names").size())
    throw DataError("feature_stats.json", 0, "categorical_bags", "one flag per categorical field expected");
  return bags;
}

// Appends entity rows' bags to the features' CSR arrays (bag fields only).
void append_bags(EntityFeatures& f, const CategoricalBags& row) {
  for (std::size_t j = 0; j < row.size(); ++j) {
    if (!f.is_bag(j)) continue;
    f.bag_codes[j].insert(f.bag_codes[j].end(), row[j].begin(), row[j].end());
    f.bag_offsets[j].push_back(static_cast<std::uint32_t>(f.bag_codes[j].size()));
  }
}

void init_entity(EntityFeatures& f, const json& side, std::size_t n) {
  f.dense_names = side.at("dense_names").get<std::vector<std::string>>();
  f.categorical_names = side.at("categorical_names").get<std::vector<std::string>>();
  f.categorical_cardinality = side.at("categorical_cardinality").get<std::vector<std::int32_t>>();
  f.dense = RowMatrix::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(f.dense_names.size()));
  f.categorical.assign(f.categorical_names.size(), std::vector<std::int32_t>(n, 0));
  const std::vector<bool> bags = bag_fields_of(side);
  f.bag_offsets.assign(bags.size(), {});
  f.bag_codes.assign(bags.size(), {});
  for (std::size_t j = 0; j < bags.size(); ++j)
    if (bags[j]) f.bag_offsets[j].push_back(0);  // rows are appended by transform
}

}  // namespace

FeatureBuilder FeatureBuilder::fit(const Dataset& ds, const Split& split, const FeatureConfig& config,
                                   ShardCollectives* shards) {
  if (config.max_one_hot < 0) throw ConfigError("features: max_one_hot must be >= 0");
  if (config.trending_window_days <= 0) throw ConfigError("features: trending_window_days must be > 0");
  json s;
  s["version"] = kStatsVersion;
  s["config"] = config.to_json();
  s["cut_time"] = split.train_end_time;

  // Attribute encoders from the attribute tables (catalogue facts, not interactions).
  json user_attrs = json::array(), item_attrs = json::array();
  for (const auto& col : ds.user_attributes.columns) user_attrs.push_back(fit_attribute(col, config, false).to_json());
  const AttributeColumn* category = find_category_column(ds.item_attributes);
  const AttributeColumn* brand = ds.item_attributes.find("brand");
  if (brand && !brand->is_categorical()) brand = nullptr;
  if (category) item_attrs.push_back(fit_attribute(*category, config, true).to_json());
  if (brand) item_attrs.push_back(fit_attribute(*brand, config, true).to_json());
  for (const auto& col : ds.item_attributes.columns)
    if (&col != category && &col != brand) item_attrs.push_back(fit_attribute(col, config, false).to_json());
  s["users"]["attributes"] = user_attrs;
  s["items"]["attributes"] = item_attrs;
  s["items"]["category_column"] = category ? category->name : "";
  const AttributeColumn* price = ds.item_attributes.find("price");
  if (price && price->is_categorical()) price = nullptr;
  s["items"]["price_column"] = price ? price->name : "";

  json ib = json::object();
  if (price) {
    std::vector<double> prices;
    for (float p : price->numbers)
      if (!std::isnan(p)) prices.push_back(p);
    std::sort(prices.begin(), prices.end());
    std::vector<double> q;
    if (!prices.empty())
      for (int k = 0; k < kPercentilePoints; ++k)
        q.push_back(prices[static_cast<std::size_t>(std::llround(k / double(kPercentilePoints - 1) * (prices.size() - 1)))]);
    ib["price_percentile"] = {{"quantiles", q}};
  }
  // Placeholders so Model can be built to aggregate behaviour; filled in below.
  s["items"]["behaviour"] = ib;
  s["users"]["behaviour"] = json::object();
  Model m = Model::from_stats(s);
  Behaviour b = aggregate(ds, split, m, shards);

  // Users: normalisers over every user of the dataset (no history counts as 0).
  json ub;
  ub["total_purchases"] = range_of(log1p_all(b.purchases));
  ub["total_purchases"]["source"] = b.any_purchase ? "purchase" : "all_interactions";
  if (price) {
    std::vector<double> points;
    for (std::size_t u = 0; u < b.price_point_sum.size(); ++u)
      if (b.price_point_count[u] > 0) points.push_back(b.price_point_sum[u] / b.price_point_count[u]);
    json p = range_of(points);
    double mean = 0;
    for (double x : points) mean += x;
    mean = points.empty() ? 0.5 : mean / points.size();
    double lo = p["min"], hi = p["max"];
    p["fill"] = hi > lo ? (mean - lo) / (hi - lo) : 0.5;  // a newcomer looks like the average shopper
    ub["avg_price_point"] = p;
  }
  ub["recency"] = {{"tau_days", kUserRecencyTauDays}};
  ub["frequency"] = range_of(log1p_all(b.activity_days));
  if (m.category_spec())
    ub["favourite_category"] = {{"column", m.category_column},
                                {"cardinality", m.category_spec()->vocabulary.size() + 1}};
  s["users"]["behaviour"] = ub;

  // Items.
  ib["popularity"] = range_of(log1p_all(b.popularity));
  const double rmin = ds.rating_min, rmax = ds.rating_max > ds.rating_min ? ds.rating_max : ds.rating_min + 1;
  ib["avg_rating"] = {{"prior", b.rating_n > 0 ? b.rating_total / b.rating_n : 0.5 * (rmin + rmax)},
                      {"shrinkage", kRatingShrinkage},
                      {"scale_min", rmin},
                      {"scale_max", rmax}};
  ib["conversion_rate"] = {{"prior", b.views_total > 0 ? std::min(1.0, b.purchases_total / b.views_total) : 0.0},
                           {"shrinkage", kConversionShrinkage}};
  ib["trending"] = {{"window_days", config.trending_window_days},
                    {"recent_total", b.recent_total},
                    {"total", b.popularity_total}};
  ib["recency"] = {{"tau_days", kItemRecencyTauDays}};
  s["items"]["behaviour"] = ib;

  describe_side(s["users"], m.user_attrs, true);
  describe_side(s["items"], m.item_attrs, false);
  FeatureBuilder fb;
  fb.stats_ = std::move(s);
  fb.fitted_ = Fitted::from_stats(fb.stats_);
  return fb;
}

void FeatureBuilder::add_cold_twins(const Dataset& ds, const Split& split, FeatureSet& features) const {
  Split no_history;  // same cut, no training interactions: every entity is new
  no_history.config = split.config;
  no_history.train_end_time = split.train_end_time;
  FeatureSet cold = transform(ds, no_history);  // nothing to combine over shards: no history anywhere
  features.cold_users = std::move(cold.users);
  features.cold_items = std::move(cold.items);
}

FeatureSet FeatureBuilder::transform(const Dataset& ds, const Split& split, ShardCollectives* shards) const {
  const Model m = Model::from_stats(stats_);
  const Behaviour b = aggregate(ds, split, m, shards);
  FeatureSet fs;
  const std::size_t nu = ds.num_users(), ni = ds.num_items();
  init_entity(fs.users, stats_["users"], nu);
  init_entity(fs.items, stats_["items"], ni);

  std::vector<std::int32_t> cat_row;
  {
    std::vector<ColumnReader> readers;
    for (const auto& a : m.user_attrs) readers.emplace_back(a, ds.user_attributes);
    cat_row.resize(fs.users.num_categorical());
    CategoricalBags bag_row(cat_row.size());
    for (std::size_t u = 0; u < nu; ++u) {
      float* dense = fs.users.dense.row(static_cast<Eigen::Index>(u)).data();
      std::int32_t* cat = cat_row.data();
      for (std::size_t a = 0; a < m.user_attrs.size(); ++a)
        encode_attribute(m.user_attrs[a], readers[a].value(u), dense, cat, cat_row.data(), &bag_row);
      append_bags(fs.users, bag_row);
      UserBehaviour v;
      v.purchases = b.purchases[u];
      if (b.price_point_count[u] > 0) v.price_point = b.price_point_sum[u] / b.price_point_count[u];
      v.days = b.activity_days[u];
      v.last = b.last_time[u];
      v.favourite = b.favourite[u];
      encode_user_behaviour(m, v, dense, cat);
      for (std::size_t f = 0; f < cat_row.size(); ++f) fs.users.categorical[f][u] = cat_row[f];
    }
  }
  {
    std::vector<ColumnReader> readers;
    for (const auto& a : m.item_attrs) readers.emplace_back(a, ds.item_attributes);
    const AttributeColumn* price = m.price_column.empty() ? nullptr : ds.item_attributes.find(m.price_column);
    cat_row.resize(fs.items.num_categorical());
    CategoricalBags bag_row(cat_row.size());
    for (std::size_t i = 0; i < ni; ++i) {
      float* dense = fs.items.dense.row(static_cast<Eigen::Index>(i)).data();
      std::int32_t* cat = cat_row.data();
      for (std::size_t a = 0; a < m.item_attrs.size(); ++a)
        encode_attribute(m.item_attrs[a], readers[a].value(i), dense, cat, cat_row.data(), &bag_row);
      append_bags(fs.items, bag_row);
      ItemBehaviour v;
      if (price && !price->is_categorical() && i < price->numbers.size()) v.price = price->numbers[i];
      v.popularity = b.popularity[i];
      v.rating_sum = b.rating_sum[i];
      v.rating_count = b.rating_count[i];
      v.purchases = b.item_purchases[i];
      v.views = b.item_views[i];
      v.recent = b.recent[i];
      v.first = b.first_time[i];
      encode_item_behaviour(m, v, dense);
      for (std::size_t f = 0; f < cat_row.size(); ++f) fs.items.categorical[f][i] = cat_row[f];
    }
  }
  return fs;
}

namespace {
// A user unknown to training: their attributes, then the behaviour features of
// `behaviour` (none for a newcomer, or aggregated from an online history).
void encode_new_user(const Model& m, const RawAttributes& attributes, const UserBehaviour& behaviour,
                     std::size_t categorical_fields, float* dense_out, std::int32_t* categorical_out,
                     CategoricalBags* bags_out) {
  float* dense = dense_out;
  std::int32_t* cat = categorical_out;
  if (bags_out) bags_out->assign(categorical_fields, {});
  for (const auto& a : m.user_attrs)
    encode_attribute(a, raw_value(a, attributes, "user"), dense, cat, categorical_out, bags_out);
  encode_user_behaviour(m, behaviour, dense, cat);
}
}  // namespace

void FeatureBuilder::user_from_attributes(const RawAttributes& attributes, float* dense_out,
                                          std::int32_t* categorical_out, CategoricalBags* bags_out) const {
  const auto f = fitted();
  encode_new_user(f->model, attributes, UserBehaviour{}, f->user_fields, dense_out, categorical_out, bags_out);
}

void FeatureBuilder::item_from_attributes(const RawAttributes& attributes, float* dense_out,
                                          std::int32_t* categorical_out, CategoricalBags* bags_out) const {
  const Model m = Model::from_stats(stats_);
  float* dense = dense_out;
  std::int32_t* cat = categorical_out;
  if (bags_out) bags_out->assign(item_categorical_cardinality().size(), {});
  for (const auto& a : m.item_attrs)
    encode_attribute(a, raw_value(a, attributes, "item"), dense, cat, categorical_out, bags_out);
  ItemBehaviour v;  // a new item has no interactions yet
  if (!m.price_column.empty())
    for (const auto& a : m.item_attrs)
      if (a.name == m.price_column) v.price = raw_value(a, attributes, "item").number;
  encode_item_behaviour(m, v, dense);
}

namespace {
// One user's behaviour as aggregate() computes it over the combined rows: the
// training aggregates of `user` (when given) plus the `online` events. Purchases by
// the fitted source, the price point over priced items, the latest event, distinct
// active days, and the event-weighted favourite category among the touched ones
// (ties -> lower code). `item_percentile` may be empty (no prices known).
UserBehaviour combined_behaviour(const Model& m, const TrainingBehaviour* training, std::optional<std::uint32_t> user,
                                 std::span<const HistoryEvent> online, std::span<const std::int32_t> item_category,
                                 std::span<const double> item_percentile) {
  const bool every_interaction = m.users_b["total_purchases"].value("source", "purchase") != "purchase";
  const std::size_t ncat = m.category_spec() ? m.category_spec()->vocabulary.size() : 0;
  UserBehaviour v;
  double price_sum = 0;
  std::uint32_t price_count = 0;
  std::span<const std::int64_t> training_days;
  // Category weights, touched categories in a small list (no per-request vector of ncat).
  std::vector<std::pair<std::int32_t, double>> weights;
  if (training && user) {
    const std::uint32_t u = *user;
    v.purchases = training->purchases[u];
    price_sum = training->price_point_sum[u];
    price_count = training->price_point_count[u];
    v.last = training->last_time[u];
    training_days = std::span<const std::int64_t>(training->days).subspan(
        training->day_offsets[u], training->day_offsets[u + 1] - training->day_offsets[u]);
    for (auto k = training->category_offsets[u]; k < training->category_offsets[u + 1]; ++k)
      weights.emplace_back(training->categories[k], training->category_weights[k]);
  }
  std::int64_t online_days[64];
  std::vector<std::int64_t> more_days;
  std::size_t n_online_days = 0;
  for (const auto& e : online) {
    if (every_interaction || e.event == Event::Purchase) v.purchases += 1;
    v.last = std::max(v.last, e.timestamp);
    const std::int64_t day = e.timestamp >= 0 ? e.timestamp / 86400 : (e.timestamp - 86399) / 86400;
    if (n_online_days < std::size(online_days)) online_days[n_online_days++] = day;
    else more_days.push_back(day);
    if (e.item < item_percentile.size() && !std::isnan(item_percentile[e.item])) {
      price_sum += item_percentile[e.item];
      price_count += 1;
    }
    const std::int32_t c = e.item < item_category.size() ? item_category[e.item] : -1;
    if (c < 0 || static_cast<std::size_t>(c) >= ncat) continue;
    const double w = event_weight(m.config, e.event);
    auto it = std::find_if(weights.begin(), weights.end(), [&](const auto& p) { return p.first == c; });
    if (it == weights.end()) weights.emplace_back(c, w);
    else it->second += w;
  }
  if (price_count > 0) v.price_point = price_sum / price_count;
  // Distinct days of the combined history: the training ones plus online days not among them.
  more_days.insert(more_days.end(), online_days, online_days + n_online_days);
  std::sort(more_days.begin(), more_days.end());
  more_days.erase(std::unique(more_days.begin(), more_days.end()), more_days.end());
  v.days = static_cast<double>(training_days.size());
  for (auto d : more_days)
    if (!std::binary_search(training_days.begin(), training_days.end(), d)) v.days += 1;
  double best = 0;
  for (const auto& [c, w] : weights)
    if (v.favourite < 0 || w > best || (w == best && c < v.favourite)) {
      v.favourite = c;
      best = w;
    }
  return v;
}
}  // namespace

void FeatureBuilder::user_from_history(const RawAttributes& attributes, std::span<const HistoryEvent> history,
                                       std::span<const std::int32_t> item_category, float* dense_out,
                                       std::int32_t* categorical_out, CategoricalBags* bags_out) const {
  const auto f = fitted();
  const UserBehaviour v = combined_behaviour(f->model, nullptr, std::nullopt, history, item_category, {});
  encode_new_user(f->model, attributes, v, f->user_fields, dense_out, categorical_out, bags_out);
}

void FeatureBuilder::user_from_history(const RawAttributes& attributes, std::span<const HistoryEvent> history,
                                       const TrainingBehaviour& training, float* dense_out,
                                       std::int32_t* categorical_out, CategoricalBags* bags_out) const {
  const auto f = fitted();
  const UserBehaviour v = combined_behaviour(f->model, nullptr, std::nullopt, history, training.item_category,
                                             training.item_price_percentile);
  encode_new_user(f->model, attributes, v, f->user_fields, dense_out, categorical_out, bags_out);
}

TrainingBehaviour FeatureBuilder::training_behaviour(const Dataset& dataset, const Split& split) const {
  TrainingBehaviour out;
  aggregate(dataset, split, Model::from_stats(stats_), nullptr, &out);
  return out;
}

void FeatureBuilder::fold_in_user_behaviour(const TrainingBehaviour& training, std::uint32_t user,
                                            std::span<const HistoryEvent> online, float* dense_row,
                                            std::int32_t* categorical_row) const {
  if (user >= training.num_users())
    throw Error("fold-in: user index " + std::to_string(user) + " outside the training behaviour (" +
                std::to_string(training.num_users()) + " users)");
  const auto f = fitted();
  const Model& m = f->model;
  const UserBehaviour v = combined_behaviour(m, &training, user, online, training.item_category,
                                             training.item_price_percentile);
  // The behaviour columns close both blocks (see the layout at the top of this file).
  const bool favourite = m.users_b.contains("favourite_category");
  const std::size_t behaviour_dense = 3 + (m.users_b.contains("avg_price_point") ? 1 : 0);
  float* dense = dense_row + (f->user_dense_dim - behaviour_dense);
  std::int32_t* cat = categorical_row + (f->user_fields - (favourite ? 1 : 0));
  encode_user_behaviour(m, v, dense, cat);
}

std::vector<std::int32_t> FeatureBuilder::item_category_codes(const EntityFeatures& items) const {
  const Model m = Model::from_stats(stats_);
  std::vector<std::int32_t> codes(items.size(), -1);
  const AttributeSpec* spec = m.category_spec();
  if (!spec) return codes;
  const std::string prefix = m.category_column + "=";
  for (std::size_t v = 0; v < spec->vocabulary.size(); ++v) {
    // One-hot / multi-hot columns: "<column>=<value>" in the dense block.
    const auto it = std::find(items.dense_names.begin(), items.dense_names.end(), prefix + spec->vocabulary[v]);
    if (it == items.dense_names.end()) continue;
    const auto column = static_cast<Eigen::Index>(it - items.dense_names.begin());
    for (std::size_t i = 0; i < items.size(); ++i)
      if (codes[i] < 0 && items.dense(static_cast<Eigen::Index>(i), column) > 0.5f) codes[i] = static_cast<std::int32_t>(v);
  }
  // Embedded columns hold the code itself: 0 unknown, c -> vocabulary[c - 1].
  for (std::size_t field = 0; field < items.categorical_names.size(); ++field) {
    if (items.categorical_names[field] != m.category_column) continue;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto code = items.categorical[field][i];
      if (codes[i] < 0 && code > 0 && static_cast<std::size_t>(code) <= spec->vocabulary.size()) codes[i] = code - 1;
    }
  }
  return codes;
}

nlohmann::json FeatureBuilder::to_json() const { return stats_; }

FeatureBuilder FeatureBuilder::from_json(const nlohmann::json& stats) {
  try {
    if (stats.at("version").get<int>() != kStatsVersion)
      throw DataError("feature_stats.json", 0, "version", "unsupported version " + stats.at("version").dump());
    Model::from_stats(stats);  // validates every field the transform needs
    for (const char* side : {"users", "items"})
      for (const char* key : {"dense_names", "categorical_names", "categorical_cardinality"})
        if (!stats.at(side).contains(key)) throw DataError("feature_stats.json", 0, std::string(side) + "." + key, "missing");
    for (const char* side : {"users", "items"}) bag_fields_of(stats.at(side));
  } catch (const nlohmann::json::exception& e) {
    throw DataError("feature_stats.json", 0, "", std::string("malformed feature statistics: ") + e.what());
  }
  FeatureBuilder fb;
  fb.stats_ = stats;
  fb.fitted_ = Fitted::from_stats(fb.stats_);
  return fb;
}

std::size_t FeatureBuilder::user_dense_dim() const { return stats_.at("users").at("dense_names").size(); }
std::size_t FeatureBuilder::item_dense_dim() const { return stats_.at("items").at("dense_names").size(); }
std::vector<std::int32_t> FeatureBuilder::user_categorical_cardinality() const {
  return stats_.at("users").at("categorical_cardinality").get<std::vector<std::int32_t>>();
}
std::vector<std::int32_t> FeatureBuilder::item_categorical_cardinality() const {
  return stats_.at("items").at("categorical_cardinality").get<std::vector<std::int32_t>>();
}
std::vector<bool> FeatureBuilder::user_bag_fields() const { return bag_fields_of(stats_.at("users")); }
std::vector<bool> FeatureBuilder::item_bag_fields() const { return bag_fields_of(stats_.at("items")); }

}  // namespace hybridrec
