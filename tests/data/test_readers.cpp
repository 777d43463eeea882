// Dataset readers: layout detection, each format on small fixtures, the real
// MovieLens 100K, and precise errors for bad rows.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "data/readers.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) { return fs::path(HYBRIDREC_TEST_DATA) / "io" / name; }

void write(const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; }

std::vector<std::string> values_of(const AttributeColumn& column, std::uint32_t entity) {
  std::vector<std::string> out;
  for (auto code : column.multi[entity]) out.push_back(column.vocabulary[code]);
  return out;
}

std::string categorical(const Dataset& d, const AttributeTable& t, const char* name, std::uint32_t entity) {
  const AttributeColumn* c = t.find(name);
  if (!c || c->codes[entity] < 0) return "";
  return c->vocabulary[c->codes[entity]];
}

TEST(Readers, DetectsEveryLayout) {
  EXPECT_EQ(detect_format(fixture("canonical-mini")), "canonical");
  EXPECT_EQ(detect_format(fixture("canonical-mini/interactions.csv")), "canonical");
  EXPECT_EQ(detect_format(fixture("ml100k-mini")), "movielens-100k");
  EXPECT_EQ(detect_format(fixture("ml1m-mini")), "movielens-1m");
  EXPECT_EQ(detect_format(fixture("mllatest-mini")), "movielens-latest");
  auto dir = testing::scratch_dir("generic");
  write(dir / "events.tsv", "customer\tproduct\tts\nc1\tp1\t1700000000\n");
  EXPECT_EQ(detect_format(dir / "events.tsv"), "generic");
  EXPECT_THROW(detect_format(dir), DataError);  // a folder with nothing we know
  EXPECT_THROW(detect_format(dir / "missing"), DataError);
}

TEST(Readers, CanonicalWithCatalogueBomCrlfAndIsoTimes) {
  Dataset d = load_dataset(fixture("canonical-mini"));
  EXPECT_EQ(d.format, "canonical");
  ASSERT_EQ(d.interactions.size(), 4u);
  // Catalogue ids come first: u4 and i9 have no interactions but exist.
  EXPECT_EQ(d.users.size(), 4u);  // u1 u2 u4 from users.csv, then u3
  EXPECT_EQ(d.items.size(), 4u);  // i1 i2 i3 i9
  ASSERT_TRUE(d.users.find("u4"));
  ASSERT_TRUE(d.items.find("i9"));
  EXPECT_EQ(*d.users.find("u3"), 3u);
  const Interaction& first = d.interactions[0];
  EXPECT_EQ(d.users.id(first.user), "u1");
  EXPECT_EQ(first.event, Event::View);
  EXPECT_EQ(first.timestamp, 1705314600);
  EXPECT_TRUE(std::isnan(first.value));
  EXPECT_EQ(d.interactions[2].event, Event::Rating);
  EXPECT_FLOAT_EQ(d.interactions[2].value, 4.5f);
  EXPECT_EQ(d.interactions[2].timestamp, 1705276800);
  EXPECT_EQ(d.interactions[3].event, Event::AddToCart);
  EXPECT_EQ(d.interactions[3].timestamp, 1705384800);  // 08:00+02:00 = 06:00Z
  EXPECT_FALSE(d.explicit_ratings);                      // mixed events

  // Attribute tables sized to the final id maps, columns typed by content.
  for (const auto& c : d.user_attributes.columns) EXPECT_EQ(c.size(), d.users.size()) << c.name;
  for (const auto& c : d.item_attributes.columns) EXPECT_EQ(c.size(), d.items.size()) << c.name;
  const AttributeColumn* age = d.user_attributes.find("age");
  ASSERT_TRUE(age);
  EXPECT_FALSE(age->is_categorical());
  EXPECT_FLOAT_EQ(age->numbers[*d.users.find("u1")], 34.0f);
  EXPECT_TRUE(std::isnan(age->numbers[*d.users.find("u2")]));  // empty cell
  EXPECT_TRUE(std::isnan(age->numbers[*d.users.find("u3")]));  // not in users.csv
  EXPECT_EQ(categorical(d, d.user_attributes, "segment", *d.users.find("u4")), "gold");
  const AttributeColumn* price = d.item_attributes.find("price");
  ASSERT_TRUE(price);
  EXPECT_FALSE(price->is_categorical());
  EXPECT_FLOAT_EQ(price->numbers[*d.items.find("i1")], 19.99f);
  EXPECT_EQ(categorical(d, d.item_attributes, "brand", *d.items.find("i1")), "Acme, Inc.");
  const AttributeColumn* tags = d.item_attributes.find("tags");
  ASSERT_TRUE(tags && tags->is_multi());
  EXPECT_EQ(values_of(*tags, *d.items.find("i1")), (std::vector<std::string>{"red", "sale"}));
  EXPECT_EQ(tags->codes[*d.items.find("i2")], -1);
}

