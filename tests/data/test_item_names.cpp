// Item names for batch output: MovieLens titles (each layout's file, Latin-1
// repaired, bare quotes kept), an item table's name column, none otherwise.
#include <gtest/gtest.h>

#include <fstream>

#include "data/item_names.h"
#include "test_support.h"

using namespace hybridrec;

namespace {
std::filesystem::path io(const char* name) { return std::filesystem::path(HYBRIDREC_TEST_DATA) / "io" / name; }
}  // namespace

TEST(ItemNames, MovieLensTitlesFromEachLayout) {
  const auto ml100k = read_item_names(io("ml100k-mini"), {});
  EXPECT_EQ(ml100k.at("10"), "Toy Story (1995)");
  EXPECT_EQ(ml100k.at("11"), "Mis\xC3\xA9rables, Les (1995)");  // u.item is Latin-1
  const auto ml1m = read_item_names(io("ml1m-mini"), {});
  EXPECT_EQ(ml1m.at("12"), "\"Great Day in Harlem, A\" (1994)");  // quotes are data in movies.dat
  const auto latest = read_item_names(io("mllatest-mini"), {});
  EXPECT_EQ(latest.at("11"), "American President, The (1995)");  // quoted CSV
}

TEST(ItemNames, AnItemTablesNameColumnOrNothing) {
  EXPECT_TRUE(read_item_names(io("canonical-mini"), {}).empty());  // category, brand, price, tags: no name
  const auto dir = hybridrec::testing::scratch_dir("item_names");
  std::ofstream(dir / "products.csv") << "sku,Title,price\ni1,\"Red shoes, size 9\",19.99\ni2,Paper,5\n";
  LoadOptions options;
  options.items_file = dir / "products.csv";
  options.item_key = "sku";
  const auto names = read_item_names(io("canonical-mini") / "interactions.csv", options);
  EXPECT_EQ(names.at("i1"), "Red shoes, size 9");
  EXPECT_EQ(names.at("i2"), "Paper");
}
