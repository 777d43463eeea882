// Bring-your-own-data layouts (issue #16): delimited files whose columns are
// found by alias or named by flags, play-count weights, files without a time
// column, gzip'd JSON lines, supplied splits.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/error.h"
#include "data/column_mapping.h"
#include "data/features.h"
#include "data/load_config.h"
#include "data/positives.h"
#include "data/readers.h"
#include "data/split.h"
#include "data/validation.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; }

void write_gzip(const fs::path& file, const std::string& bytes) {
  gzFile gz = gzopen(file.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(gz);
}

const float kAllEvents[4] = {1, 1, 1, 1};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(ColumnMapping, TsvWithAliasHeaderAndPlayCountsLoadsAsWeightedWithoutTimestamps) {
  auto dir = testing::scratch_dir("lastfm");
  // The hetrec-2011 Last.fm layout the issue tried: userID artistID weight.
  write(dir / "user_artists.dat", "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t0\n3\t53\t7\n");
  Dataset d = load_dataset(dir / "user_artists.dat");
  ASSERT_EQ(d.interactions.size(), 4u);
  EXPECT_EQ(d.users.id(0), "2");
  EXPECT_EQ(d.items.id(0), "51");
  EXPECT_TRUE(d.weighted);
  EXPECT_FALSE(d.explicit_ratings);
  EXPECT_FALSE(d.has_timestamps);
  EXPECT_EQ(d.weight_transform, "log1p");
  EXPECT_FLOAT_EQ(d.interactions[0].value, std::log1p(13883.0f));
  EXPECT_EQ(d.interactions[0].event, Event::View);

  // Validation: counts are not ratings on a 1-5 scale, and there is no timestamp to check.
  ValidationReport report = validate_dataset(dir / "user_artists.dat");
  EXPECT_TRUE(report.ok()) << report.to_text();
  EXPECT_EQ(report.counts.count("rating_out_of_range"), 0u);
  EXPECT_EQ(report.counts.count("impossible_timestamp"), 0u);
  EXPECT_FALSE(report.has_timestamps);

  // A time-based split has nothing to order by: a clear error naming user_random.
  SplitConfig temporal;
  const std::string why = message_of([&] { make_split(d, temporal); });
  EXPECT_NE(why.find("--split user_random"), std::string::npos) << why;
  SplitConfig random;
  random.strategy = "user_random";
  Split split = make_split(d, random);
  EXPECT_EQ(split.train.size() + split.validation.size() + split.test.size(), 4u);

  // Every positive carries its confidence; a count of 0 is no positive at all.
  Split all;
  all.train = {0, 1, 2, 3};
  auto positives = collect_positives(d, all, kAllEvents);
  ASSERT_EQ(positives.size(), 3u);
  EXPECT_FLOAT_EQ(positives[0].weight, std::log1p(13883.0f));
  EXPECT_FLOAT_EQ(positives[2].weight, std::log1p(7.0f));
}

TEST(ColumnMapping, WeightTransformsAndBadWeights) {
  auto dir = testing::scratch_dir("weights");
  write(dir / "plays.csv", "user,track_id,plays\nu1,t1,4\nu1,t2,0\nu2,t1,2.5\n");
  LoadOptions raw;
  raw.weight_transform = "raw";
  EXPECT_FLOAT_EQ(load_dataset(dir / "plays.csv", raw).interactions[0].value, 4.0f);
  LoadOptions binary;
  binary.weight_transform = "binary";
  Dataset b = load_dataset(dir / "plays.csv", binary);
  EXPECT_FLOAT_EQ(b.interactions[0].value, 1.0f);
  EXPECT_FLOAT_EQ(b.interactions[1].value, 0.0f);
  LoadOptions wrong;
  wrong.weight_transform = "sqrt";
  EXPECT_THROW(load_dataset(dir / "plays.csv", wrong), ConfigError);

  write(dir / "bad.csv", "user,item,count\nu1,i1,3\nu1,i2,-1\nu2,i1,1e308\nu2,i2,x\n");
  ValidationReport r = validate_dataset(dir / "bad.csv");
  EXPECT_EQ(r.counts["bad_weight"], 2u) << r.to_text();
  EXPECT_EQ(r.counts["non_numeric_value"], 1u);
  ASSERT_FALSE(r.issues.empty());
  EXPECT_EQ(r.issues[0].file, "bad.csv");
  EXPECT_EQ(r.issues[0].line, 3u);
  EXPECT_EQ(r.issues[0].field, "count");
  EXPECT_EQ(r.error_rows["bad.csv"], (std::unordered_set<std::size_t>{3, 4, 5}));
}

TEST(ColumnMapping, HeaderlessFileNamedByPositionOrByColumnList) {
  auto dir = testing::scratch_dir("positions");
  // The CiaoDVD layout: user, movie, genre, review, rating, date.
  write(dir / "movie-ratings.txt", "1,10,3,100,5,2010-03-01\n1,11,3,101,2,2010-03-02\n2,10,3,102,4,2011-01-01\n");
  // Without a mapping the first row is no header of known names: the error says what to do.
  const std::string why = message_of([&] { load_dataset(dir / "movie-ratings.txt"); });
  EXPECT_NE(why.find("--columns user,item"), std::string::npos) << why;
  EXPECT_NE(why.find("--user-col"), std::string::npos) << why;

  LoadOptions by_list;
  by_list.columns = parse_column_list("user,item,genre,-,rating,time");
  Dataset a = load_dataset(dir / "movie-ratings.txt", by_list);
  ASSERT_EQ(a.interactions.size(), 3u);  // no row lost to a header
  EXPECT_TRUE(a.explicit_ratings);
  EXPECT_FLOAT_EQ(a.interactions[1].value, 2.0f);
  EXPECT_EQ(a.items.id(a.interactions[2].item), "10");
  EXPECT_EQ(a.interactions[2].timestamp, 1293840000);  // 2011-01-01

  LoadOptions by_flag;
  by_flag.user_column = "1";
  by_flag.item_column = "2";
  by_flag.value_column = "5";
  by_flag.timestamp_column = "6";
  Dataset b = load_dataset(dir / "movie-ratings.txt", by_flag);
  ASSERT_EQ(b.interactions.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(a.interactions[k].timestamp, b.interactions[k].timestamp);
    EXPECT_FLOAT_EQ(a.interactions[k].value, b.interactions[k].value);
  }
}

TEST(ColumnMapping, MissingColumnErrorListsColumnsFoundAndAcceptedNames) {
  auto dir = testing::scratch_dir("missing");
  write(dir / "log.csv", "visitor,product,when\nv1,p1,1700000000\n");
  try {
    load_dataset(dir / "log.csv");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.file(), "log.csv");
    EXPECT_EQ(e.line(), 1u);
    EXPECT_NE(m.find("visitor, product, when"), std::string::npos) << m;   // what the file has
    EXPECT_NE(m.find("reviewerid"), std::string::npos) << m;              // accepted names
    EXPECT_NE(m.find("--user-col NAME"), std::string::npos) << m;         // how to name it
    EXPECT_NE(m.find("data.columns.user"), std::string::npos) << m;
  }
  LoadOptions named;
  named.user_column = "VISITOR";  // case-insensitive
  named.item_column = "product";
  named.timestamp_column = "when";
  Dataset d = load_dataset(dir / "log.csv", named);
  EXPECT_EQ(d.interactions[0].timestamp, 1700000000);
  EXPECT_TRUE(d.has_timestamps);
  named.weight_column = "nope";
  EXPECT_THROW(load_dataset(dir / "log.csv", named), DataError);
}

