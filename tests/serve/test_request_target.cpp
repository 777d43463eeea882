// The pure request parsers the fuzz_serve_request target reaches: the request
// target's split into decoded path and query (what every handler sees), the
// malformed-escape check, and a JSON body that parses but cannot be held.
#include <gtest/gtest.h>

#include "core/http_server.h"
#include "serve/request_error.h"
#include "serve/request_parsing.h"

using namespace hybridrec;

TEST(RequestTarget, DecodesPathAndQueryKeepingRepeatsAndNulBytes) {
  const auto t = http::split_request_target("/v1/recommendations/a%20b%00c?k=5&attr.age=25%2D34&k=7&flag&&q=x+y");
  EXPECT_EQ(t.path, std::string("/v1/recommendations/a b\0c", 25));
  EXPECT_EQ(t.params.count("k"), 2u);
  EXPECT_EQ(t.params.find("attr.age")->second, "25-34");
  ASSERT_EQ(t.params.count("flag"), 1u);
  EXPECT_EQ(t.params.find("flag")->second, "");
  EXPECT_EQ(t.params.find("q")->second, "x y");  // '+' is a space in the query only
  EXPECT_EQ(t.params.size(), 5u);
  EXPECT_EQ(http::split_request_target("/a+b").path, "/a+b");
}

TEST(RequestTarget, EmptyAndQuestionMarkOnlyTargets) {
  EXPECT_EQ(http::split_request_target("").path, "");
  const auto t = http::split_request_target("?");
  EXPECT_EQ(t.path, "");
  EXPECT_TRUE(t.params.empty());
}

TEST(RequestTarget, MalformedPercentEscapes) {
  EXPECT_FALSE(serve::has_malformed_percent_escape("/v1/recommendations/u%2F1?k=%31"));
  EXPECT_TRUE(serve::has_malformed_percent_escape("/v1/recommendations/%zz"));
  EXPECT_TRUE(serve::has_malformed_percent_escape("/x%4"));
  EXPECT_TRUE(serve::has_malformed_percent_escape("/x%"));
}

// nlohmann throws out_of_range (not parse_error) for a number past a double's
// range: it was a 500 with the library's message; it is the client's mistake.
TEST(RequestTarget, OverflowingNumberInABodyIsA400) {
  try {
    (void)serve::parse_json_body(R"({"type":"click","timestamp":1e999})");
    FAIL() << "1e999 was accepted";
  } catch (const serve::RequestError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_NE(std::string(e.what()).find("request body"), std::string::npos) << e.what();
  }
}