TEST(Readers, MovieLens100kMiniDecodesAgesGenresAndYears) {
  Dataset d = load_dataset(fixture("ml100k-mini"));
  EXPECT_EQ(d.format, "movielens-100k");
  EXPECT_TRUE(d.explicit_ratings);
  ASSERT_EQ(d.interactions.size(), 4u);
  EXPECT_EQ(d.interactions[0].event, Event::Rating);
  EXPECT_FLOAT_EQ(d.interactions[0].value, 4.0f);
  EXPECT_EQ(d.interactions[0].timestamp, 881250949);
  EXPECT_EQ(d.items.size(), 4u);  // item 13 only in u.item
  EXPECT_EQ(categorical(d, d.user_attributes, "age_group", *d.users.find("3")), "under18");
  EXPECT_EQ(categorical(d, d.user_attributes, "age_group", *d.users.find("1")), "18-24");
  EXPECT_EQ(categorical(d, d.user_attributes, "age_group", *d.users.find("4")), "56+");
  EXPECT_EQ(categorical(d, d.user_attributes, "occupation", *d.users.find("2")), "other");
  const AttributeColumn* genre = d.item_attributes.find("genre");
  ASSERT_TRUE(genre && genre->is_multi());
  EXPECT_EQ(values_of(*genre, *d.items.find("10")), (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(categorical(d, d.item_attributes, "genre", *d.items.find("11")), "Drama");  // first genre is primary
  const AttributeColumn* year = d.item_attributes.find("year");
  ASSERT_TRUE(year && !year->is_categorical());
  EXPECT_FLOAT_EQ(year->numbers[*d.items.find("10")], 1995.0f);
  EXPECT_TRUE(std::isnan(year->numbers[*d.items.find("12")]));  // "unknown" has no date
}

TEST(Readers, MovieLens1mDoubleColonAndLatin1Movies) {
  Dataset d = load_dataset(fixture("ml1m-mini"));
  EXPECT_EQ(d.format, "movielens-1m");
  ASSERT_EQ(d.interactions.size(), 3u);
  EXPECT_EQ(d.interactions[1].timestamp, 978302109);
  EXPECT_FLOAT_EQ(d.interactions[1].value, 5.0f);
  EXPECT_EQ(categorical(d, d.user_attributes, "age_group", *d.users.find("1")), "under18");
  EXPECT_EQ(categorical(d, d.user_attributes, "occupation", *d.users.find("1")), "K-12 student");
  EXPECT_EQ(categorical(d, d.user_attributes, "occupation", *d.users.find("2")), "self-employed");
  const AttributeColumn* genre = d.item_attributes.find("genre");
  ASSERT_TRUE(genre);
  EXPECT_EQ(values_of(*genre, *d.items.find("10")), (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_FLOAT_EQ(d.item_attributes.find("year")->numbers[*d.items.find("12")], 1994.0f);
}

TEST(Readers, MovieLensLatestQuotedTitles) {
  Dataset d = load_dataset(fixture("mllatest-mini"));
  EXPECT_EQ(d.format, "movielens-latest");
  ASSERT_EQ(d.interactions.size(), 3u);
  EXPECT_FLOAT_EQ(d.interactions[2].value, 0.5f);
  EXPECT_FLOAT_EQ(d.rating_min, 0.5f);
  EXPECT_EQ(categorical(d, d.item_attributes, "genre", *d.items.find("11")), "Comedy");
  EXPECT_EQ(d.item_attributes.find("genre")->codes[*d.items.find("12")], -1);  // (no genres listed)
  EXPECT_FLOAT_EQ(d.item_attributes.find("year")->numbers[*d.items.find("12")], 1964.0f);
}

TEST(Readers, GenericFileWithAliasesDetectedSeparatorAndIsoTimes) {
  auto dir = testing::scratch_dir("generic");
  write(dir / "log.txt", "userId;movieId;rating;date\n7;x;4;2024-01-15\n8;y;2,5;2024-01-16\n");
  EXPECT_THROW(load_dataset(dir / "log.txt"), DataError);  // "2,5" is not a number
  write(dir / "log.txt", "userId;movieId;rating;date\n7;x;4;2024-01-15\n8;y;2.5;2024-01-16T00:00:00Z\n");
  Dataset d = load_dataset(dir / "log.txt");
  EXPECT_EQ(d.format, "generic");
  ASSERT_EQ(d.interactions.size(), 2u);
  EXPECT_TRUE(d.explicit_ratings);
  EXPECT_EQ(d.interactions[1].timestamp, 1705363200);
  EXPECT_FLOAT_EQ(d.interactions[1].value, 2.5f);

  write(dir / "raw.tsv", "a\tb\t1700000000\n");
  LoadOptions o;
  o.format = "generic";
  o.header = false;
  o.user_column = "2";  // 1-based positions
  o.item_column = "1";
  o.timestamp_column = "3";
  Dataset raw = load_dataset(dir / "raw.tsv", o);
  ASSERT_EQ(raw.interactions.size(), 1u);
  EXPECT_EQ(raw.users.id(0), "b");
  EXPECT_EQ(raw.interactions[0].timestamp, 1700000000);
  EXPECT_EQ(raw.interactions[0].event, Event::View);  // no value column: implicit
  EXPECT_TRUE(std::isnan(raw.interactions[0].value));
  EXPECT_FALSE(raw.explicit_ratings);
}

TEST(Readers, MalformedRowNamesFileLineAndField) {
  auto dir = testing::scratch_dir("bad");
  write(dir / "interactions.csv",
        "user_id,item_id,event,value,timestamp\nu1,i1,view,,1700000000\nu1,i2,clik,,1700000001\n");
  try {
    load_dataset(dir);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "interactions.csv:3: field 'event': unknown event 'clik' (expected view, add_to_cart, purchase, rating)");
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(e.field(), "event");
  }
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\nu1,i1,view,,1700000000\nu1,i1\n");
  try {
    load_dataset(dir);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(std::string(e.what()).find("expected 5 fields, got 2"), std::string::npos);
  }
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\nu1,i1,rating,good,1700000000\n");
  EXPECT_THROW(load_dataset(dir), DataError);
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\nu1,i1,view,,2024-13-01\n");
  try {
    load_dataset(dir);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.field(), "timestamp");
    EXPECT_NE(e.message().find("month 13"), std::string::npos);
  }
}

TEST(Readers, NonStrictSkipsAndCountsBadRows) {
  auto dir = testing::scratch_dir("lenient");
  write(dir / "interactions.csv",
        "user_id,item_id,event,value,timestamp\nu1,i1,view,,1700000000\nu1,i2,clik,,1\nu2,i2,view,,x\nu2,i3,purchase,,"
        "1700000002\n");
  LoadOptions o;
  o.strict = false;
  LoadStats stats;
  Dataset d = load_dataset(dir, o, &stats);
  EXPECT_EQ(d.interactions.size(), 2u);
  EXPECT_EQ(stats.rows_skipped, 2u);
  ASSERT_EQ(stats.first_problems.size(), 2u);
  EXPECT_NE(stats.first_problems[1].find("interactions.csv:4"), std::string::npos);
}

TEST(Readers, MissingOrEmptyRequiredFilesAreNamed) {
  auto dir = testing::scratch_dir("missing");
  LoadOptions canonical;
  canonical.format = "canonical";
  try {
    load_dataset(dir, canonical);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("interactions.csv"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
  write(dir / "interactions.csv", "");
  try {
    load_dataset(dir);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos);
  }
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\n");
  EXPECT_THROW(load_dataset(dir), DataError);  // header only
  write(dir / "interactions.csv", "user,item,event,value,timestamp\nu,i,view,,1\n");
  try {
    load_dataset(dir);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.field(), "user_id");  // the header lacks it
  }
  LoadOptions bad_format;
  bad_format.format = "parquet";
  EXPECT_THROW(load_dataset(fixture("canonical-mini"), bad_format), ConfigError);
}

TEST(Readers, DuplicateCatalogueIdIsAnError) {
  auto dir = testing::scratch_dir("dup");
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\nu1,i1,view,,1700000000\n");
  write(dir / "items.csv", "item_id,category\ni1,a\ni2,b\ni1,c\n");
  try {
    load_dataset(dir);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), "items.csv");
    EXPECT_EQ(e.line(), 4u);
  }
}

