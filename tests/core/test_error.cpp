#include <gtest/gtest.h>

#include "core/error.h"
#include "data/id_map.h"

using namespace hybridrec;

TEST(DataError, NamesFileLineAndField) {
  DataError e("shop/interactions.csv", 12, "timestamp", "not a unix time or ISO 8601 date");
  EXPECT_STREQ(e.what(), "shop/interactions.csv:12: field 'timestamp': not a unix time or ISO 8601 date");
  EXPECT_EQ(e.line(), 12u);
}

TEST(IdMap, RoundTripsThroughFile) {
  IdMap m;
  EXPECT_EQ(m.intern("u9"), 0u);
  EXPECT_EQ(m.intern("u1"), 1u);
  EXPECT_EQ(m.intern("u9"), 0u);
  auto path = std::filesystem::temp_directory_path() / "hybridrec_idmap_test.json";
  m.save(path);
  IdMap back = IdMap::load(path);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.id(1), "u1");
  EXPECT_EQ(*back.find("u9"), 0u);
  EXPECT_FALSE(back.find("nope"));
}
