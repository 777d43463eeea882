#include "data/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rng.h"

namespace hybridrec {

namespace {

const std::array<const char*, 5> kAgeGroups{"18-24", "25-34", "35-44", "45-54", "55+"};
const std::array<const char*, 3> kLocations{"urban", "suburban", "rural"};
const std::array<const char*, 3> kSegments{"budget", "regular", "premium"};
const std::array<const char*, 12> kCategoryNames{"electronics", "fashion", "home",   "beauty", "sports", "books",
                                                 "toys",        "grocery", "garden", "health", "music",  "automotive"};
// Preferred standardised log-price per segment and age group: budget shoppers buy the
// cheap end of a category, premium ones the expensive end; older users a bit pricier.
const std::array<double, 3> kSegmentPriceTarget{-1.0, 0.0, 1.0};
const std::array<double, 5> kAgePriceTarget{-0.4, -0.1, 0.1, 0.3, 0.2};
// Share of sessions by hour of day (UTC): quiet nights, an evening peak.
const std::array<double, 24> kHourWeight{0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0,
                                         1.1, 1.0, 0.9,  0.9, 1.0, 1.1,  1.3, 1.6, 1.8, 1.7, 1.2, 0.7};
// Weekly seasonality, index 0 = Monday (2024-01-01 is a Monday): weekends shop more.
const std::array<double, 7> kWeekdayWeight{0.9, 0.9, 0.95, 1.0, 1.15, 1.4, 1.35};

constexpr int kCandidates = 8;  // proposals per item choice (sampling-importance-resampling)
constexpr std::int64_t kDay = 86400;

// Every stochastic part of the world draws from its own stream so that, e.g.,
// changing how sessions are simulated never changes the catalogue.
enum Stream : std::uint64_t { kEffects = 1, kItems = 2, kUsers = 3, kQuotas = 4, kUserSessions = 1000 };

std::string padded_id(char prefix, std::size_t index, int width) {
  return fmt::format("{}{:0{}d}", prefix, index, width);
}

int id_width(std::size_t n, int minimum) {
  int digits = 1;
  for (std::size_t v = n > 0 ? n - 1 : 0; v >= 10; v /= 10) ++digits;
  return std::max(digits, minimum);
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct World {
  int dim = 8, categories = 0, brands = 0, days = 365;
  // Attribute effects on category taste: [group * categories + category].
  std::vector<double> age_cat, segment_cat, location_cat, category_base;
  // Items.
  std::vector<int> item_category, item_brand, release_day;
  std::vector<float> price, price_z, trend_peak, trend_width, latent_item;
  std::vector<std::vector<std::uint32_t>> category_items;  // items of each category
  // Cumulative popularity x trend of those items, per week of the year: trends live in
  // the proposal so a rising item really is shown more, not just preferred when shown.
  std::vector<std::vector<std::vector<double>>> category_cumulative;  // [week][category][k]
  // Users.
  std::vector<int> age, location, segment, join_day;
  std::vector<float> latent_user;
  std::vector<std::size_t> quota;
};

void build_effects(const GeneratorConfig& cfg, World& w) {
  Rng rng = Rng::stream(cfg.seed, kEffects);
  const int c = w.categories;
  auto draw = [&](std::size_t groups, double sd) {
    std::vector<double> v(groups * c);
    for (auto& x : v) x = rng.normal(0.0, sd) * cfg.attribute_weight;
    return v;
  };
  w.age_cat = draw(kAgeGroups.size(), 1.2);
  w.segment_cat = draw(kSegments.size(), 0.8);
  w.location_cat = draw(kLocations.size(), 0.5);
  w.category_base.resize(c);
  for (auto& x : w.category_base) x = rng.normal(0.0, 0.5);
}

void build_items(const GeneratorConfig& cfg, World& w) {
  Rng rng = Rng::stream(cfg.seed, kItems);
  const std::size_t n = cfg.items;
  const int c = w.categories, d = w.dim;
  // Categories and brands: brand b sells in category b % categories, so a brand is
  // informative about category and (through its price tier) about price.
  std::vector<double> category_log_median(c);
  for (auto& m : category_log_median) m = rng.normal(std::log(40.0), 0.8);
  std::vector<double> brand_tier(w.brands);
  for (auto& t : brand_tier) t = rng.normal(0.0, 0.35);
  std::vector<float> brand_latent(static_cast<std::size_t>(w.brands) * d);
  for (auto& x : brand_latent) x = static_cast<float>(rng.normal());
  std::vector<std::vector<int>> brands_of(c);
  for (int b = 0; b < w.brands; ++b) brands_of[b % c].push_back(b);

  w.item_category.resize(n);
  w.item_brand.resize(n);
  w.price.resize(n);
  w.price_z.resize(n);
  w.release_day.resize(n);
  w.trend_peak.resize(n);
  w.trend_width.resize(n);
  w.latent_item.resize(n * d);
  std::vector<double> log_price(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Category sizes vary: a skewed draw gives some big and some niche categories.
    const double u = rng.uniform();
    int cat = static_cast<int>(std::floor(c * u * u * 0.5 + c * u * 0.5));
    cat = std::min(cat, c - 1);
    w.item_category[i] = cat;
    int brand = 0;
    const auto& own = brands_of[cat];
    if (!own.empty()) {
      // Within a category, lower-numbered brands are bigger (1/(k+1) weights).
      double total = 0;
      for (std::size_t k = 0; k < own.size(); ++k) total += 1.0 / (k + 1);
      double r = rng.uniform() * total;
      std::size_t k = 0;
      for (; k + 1 < own.size(); ++k) {
        r -= 1.0 / (k + 1);
        if (r < 0) break;
      }
      brand = own[k];
    } else {
      brand = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(w.brands)));
    }
    w.item_brand[i] = brand;
    log_price[i] = category_log_median[cat] + brand_tier[brand] + rng.normal(0.0, 0.45);
    w.price[i] = static_cast<float>(std::round(std::exp(log_price[i]) * 100.0) / 100.0);
    w.price[i] = std::max(w.price[i], 0.5f);
    for (int k = 0; k < d; ++k)
      w.latent_item[i * d + k] = static_cast<float>(0.6 * brand_latent[brand * d + k] + 0.8 * rng.normal());
    w.release_day[i] = rng.bernoulli(cfg.late_item_share) ? static_cast<int>(rng.uniform_int(30, w.days - 30)) : 0;
    if (rng.bernoulli(cfg.trending_item_share)) {
      w.trend_peak[i] = static_cast<float>(rng.uniform(0.0, w.days));
      w.trend_width[i] = static_cast<float>(rng.uniform(15.0, 60.0));
    }
  }
  // Price position within the category (standardised log price): what segments prefer.
  std::vector<double> sum(c, 0.0), sum2(c, 0.0), count(c, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    int cat = w.item_category[i];
    sum[cat] += log_price[i];
    sum2[cat] += log_price[i] * log_price[i];
    count[cat] += 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    int cat = w.item_category[i];
    double mean = sum[cat] / count[cat];
    double sd = std::sqrt(std::max(sum2[cat] / count[cat] - mean * mean, 1e-6));
    w.price_z[i] = static_cast<float>(count[cat] > 1 ? (log_price[i] - mean) / std::max(sd, 0.05) : 0.0);
  }
  // Long tail: a random popularity rank per item, Zipf weights 1/(rank+1)^s.
  std::vector<std::uint32_t> rank(n);
  std::iota(rank.begin(), rank.end(), 0u);
  rng.shuffle(rank.begin(), rank.end());
  w.category_items.assign(c, {});
  std::vector<double> base(n);
  for (std::size_t i = 0; i < n; ++i) {
    w.category_items[w.item_category[i]].push_back(static_cast<std::uint32_t>(i));
    base[i] = 1.0 / std::pow(rank[i] + 1.0, cfg.zipf_exponent);
  }
  const int weeks = (w.days + 6) / 7;
  w.category_cumulative.assign(weeks, std::vector<std::vector<double>>(c));
  for (int week = 0; week < weeks; ++week) {
    const double day = std::min(week * 7.0 + 3.5, w.days - 1.0);
    for (int cat = 0; cat < c; ++cat) {
      auto& cum = w.category_cumulative[week][cat];
      double acc = 0;
      for (auto i : w.category_items[cat]) {
        double trend = 1.0;
        if (w.trend_width[i] > 0) {
          double z = (day - w.trend_peak[i]) / w.trend_width[i];
          trend = 0.15 + 3.0 * std::exp(-0.5 * z * z);
        }
        // Released items only (an item released mid-week waits for the next week).
        if (week * 7 < w.release_day[i]) trend = 0.0;
        acc += base[i] * trend;
        cum.push_back(acc);
      }
    }
  }
}

void build_users(const GeneratorConfig& cfg, World& w) {
  Rng rng = Rng::stream(cfg.seed, kUsers);
  const std::size_t n = cfg.users;
  const int d = w.dim;
  w.age.resize(n);
  w.location.resize(n);
  w.segment.resize(n);
  w.join_day.resize(n);
  w.latent_user.resize(n * d);
  // Realistic marginals: more 25-44 shoppers, mostly urban/suburban, few premium.
  const std::array<double, 5> age_share{0.18, 0.28, 0.24, 0.17, 0.13};
  const std::array<double, 3> location_share{0.5, 0.35, 0.15};
  const std::array<double, 3> segment_share{0.35, 0.45, 0.2};
  auto pick = [&](const auto& shares) {
    double r = rng.uniform();
    for (std::size_t k = 0; k + 1 < shares.size(); ++k) {
      if (r < shares[k]) return static_cast<int>(k);
      r -= shares[k];
    }
    return static_cast<int>(shares.size() - 1);
  };
  std::vector<double> activity(n);
  for (std::size_t u = 0; u < n; ++u) {
    w.age[u] = pick(age_share);
    w.location[u] = pick(location_share);
    w.segment[u] = pick(segment_share);
    for (int k = 0; k < d; ++k) w.latent_user[u * d + k] = static_cast<float>(rng.normal());
    w.join_day[u] = rng.bernoulli(cfg.late_user_share) ? static_cast<int>(rng.uniform_int(30, w.days - 14)) : 0;
    // Heavy-tailed activity, scaled by the part of the year the user is around.
    activity[u] = std::exp(rng.normal(0.0, 0.9)) * (w.days - w.join_day[u]) / static_cast<double>(w.days);
  }
  // Interaction quota per user: a small floor for everyone, the rest by activity.
  const std::size_t total = cfg.interactions;
  const std::size_t floor_each = std::min<std::size_t>(3, total / n);
  const std::size_t rest = total - floor_each * n;
  const double activity_sum = std::accumulate(activity.begin(), activity.end(), 0.0);
  w.quota.assign(n, floor_each);
  std::size_t assigned = floor_each * n;
  for (std::size_t u = 0; u < n; ++u) {
    auto extra = static_cast<std::size_t>(std::floor(rest * activity[u] / activity_sum));
    w.quota[u] += extra;
    assigned += extra;
  }
  for (std::size_t u = 0; assigned < total; u = (u + 1) % n, ++assigned) ++w.quota[u];
}

// Simulates one user's sessions: pick a day and hour, a category from the user's
// attribute-driven taste, browse a few items of it (chosen by latent match, price
// fit and the item's trend on that day) and run each through the funnel
// view -> add_to_cart -> purchase -> rating with strictly increasing timestamps.
void simulate_user(const GeneratorConfig& cfg, const World& w, std::uint32_t u, std::vector<Interaction>& out) {
  const std::size_t quota = w.quota[u];
  out.clear();
  out.reserve(quota);
  if (quota == 0) return;
  Rng rng = Rng::stream(cfg.seed, kUserSessions + u);
  const int c = w.categories, d = w.dim;
  std::vector<double> category_cum(c);
  double acc = 0;
  for (int k = 0; k < c; ++k) {
    double logit = w.category_base[k] + w.age_cat[w.age[u] * c + k] + w.segment_cat[w.segment[u] * c + k] +
                   w.location_cat[w.location[u] * c + k] + rng.normal(0.0, 0.5);
    if (w.category_items[k].empty()) logit = -1e9;
    acc += std::exp(logit);
    category_cum[k] = acc;
  }
  const double price_target = kSegmentPriceTarget[w.segment[u]] + kAgePriceTarget[w.age[u]];
  const float* pu = &w.latent_user[static_cast<std::size_t>(u) * d];
  const double latent_scale = cfg.latent_weight * 1.5 / std::sqrt(static_cast<double>(d));
  const double segment_bias = 0.3 * (w.segment[u] - 1);  // premium shoppers convert more
  auto item_score = [&](std::uint32_t i) {
    const float* qi = &w.latent_item[static_cast<std::size_t>(i) * d];
    double dot = 0;
    for (int k = 0; k < d; ++k) dot += pu[k] * qi[k];
    double dp = w.price_z[i] - price_target;
    return latent_scale * dot - 0.8 * cfg.attribute_weight * dp * dp;
  };
  const double hour_total = std::accumulate(kHourWeight.begin(), kHourWeight.end(), 0.0);
  const double weekday_max = *std::max_element(kWeekdayWeight.begin(), kWeekdayWeight.end());
  auto emit = [&](std::int64_t ts, std::uint32_t item, Event e, float value) {
    if (out.size() >= quota) return false;
    Interaction x;
    x.timestamp = ts;
    x.user = u;
    x.item = item;
    x.event = e;
    x.value = value;
    out.push_back(x);
    return true;
  };
  std::array<std::uint32_t, kCandidates> cand{};
  std::array<double, kCandidates> weight{};
  while (out.size() < quota) {
    int day;
    do {
      day = static_cast<int>(rng.uniform_int(w.join_day[u], w.days - 1));
    } while (rng.uniform() * weekday_max > kWeekdayWeight[day % 7]);
    double r = rng.uniform() * hour_total;
    int hour = 0;
    while (hour < 23 && r >= kHourWeight[hour]) r -= kHourWeight[hour++];
    std::int64_t t = cfg.start_time + day * kDay + hour * 3600 + static_cast<std::int64_t>(rng.uniform_int(0, 3599));
    // A session (at most 4 items x 24 minutes) must end inside the year.
    t = std::min(t, cfg.start_time + w.days * kDay - 2 * 3600);
    const double cr = rng.uniform() * acc;
    const int cat = static_cast<int>(std::upper_bound(category_cum.begin(), category_cum.end(), cr) - category_cum.begin());
    const auto& items = w.category_items[std::min(cat, c - 1)];
    const auto& cum = w.category_cumulative[day / 7][std::min(cat, c - 1)];
    int views = 1;
    while (views < 4 && rng.bernoulli(0.45)) ++views;
    for (int v = 0; v < views && out.size() < quota; ++v) {
      // Sampling-importance-resampling: popularity x trend proposes, taste decides.
      double total = 0;
      for (int round = 0; round < 8 && total <= 0 && cum.back() > 0; ++round) {
        for (int k = 0; k < kCandidates; ++k) {
          double pr = rng.uniform() * cum.back();
          auto pos = std::upper_bound(cum.begin(), cum.end(), pr) - cum.begin();
          cand[k] = items[std::min<std::size_t>(pos, items.size() - 1)];
          weight[k] = day >= w.release_day[cand[k]] ? std::exp(item_score(cand[k])) : 0.0;
          total += weight[k];
        }
      }
      if (total <= 0) break;  // nothing released yet in this category on that day
      double pick = rng.uniform() * total;
      int k = 0;
      while (k + 1 < kCandidates && pick >= weight[k]) pick -= weight[k++];
      const std::uint32_t item = cand[k];
      const double s = item_score(item);
      const float nan = std::numeric_limits<float>::quiet_NaN();
      t += static_cast<std::int64_t>(rng.uniform_int(20, 240));
      if (!emit(t, item, Event::View, nan)) break;
      if (!rng.bernoulli(sigmoid(-1.0 + 0.8 * s + segment_bias))) continue;
      t += static_cast<std::int64_t>(rng.uniform_int(5, 300));
      if (!emit(t, item, Event::AddToCart, nan)) break;
      if (!rng.bernoulli(sigmoid(-0.2 + 0.7 * s + segment_bias))) continue;
      t += static_cast<std::int64_t>(rng.uniform_int(30, 900));
      if (!emit(t, item, Event::Purchase, nan)) break;
      if (!rng.bernoulli(0.35)) continue;
      // Ratings follow the same taste: what fits the user is rated higher.
      double stars = std::clamp(std::round(3.4 + 0.9 * s + rng.normal(0.0, 0.8)), 1.0, 5.0);
      // A rating due after the year's end is simply not in the data: clamping it
      // to the last second piled ratings (and duplicate rows) onto one timestamp.
      std::int64_t rated = t + static_cast<std::int64_t>(rng.uniform_int(3600, 14 * kDay));
      if (rated < cfg.start_time + w.days * kDay) emit(rated, item, Event::Rating, static_cast<float>(stars));
    }
  }
}

void validate(const GeneratorConfig& cfg) {
  if (cfg.users == 0) throw ConfigError("generator: users must be > 0");
  if (cfg.items == 0) throw ConfigError("generator: items must be > 0");
  if (cfg.categories < 1) throw ConfigError("generator: categories must be >= 1");
  if (cfg.brands < 1) throw ConfigError("generator: brands must be >= 1");
  if (cfg.latent_dim < 1) throw ConfigError("generator: latent_dim must be >= 1");
  if (cfg.days < 90) throw ConfigError("generator: days must be >= 90");
  if (cfg.users > 0xFFFFFFFFull || cfg.items > 0xFFFFFFFFull) throw ConfigError("generator: too many users/items");
}

AttributeColumn categorical_column(std::string name, std::vector<std::string> vocabulary, const std::vector<int>& codes) {
  AttributeColumn col;
  col.name = std::move(name);
  col.kind = AttributeColumn::Kind::Categorical;
  col.vocabulary = std::move(vocabulary);
  col.codes.assign(codes.begin(), codes.end());
  return col;
}

}  // namespace