TEST(Readers, LongAndShortIdsMapConsistentlyAcrossTableGrowth) {
  // Ids longer than the id table's inline size take its other path; thousands
  // of them force several table growths.
  auto dir = testing::scratch_dir("ids");
  std::string content = "user_id,item_id,event,value,timestamp\n";
  auto user_of = [](int r) { return (r % 3 ? "customer-0000-0000-" : "u") + std::to_string(r % 2500); };
  for (int r = 0; r < 6000; ++r)
    content += user_of(r) + ",item-with-a-long-name-" + std::to_string(r % 700) + ",view,," +
               std::to_string(1700000000 + r) + "\n";
  write(dir / "interactions.csv", content);
  Dataset d = load_dataset(dir);
  ASSERT_EQ(d.interactions.size(), 6000u);
  EXPECT_EQ(d.items.size(), 700u);
  std::set<std::string> users;
  for (int r = 0; r < 6000; ++r) users.insert(user_of(r));
  EXPECT_EQ(d.users.size(), users.size());
  for (int r = 0; r < 6000; r += 7) {
    EXPECT_EQ(d.users.id(d.interactions[r].user), user_of(r));
    EXPECT_EQ(d.items.id(d.interactions[r].item), "item-with-a-long-name-" + std::to_string(r % 700));
  }
}

