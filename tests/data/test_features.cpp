// Content features: the specification's layout, training-period only, a faithful
// feature_stats.json round trip, unknown values in the unknown bucket, and every
// dense value in [0, 1].
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/features.h"
#include "data/generator.h"
#include "data/readers.h"
#include "data/split.h"
#include "test_support.h"

namespace hybridrec {
namespace {

Dataset make_shop() {
  GeneratorConfig c;
  c.users = 400;
  c.items = 150;
  c.interactions = 30000;
  c.seed = 3;
  return generate_shop(c);
}

std::ptrdiff_t index_of(const std::vector<std::string>& names, const std::string& name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : it - names.begin();
}

void expect_equal(const EntityFeatures& a, const EntityFeatures& b) {
  EXPECT_EQ(a.dense_names, b.dense_names);
  EXPECT_EQ(a.categorical_names, b.categorical_names);
  EXPECT_EQ(a.categorical_cardinality, b.categorical_cardinality);
  ASSERT_EQ(a.dense.rows(), b.dense.rows());
  ASSERT_EQ(a.dense.cols(), b.dense.cols());
  EXPECT_TRUE(a.dense == b.dense);
  EXPECT_EQ(a.categorical, b.categorical);
}

void expect_unit_interval(const EntityFeatures& f) {
  for (Eigen::Index r = 0; r < f.dense.rows(); ++r)
    for (Eigen::Index c = 0; c < f.dense.cols(); ++c) {
      float v = f.dense(r, c);
      ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << f.dense_names[c] << " row " << r << " = " << v;
    }
  for (std::size_t k = 0; k < f.num_categorical(); ++k)
    for (auto code : f.categorical[k]) ASSERT_TRUE(code >= 0 && code < f.categorical_cardinality[k]);
}

TEST(Features, SpecificationLayoutOnTheShop) {
  Dataset d = make_shop();
  Split s = make_split(d, SplitConfig{});
  FeatureBuilder fb = FeatureBuilder::fit(d, s);
  FeatureSet fs = fb.transform(d, s);
  const auto& u = fs.users;
  // 5 age groups, 3 locations, 3 segments one-hot, each with an unknown slot,
  // then total purchases, average price point, recency, frequency.
  EXPECT_EQ(u.dense_dim(), 6u + 4u + 4u + 4u);
  for (const char* n : {"age_group=25-34", "location=unknown", "segment=premium", "total_purchases", "avg_price_point",
                        "recency", "frequency"})
    EXPECT_GE(index_of(u.dense_names, n), 0) << n;
  EXPECT_EQ(u.categorical_names, std::vector<std::string>{"favourite_category"});
  EXPECT_EQ(u.categorical_cardinality, std::vector<std::int32_t>{13});
  const auto& it = fs.items;
  EXPECT_EQ(it.categorical_names, (std::vector<std::string>{"category", "brand"}));
  EXPECT_EQ(it.categorical_cardinality, (std::vector<std::int32_t>{13, 41}));
  for (const char* n : {"price", "price_percentile", "popularity", "avg_rating", "conversion_rate", "trending", "recency"})
    EXPECT_GE(index_of(it.dense_names, n), 0) << n;
  EXPECT_EQ(it.dense_dim(), 7u);
  EXPECT_EQ(fb.user_dense_dim(), u.dense_dim());
  EXPECT_EQ(fb.item_dense_dim(), it.dense_dim());
  EXPECT_EQ(fb.item_categorical_cardinality(), it.categorical_cardinality);
  expect_unit_interval(u);
  expect_unit_interval(it);
  // One-hot blocks have exactly one 1 per user.
  for (Eigen::Index r = 0; r < u.dense.rows(); ++r) EXPECT_FLOAT_EQ(u.dense.row(r).head(6).sum(), 1.0f);
  // Features carry information: popularity and favourite category vary.
  auto pop = index_of(it.dense_names, "popularity");
  EXPECT_GT(it.dense.col(pop).maxCoeff(), it.dense.col(pop).minCoeff() + 0.5f);
  std::set<std::int32_t> favourites(u.categorical[0].begin(), u.categorical[0].end());
  EXPECT_GT(favourites.size(), 5u);
}

// Nothing after the cut: rewriting every held-out interaction and appending new
// ones after train_end_time changes neither the fitted statistics nor a feature.
TEST(Features, HeldOutAndPostCutInteractionsChangeNothing) {
  Dataset d = make_shop();
  Split s = make_split(d, SplitConfig{});
  FeatureBuilder fb = FeatureBuilder::fit(d, s);
  FeatureSet base = fb.transform(d, s);

  Dataset changed = d;
  for (auto* part : {&s.validation, &s.test})
    for (auto k : *part) {
      auto& x = changed.interactions[k];
      x.item = (x.item + 7) % changed.num_items();
      x.event = Event::Purchase;
    }
  Split s2 = s;
  for (std::uint32_t k = 0; k < 500; ++k) {
    s2.test.push_back(static_cast<std::uint32_t>(changed.interactions.size()));
    changed.interactions.push_back({s.train_end_time + 1 + k, k % 400, k % 150, 5.0f, Event::Rating});
  }
  FeatureBuilder fb2 = FeatureBuilder::fit(changed, s2);
  EXPECT_EQ(fb.to_json(), fb2.to_json());
  FeatureSet after = fb2.transform(changed, s2);
  expect_equal(base.users, after.users);
  expect_equal(base.items, after.items);

  // Positive control: the same change inside the training period does show up.
  Dataset in_train = d;
  for (std::size_t k = 0; k < s.train.size(); k += 3) in_train.interactions[s.train[k]].event = Event::Purchase;
  FeatureSet moved = FeatureBuilder::fit(in_train, s).transform(in_train, s);
  EXPECT_FALSE(moved.users.dense == base.users.dense);
  EXPECT_FALSE(moved.items.dense == base.items.dense);
}

TEST(Features, StatsJsonRoundTripGivesTheSameTransform) {
  Dataset d = make_shop();
  Split s = make_split(d, SplitConfig{});
  FeatureBuilder fb = FeatureBuilder::fit(d, s);
  auto dir = testing::scratch_dir("stats");
  const std::string text = fb.to_json().dump(2);
  FeatureBuilder back = FeatureBuilder::from_json(nlohmann::json::parse(text));
  EXPECT_EQ(back.to_json(), fb.to_json());
  FeatureSet a = fb.transform(d, s), b = back.transform(d, s);
  expect_equal(a.users, b.users);
  expect_equal(a.items, b.items);
  RawAttributes user{{"age_group", "35-44"}, {"location", "rural"}, {"segment", "budget"}};
  std::vector<float> da(fb.user_dense_dim()), db(fb.user_dense_dim());
  std::vector<std::int32_t> ca(fb.user_categorical_cardinality().size()), cb(ca.size());
  fb.user_from_attributes(user, da.data(), ca.data());
  back.user_from_attributes(user, db.data(), cb.data());
  EXPECT_EQ(da, db);
  EXPECT_EQ(ca, cb);
  EXPECT_THROW(FeatureBuilder::from_json(nlohmann::json{{"version", 1}}), DataError);
}

// A new user served from attributes gets exactly the row a dataset user with the
// same attributes and no training history gets; unseen values go to "unknown".
TEST(Features, NewEntitiesFromAttributesAndUnknownBuckets) {
  Dataset d = make_shop();
  // A user and an item with attributes but no interactions at all.
  const std::uint32_t nu = d.users.intern("u_new");
  const std::uint32_t ni = d.items.intern("i_new");
  d.user_attributes.resize(d.num_users());
  d.item_attributes.resize(d.num_items());
  d.user_attributes.find("age_group")->codes[nu] = 1;
  d.user_attributes.find("location")->codes[nu] = 2;
  d.user_attributes.find("segment")->codes[nu] = 0;
  d.item_attributes.find("category")->codes[ni] = 4;
  d.item_attributes.find("brand")->codes[ni] = 4;
  d.item_attributes.find("price")->numbers[ni] = 30.0f;
  Split s = make_split(d, SplitConfig{});
  FeatureBuilder fb = FeatureBuilder::fit(d, s);
  FeatureSet fs = fb.transform(d, s);

  const auto& ua = *d.user_attributes.find("age_group");
  RawAttributes user{{"age_group", ua.vocabulary[1]},
                     {"location", d.user_attributes.find("location")->vocabulary[2]},
                     {"segment", d.user_attributes.find("segment")->vocabulary[0]}};
  std::vector<float> dense(fb.user_dense_dim());
  std::vector<std::int32_t> cat(fb.user_categorical_cardinality().size());
  fb.user_from_attributes(user, dense.data(), cat.data());
  for (std::size_t k = 0; k < dense.size(); ++k) EXPECT_EQ(dense[k], fs.users.dense(nu, k)) << fs.users.dense_names[k];
  EXPECT_EQ(cat[0], 0);  // no favourite category without history
  EXPECT_EQ(fs.users.categorical[0][nu], 0);

  RawAttributes item{{"category", d.item_attributes.find("category")->vocabulary[4]},
                     {"brand", d.item_attributes.find("brand")->vocabulary[4]},
                     {"price", "30"}};
  std::vector<float> idense(fb.item_dense_dim());
  std::vector<std::int32_t> icat(fb.item_categorical_cardinality().size());
  fb.item_from_attributes(item, idense.data(), icat.data());
  for (std::size_t k = 0; k < idense.size(); ++k) EXPECT_EQ(idense[k], fs.items.dense(ni, k)) << fs.items.dense_names[k];
  EXPECT_EQ(icat[0], 5);
  EXPECT_EQ(icat[1], 5);

  // Unseen and missing values: unknown slots and code 0.
  fb.user_from_attributes({{"age_group", "99+"}, {"location", "mars"}}, dense.data(), cat.data());
  const auto& names = fs.users.dense_names;
  for (const char* n : {"age_group=unknown", "location=unknown", "segment=unknown"})
    EXPECT_EQ(dense[index_of(names, n)], 1.0f) << n;
  EXPECT_EQ(dense[index_of(names, "age_group=" + ua.vocabulary[1])], 0.0f);
  fb.item_from_attributes({{"category", "spaceships"}, {"brand", "acme"}}, idense.data(), icat.data());
  EXPECT_EQ(icat[0], 0);
  EXPECT_EQ(icat[1], 0);
  EXPECT_THROW(fb.item_from_attributes({{"price", "cheap"}}, idense.data(), icat.data()), DataError);
  // Price percentile is monotone in the price and bounded.
  const auto pp = index_of(fs.items.dense_names, "price_percentile");
  float prev = -1;
  for (const char* p : {"0.01", "10", "30", "100", "100000"}) {
    fb.item_from_attributes({{"price", p}}, idense.data(), icat.data());
    EXPECT_GE(idense[pp], prev);
    EXPECT_LE(idense[pp], 1.0f);
    prev = idense[pp];
  }
  EXPECT_EQ(prev, 1.0f);
}

TEST(Features, MovieLensAttributesFollowTheGenericRules) {
  REQUIRE_ML100K();
  Dataset d = load_dataset(testing::ml100k_path());
  Split s = make_split(d, SplitConfig{});
  FeatureBuilder fb = FeatureBuilder::fit(d, s);
  FeatureSet fs = fb.transform(d, s);
  expect_unit_interval(fs.users);
  expect_unit_interval(fs.items);
  // Small user attributes are one-hot; the item category is the primary genre.
  EXPECT_GE(index_of(fs.users.dense_names, "gender=unknown"), 0);
  EXPECT_EQ(fs.items.categorical_names.front(), "genre");
  EXPECT_GE(index_of(fs.items.dense_names, "year"), 0);
  EXPECT_LT(index_of(fs.items.dense_names, "price_percentile"), 0);  // no prices in MovieLens
  auto rating = index_of(fs.items.dense_names, "avg_rating");
  EXPECT_GT(fs.items.dense.col(rating).maxCoeff() - fs.items.dense.col(rating).minCoeff(), 0.3f);
  std::printf("MovieLens 100K: user dense %zu, item dense %zu, user fields %zu, item fields %zu\n",
              fs.users.dense_dim(), fs.items.dense_dim(), fs.users.num_categorical(), fs.items.num_categorical());
}

}  // namespace
}  // namespace hybridrec
