// A served model whose weights went non-finite (a damaged file, an overflow)
// must never put NaN or infinity in a response (issue #17): the request falls
// back to popularity, says so in served_by, and /metrics counts it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "serve_fixture.h"

namespace hybridrec::serve::testing {
namespace {

// Overwrites every tensor byte of a safetensors file (after its JSON header)
// with +infinity, leaving the header valid so the model still loads.
void fill_tensors_with_infinity(const std::filesystem::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  std::uint64_t header = 0;
  f.read(reinterpret_cast<char*>(&header), sizeof header);
  const auto size = std::filesystem::file_size(file);
  const std::uint64_t data = sizeof header + header;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<char> payload(size - data);
  for (std::size_t i = 0; i + sizeof inf <= payload.size(); i += sizeof inf) std::memcpy(&payload[i], &inf, sizeof inf);
  f.seekp(static_cast<std::streamoff>(data));
  f.write(payload.data(), static_cast<std::streamsize>(payload.size()));
}

TEST(NonFiniteScores, ADamagedModelIsAnsweredByPopularityAndCounted) {
  const auto workspace = copy_workspace("non-finite");
  { RunningServer checkout(workspace); }  // the first start checks the models out into serving/models
  int damaged = 0;
  for (const auto& model : std::filesystem::directory_iterator(workspace / "serving" / "models"))
    if (std::filesystem::exists(model.path() / "model.safetensors")) {
      fill_tensors_with_infinity(model.path() / "model.safetensors");
      ++damaged;
    }
  ASSERT_GT(damaged, 0);
  RunningServer s(workspace);
  for (const std::string user : {"u000001", "u000002", "u000003"}) {
    for (const std::string query : {"?k=5", "?k=5&diversity=0.5"}) {
      auto r = s.get_json("/v1/recommendations/" + user + query);
      EXPECT_EQ(r["served_by"], "popularity_non_finite") << r.dump();
      ASSERT_EQ(r["items"].size(), 5u) << r.dump();
      for (const auto& item : r["items"]) EXPECT_TRUE(item["score"].is_number()) << r.dump();  // NaN/inf dump as null
    }
  }
  const std::string metrics = s.client->Get("/metrics")->body;
  EXPECT_NE(metrics.find("served_by=\"popularity_non_finite\""), std::string::npos) << metrics;
}

}  // namespace
}  // namespace hybridrec::serve::testing