TEST(Readers, MovieLens100kFull) {
  REQUIRE_ML100K();
  Dataset d = load_dataset(testing::ml100k_path());
  EXPECT_EQ(d.format, "movielens-100k");
  EXPECT_EQ(d.interactions.size(), 100000u);
  EXPECT_EQ(d.users.size(), 943u);
  EXPECT_EQ(d.items.size(), 1682u);
  EXPECT_TRUE(d.explicit_ratings);
  EXPECT_EQ(d.users.id(0), "1");  // catalogue order: index = id - 1
  for (const char* name : {"age_group", "gender", "occupation"}) {
    const AttributeColumn* c = d.user_attributes.find(name);
    ASSERT_TRUE(c) << name;
    EXPECT_EQ(c->codes.size(), 943u);
    EXPECT_EQ(std::count(c->codes.begin(), c->codes.end(), -1), 0) << name;
  }
  EXPECT_EQ(d.user_attributes.find("gender")->vocabulary.size(), 2u);
  EXPECT_EQ(d.user_attributes.find("occupation")->vocabulary.size(), 21u);
  EXPECT_EQ(d.user_attributes.find("age_group")->vocabulary.size(), 7u);
  const AttributeColumn* genre = d.item_attributes.find("genre");
  ASSERT_TRUE(genre && genre->is_multi());
  EXPECT_EQ(genre->multi.size(), 1682u);
  EXPECT_EQ(genre->vocabulary.size(), 19u);
  EXPECT_EQ(values_of(*genre, *d.items.find("1")), (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  double ratings = 0;
  for (const auto& i : d.interactions) {
    ASSERT_EQ(i.event, Event::Rating);
    ratings += i.value;
  }
  EXPECT_NEAR(ratings / 100000.0, 3.52986, 1e-4);  // the published mean rating
}

}  // namespace
}  // namespace hybridrec