Dataset generate_shop(const GeneratorConfig& cfg) {
  validate(cfg);
  World w;
  w.dim = cfg.latent_dim;
  w.categories = cfg.categories;
  w.brands = cfg.brands;
  w.days = cfg.days;
  build_effects(cfg, w);
  build_items(cfg, w);
  build_users(cfg, w);

  const auto n_users = static_cast<std::int64_t>(cfg.users);
  std::vector<std::vector<Interaction>> per_user(cfg.users);
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t u = 0; u < n_users; ++u) simulate_user(cfg, w, static_cast<std::uint32_t>(u), per_user[u]);

  Dataset ds;
  ds.format = "generated";
  std::size_t total = 0;
  for (const auto& v : per_user) total += v.size();
  ds.interactions.reserve(total);
  for (auto& v : per_user) {
    ds.interactions.insert(ds.interactions.end(), v.begin(), v.end());
    std::vector<Interaction>().swap(v);
  }
  // Total order (value last) so the result does not depend on the sort's stability.
  std::sort(ds.interactions.begin(), ds.interactions.end(), [](const Interaction& a, const Interaction& b) {
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    if (a.user != b.user) return a.user < b.user;
    if (a.item != b.item) return a.item < b.item;
    if (a.event != b.event) return a.event < b.event;
    return a.value < b.value;
  });

  const int uw = id_width(cfg.users, 6), iw = id_width(cfg.items, 5);
  ds.users.reserve(cfg.users);
  for (std::size_t u = 0; u < cfg.users; ++u) ds.users.intern(padded_id('u', u, uw));
  ds.items.reserve(cfg.items);
  for (std::size_t i = 0; i < cfg.items; ++i) ds.items.intern(padded_id('i', i, iw));

  ds.user_attributes.columns.push_back(
      categorical_column("age_group", {kAgeGroups.begin(), kAgeGroups.end()}, w.age));
  ds.user_attributes.columns.push_back(
      categorical_column("location", {kLocations.begin(), kLocations.end()}, w.location));
  ds.user_attributes.columns.push_back(
      categorical_column("segment", {kSegments.begin(), kSegments.end()}, w.segment));

  std::vector<std::string> categories, brands;
  for (int k = 0; k < cfg.categories; ++k)
    categories.push_back(k < static_cast<int>(kCategoryNames.size()) ? std::string(kCategoryNames[k])
                                                                     : fmt::format("category{:02d}", k + 1));
  for (int b = 0; b < cfg.brands; ++b) brands.push_back(fmt::format("brand{:02d}", b + 1));
  ds.item_attributes.columns.push_back(categorical_column("category", std::move(categories), w.item_category));
  ds.item_attributes.columns.push_back(categorical_column("brand", std::move(brands), w.item_brand));
  AttributeColumn price;
  price.name = "price";
  price.kind = AttributeColumn::Kind::Numeric;
  price.numbers = w.price;
  ds.item_attributes.columns.push_back(std::move(price));

  ds.explicit_ratings = false;  // implicit events; the occasional rating carries a 1-5 value
  ds.rating_min = 1.0f;
  ds.rating_max = 5.0f;
  return ds;
}