TEST(ColumnMapping, GzipJsonLinesWithAmazonKeys) {
  auto dir = testing::scratch_dir("jsonl");
  write_gzip(dir / "reviews.json.gz",
             R"({"reviewerID": "A1", "asin": "B01", "reviewerName": "x \"y\"", "overall": 5.0, "unixReviewTime": 1393545600})"
             "\n"
             R"({"reviewerID": "A2", "asin": "B01", "overall": 3.0, "unixReviewTime": 1363392000, "helpful": [0, 1]})"
             "\n\n"
             R"({"reviewerID": "A1", "asin": "B02", "overall": 4.0, "unixReviewTime": 1400000000})"
             "\n");
  // The keys are accepted names: no flags needed.
  Dataset d = load_dataset(dir / "reviews.json.gz");
  EXPECT_EQ(d.format, "jsonl");
  ASSERT_EQ(d.interactions.size(), 3u);
  EXPECT_TRUE(d.explicit_ratings);
  EXPECT_EQ(d.num_users(), 2u);
  EXPECT_FLOAT_EQ(d.interactions[1].value, 3.0f);
  EXPECT_EQ(d.interactions[2].timestamp, 1400000000);

  // The flags of the issue: overall as a weight.
  LoadOptions o;
  o.user_column = "reviewerID";
  o.item_column = "asin";
  o.weight_column = "overall";
  o.timestamp_column = "unixReviewTime";
  o.weight_transform = "raw";
  Dataset w = load_dataset(dir / "reviews.json.gz", o);
  EXPECT_TRUE(w.weighted);
  EXPECT_FLOAT_EQ(w.interactions[0].value, 5.0f);
  EXPECT_TRUE(validate_dataset(dir / "reviews.json.gz", o).ok());

  // A broken line is reported with its line number.
  write(dir / "broken.jsonl", "{\"user_id\": \"u\", \"item_id\": \"i\", \"timestamp\": 1700000000}\n{not json\n");
  ValidationReport r = validate_dataset(dir / "broken.jsonl");
  ASSERT_EQ(r.counts["malformed_row"], 1u) << r.to_text();
  EXPECT_EQ(r.issues[0].line, 2u);
  // Keys only: a position means nothing in JSON.
  LoadOptions position;
  position.user_column = "1";
  EXPECT_THROW(load_dataset(dir / "broken.jsonl", position), DataError);
}