namespace {

std::string attribute_text(const AttributeColumn& col, std::size_t row) {
  if (col.is_categorical()) {
    auto code = col.codes[row];
    return code < 0 ? std::string() : col.vocabulary[code];
  }
  float v = col.numbers[row];
  return std::isnan(v) ? std::string() : fmt::format("{:.2f}", v);
}

// users.csv / items.csv: id column then every attribute column, in table order.
std::string attribute_csv(const char* id_header, const IdMap& ids, const AttributeTable& table) {
  fmt::memory_buffer buf;
  fmt::format_to(std::back_inserter(buf), "{}", id_header);
  for (const auto& col : table.columns) fmt::format_to(std::back_inserter(buf), ",{}", col.name);
  buf.push_back('\n');
  for (std::size_t r = 0; r < ids.size(); ++r) {
    fmt::format_to(std::back_inserter(buf), "{}", ids.id(static_cast<std::uint32_t>(r)));
    for (const auto& col : table.columns) fmt::format_to(std::back_inserter(buf), ",{}", attribute_text(col, r));
    buf.push_back('\n');
  }
  return fmt::to_string(buf);
}

}  // namespace

void write_shop(const Dataset& ds, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  // Formatted in parallel chunks (fixed boundaries, so the bytes never depend on
  // the thread count), then concatenated.
  const std::size_t n = ds.interactions.size();
  const std::size_t chunk = 1 << 18;
  const auto chunks = static_cast<std::int64_t>((n + chunk - 1) / chunk);
  std::vector<std::string> parts(chunks);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    fmt::memory_buffer buf;
    const std::size_t end = std::min(n, (c + 1) * chunk);
    for (std::size_t k = c * chunk; k < end; ++k) {
      const Interaction& x = ds.interactions[k];
      auto out = std::back_inserter(buf);
      fmt::format_to(out, "{},{},{},", ds.users.id(x.user), ds.items.id(x.item), event_name(x.event));
      if (!std::isnan(x.value)) fmt::format_to(out, "{}", x.value);
      fmt::format_to(out, ",{}\n", x.timestamp);
    }
    parts[c] = fmt::to_string(buf);
  }
  std::string content = "user_id,item_id,event,value,timestamp\n";
  std::size_t size = content.size();
  for (const auto& p : parts) size += p.size();
  content.reserve(size);
  for (auto& p : parts) {
    content += p;
    std::string().swap(p);
  }
  write_file_atomic(dir / "interactions.csv", content);
  write_file_atomic(dir / "users.csv", attribute_csv("user_id", ds.users, ds.user_attributes));
  write_file_atomic(dir / "items.csv", attribute_csv("item_id", ds.items, ds.item_attributes));
}

}  // namespace hybridrec