TEST(ColumnMapping, GzipDelimitedFileReadsLikeThePlainOne) {
  auto dir = testing::scratch_dir("gz");
  const std::string text = "user_id;item_id;rating;timestamp\nu1;a;4;1700000000\nu2;b;5;1700000100\n";
  write(dir / "log.csv", text);
  write_gzip(dir / "log.csv.gz", text);
  Dataset plain = load_dataset(dir / "log.csv"), packed = load_dataset(dir / "log.csv.gz");
  ASSERT_EQ(packed.interactions.size(), 2u);
  EXPECT_EQ(packed.interactions[1].timestamp, plain.interactions[1].timestamp);
  EXPECT_FLOAT_EQ(packed.interactions[1].value, 5.0f);
  EXPECT_TRUE(validate_dataset(dir / "log.csv.gz").ok());
  // A truncated gzip stream is an error naming the file, not a silent short read.
  std::string bytes;
  {
    std::ifstream in(dir / "log.csv.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  write(dir / "cut.csv.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(load_dataset(dir / "cut.csv.gz"), DataError);
}

TEST(ColumnMapping, SplitColumnAndSplitFiles) {
  auto dir = testing::scratch_dir("supplied");
  write(dir / "log.csv", "user_id,item_id,timestamp,fold\nu1,a,1700000000,train\nu1,b,1700000001,test\n"
                         "u2,a,1700000002,train\nu2,c,1700000003,validation\n");
  LoadOptions by_column;
  by_column.split_column = "fold";
  Dataset d = load_dataset(dir / "log.csv", by_column);
  SplitConfig column;
  column.strategy = "column";
  Split s = make_split(d, column);
  EXPECT_EQ(s.train, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(s.validation, (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(s.test, (std::vector<std::uint32_t>{1}));
  EXPECT_THROW(make_split(d, SplitConfig{}), ConfigError);  // temporal would ignore the supplied parts

  write(dir / "bad.csv", "user_id,item_id,fold\nu1,a,train\nu1,b,tset\n");
  ValidationReport r = validate_dataset(dir / "bad.csv", by_column);
  EXPECT_EQ(r.counts["unknown_split"], 1u) << r.to_text();

  write(dir / "train.tsv", "1\t10\t4\t881250949\n1\t11\t3\t881250950\n2\t10\t5\t881250951\n");
  write(dir / "test.tsv", "1\t12\t4\t891250949\n2\t13\t2\t891250950\n");
  LoadOptions files;
  files.split_train = dir / "train.tsv";
  files.split_test = dir / "test.tsv";
  Dataset f = load_dataset(files.split_train, files);
  ASSERT_EQ(f.interactions.size(), 5u);
  EXPECT_TRUE(f.explicit_ratings);  // headerless, all numbers: MovieLens u.data order
  SplitConfig by_files;
  by_files.strategy = "files";
  Split fs_split = make_split(f, by_files);
  EXPECT_EQ(fs_split.train.size(), 3u);
  EXPECT_EQ(fs_split.test.size(), 2u);
  EXPECT_TRUE(fs_split.validation.empty());
  // The same row in train and test is leakage: validation names both places.
  write(dir / "test.tsv", "1\t10\t4\t881250949\n");
  ValidationReport leak = validate_dataset(files.split_train, files);
  ASSERT_EQ(leak.counts["duplicate_row"], 1u) << leak.to_text();
  EXPECT_FALSE(leak.ok());  // across parts it is leakage, an error (within a file only a warning)
  EXPECT_NE(leak.to_text().find("train.tsv:1"), std::string::npos) << leak.to_text();
}

TEST(ColumnMapping, ConfigKeysAndFlagsOverThem) {
  nlohmann::json data = {{"columns", {{"user", "reviewerID"}, {"item", "asin"}, {"weight", ""}}},
                         {"weight_transform", "binary"},
                         {"column_order", nlohmann::json::array()}};
  LoadOptions o;
  apply_data_config(data, o);
  EXPECT_EQ(o.user_column, "reviewerID");
  EXPECT_EQ(o.weight_column, "");
  EXPECT_EQ(o.weight_transform, "binary");
  LoadOptions flags;
  flags.user_column = "uid";
  overlay_load_options(flags, o);
  EXPECT_EQ(o.user_column, "uid");
  EXPECT_EQ(o.item_column, "asin");
  LoadOptions back;
  apply_data_config(load_options_to_json(o), back);
  EXPECT_EQ(back.user_column, "uid");
  EXPECT_EQ(back.weight_transform, "binary");
  EXPECT_THROW(apply_data_config({{"columns", {{"usr", "x"}}}}, o), ConfigError);
}

TEST(ColumnMapping, ItemTableWithIgnoredNameMultiGenreAndTagLinks) {
  auto dir = testing::scratch_dir("attributes");
  // Last.fm-like: a play-count log, an artist table and a tag link table.
  std::string log = "userID\tartistID\tweight\n", artists = "id\tname\tgenre\tyear\n";
  for (int a = 0; a < 30; ++a) {
    artists += "a" + std::to_string(a) + "\tArtist number " + std::to_string(a) + "\t" +
               (a % 3 == 0 ? "rock|pop" : a % 3 == 1 ? "jazz" : "rock") + "\t" + std::to_string(1960 + a) + "\n";
    log += "u" + std::to_string(a % 7) + "\ta" + std::to_string(a) + "\t" + std::to_string(1 + a) + "\n";
  }
  write(dir / "user_artists.dat", log);
  write(dir / "artists.dat", artists);
  write(dir / "tags.dat", "artistID\ttag\na0\tloud\na0\tclassic\na1\tsmooth\na99\tnew\n");
  LoadOptions o;
  o.items_file = dir / "artists.dat";
  o.item_key = "id";
  o.item_links = {dir / "tags.dat"};
  Dataset d = load_dataset(dir / "user_artists.dat", o);
  const AttributeTable& t = d.item_attributes;
  EXPECT_EQ(t.find("name"), nullptr);  // nearly unique text: ignored
  const AttributeColumn* genre = t.find("genre");
  ASSERT_NE(genre, nullptr);
  ASSERT_TRUE(genre->is_multi());
  const std::uint32_t a0 = *d.items.find("a0");
  ASSERT_EQ(genre->multi[a0].size(), 2u);  // every value, not only the first
  EXPECT_EQ(genre->vocabulary[genre->multi[a0][1]], "pop");
  ASSERT_NE(t.find("year"), nullptr);
  EXPECT_FALSE(t.find("year")->is_categorical());
  const AttributeColumn* tags = t.find("tag");
  ASSERT_NE(tags, nullptr);
  ASSERT_TRUE(tags->is_multi());
  EXPECT_EQ(tags->multi[a0].size(), 2u);
  EXPECT_TRUE(d.items.find("a99").has_value());  // a tagged artist without plays still exists

  // A role set by name wins over the inference; a role for a missing column is a typo.
  LoadOptions keep = o;
  keep.item_roles = {{"name", "categorical"}, {"year", "ignore"}};
  Dataset k = load_dataset(dir / "user_artists.dat", keep);
  EXPECT_NE(k.item_attributes.find("name"), nullptr);
  EXPECT_EQ(k.item_attributes.find("year"), nullptr);
  keep.item_roles = {{"nmae", "ignore"}};
  EXPECT_THROW(load_dataset(dir / "user_artists.dat", keep), ConfigError);

  // Multi-valued tags reach the dense features mean-pooled: two tags are half each.
  SplitConfig random;
  random.strategy = "user_random";
  Split split = make_split(d, random);
  const FeatureBuilder builder = FeatureBuilder::fit(d, split);
  FeatureSet f = builder.transform(d, split);
  // genre is the category column, an embedding field: a bag of every value
  // (the network mean-pools it as nn.EmbeddingBag(mode="mean")).
  const auto& cats = f.items.categorical_names;
  const auto genre_field = static_cast<std::size_t>(std::find(cats.begin(), cats.end(), "genre") - cats.begin());
  ASSERT_LT(genre_field, cats.size());
  ASSERT_TRUE(f.items.is_bag(genre_field));
  const auto& off = f.items.bag_offsets[genre_field];
  ASSERT_EQ(off[a0 + 1] - off[a0], 2u);  // rock and pop
  EXPECT_EQ(builder.item_bag_fields()[genre_field], true);
  EXPECT_NE(builder.to_json().dump().find("embedding_bag"), std::string::npos);  // feature_stats.json says so
  // A new item's "rock|pop" is the same bag (serving applies it as training did).
  std::vector<float> dense(builder.item_dense_dim());
  std::vector<std::int32_t> codes(builder.item_categorical_cardinality().size());
  CategoricalBags bags;
  builder.item_from_attributes({{"genre", "pop|rock|unheard"}}, dense.data(), codes.data(), &bags);
  std::vector<std::int32_t> expected(f.items.bag_codes[genre_field].begin() + off[a0],
                                     f.items.bag_codes[genre_field].begin() + off[a0 + 1]);
  std::sort(expected.begin(), expected.end());
  std::sort(bags[genre_field].begin(), bags[genre_field].end());
  EXPECT_EQ(bags[genre_field], expected);  // an unseen value is left out
  const auto& names = f.items.dense_names;
  auto col = [&](const std::string& name) {
    auto it = std::find(names.begin(), names.end(), name);
    EXPECT_NE(it, names.end()) << name;
    return static_cast<Eigen::Index>(it - names.begin());
  };
  EXPECT_FLOAT_EQ(f.items.dense(a0, col("tag=loud")), 0.5f);
  EXPECT_FLOAT_EQ(f.items.dense(a0, col("tag=classic")), 0.5f);
  EXPECT_FLOAT_EQ(f.items.dense(*d.items.find("a1"), col("tag=smooth")), 1.0f);
  EXPECT_FLOAT_EQ(f.items.dense(*d.items.find("a1"), col("tag=unknown")), 0.0f);
}

TEST(ColumnMapping, UserAttributeWithItsOwnSeparatorIsABagAtTrainingAndServing) {
  auto dir = testing::scratch_dir("user-bags");
  std::string log = "user_id,item_id\n", users = "user_id,genres\n";
  for (int u = 0; u < 12; ++u) {
    log += "u" + std::to_string(u) + ",i" + std::to_string(u % 5) + "\n";
    users += "u" + std::to_string(u) + "," + (u % 2 ? "drama;comedy" : "horror") + "\n";
  }
  write(dir / "log.csv", log);
  write(dir / "users.csv", users);
  LoadOptions o;
  o.users_file = dir / "users.csv";
  o.user_roles = {{"genres", "multi:;"}};
  Dataset d = load_dataset(dir / "log.csv", o);
  SplitConfig random;
  random.strategy = "user_random";
  Split split = make_split(d, random);
  FeatureConfig config;
  config.max_one_hot = 1;  // three values: an embedding field, so a bag
  const FeatureBuilder builder = FeatureBuilder::fit(d, split, config);
  FeatureSet f = builder.transform(d, split);
  ASSERT_TRUE(f.users.is_bag(0));
  const std::uint32_t u1 = *d.users.find("u1");
  EXPECT_EQ(f.users.bag_offsets[0][u1 + 1] - f.users.bag_offsets[0][u1], 2u);
  // Serving: "drama;comedy" (the column's own separator) is the same two-value bag.
  std::vector<float> dense(builder.user_dense_dim());
  std::vector<std::int32_t> codes(builder.user_categorical_cardinality().size());
  CategoricalBags bags;
  builder.user_from_attributes({{"genres", "drama;comedy"}}, dense.data(), codes.data(), &bags);
  ASSERT_EQ(bags.size(), codes.size());
  EXPECT_EQ(bags[0].size(), 2u);
  EXPECT_EQ(std::vector<std::int32_t>(f.users.bag_codes[0].begin() + f.users.bag_offsets[0][u1],
                                      f.users.bag_codes[0].begin() + f.users.bag_offsets[0][u1 + 1]),
            bags[0]);
  // The round trip through feature_stats.json keeps the separator.
  const FeatureBuilder reloaded = FeatureBuilder::from_json(builder.to_json());
  CategoricalBags again;
  reloaded.user_from_attributes({{"genres", "comedy;drama"}}, dense.data(), codes.data(), &again);
  EXPECT_EQ(again[0].size(), 2u);
}

TEST(ColumnMapping, XzSplitFilesOfMovieLens) {
  const fs::path splits = testing::ml100k_path() / "splits";
  if (!fs::exists(splits / "u1.base.xz")) {
    if (testing::in_ci()) FAIL() << "missing " << splits;
    GTEST_SKIP() << "no " << splits;
  }
  LoadOptions files;
  files.split_train = splits / "u1.base.xz";
  files.split_test = splits / "u1.test.xz";
  Dataset d = load_dataset(files.split_train, files);
  EXPECT_EQ(d.interactions.size(), 100000u);  // u1.base 80,000 + u1.test 20,000
  EXPECT_EQ(std::count(d.supplied_part.begin(), d.supplied_part.end(), std::uint8_t(SuppliedPart::Test)), 20000);
  EXPECT_TRUE(validate_dataset(files.split_train, files).ok());
}

}  // namespace
}  // namespace hybridrec
