#pragma once
// A synthetic e-commerce shop with planted, recoverable structure: user taste is
// partly latent (user/item factor vectors) and partly driven by user attributes
// (age group, segment and location shift category and price preferences), so
// both the collaborative and the content branch have real signal to learn, and a
// brand-new user can be served from attributes alone.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "data/dataset.h"

namespace hybridrec {

struct GeneratorConfig {
  std::size_t users = 2000, items = 500, interactions = 100000;
  std::uint64_t seed = 42;
  int categories = 12, brands = 40;
  int latent_dim = 8;
  std::int64_t start_time = 1704067200;  // 2024-01-01T00:00:00Z
  int days = 365;
  double zipf_exponent = 0.9;     // long-tail item popularity
  double latent_weight = 1.0;     // strength of the collaborative (latent) part of taste
  double attribute_weight = 1.0;  // strength of the attribute-driven part of taste
  double late_user_share = 0.3;   // users who join during the year (cold-start in temporal splits)
  double late_item_share = 0.15;  // items released during the year
  double trending_item_share = 0.2;  // items whose popularity rises and falls over the year
};

// Generates the shop in memory (format "generated"). Interactions are sorted by
// (timestamp, user, item, event). Same config -> identical dataset, whatever the
// number of OpenMP threads.
Dataset generate_shop(const GeneratorConfig& config);

// Writes the canonical folder layout: interactions.csv (user_id,item_id,event,value,timestamp),
// users.csv (user_id,age_group,location,segment), items.csv (item_id,category,brand,price).
// Each file is written atomically; same dataset -> byte-identical files.
void write_shop(const Dataset& dataset, const std::filesystem::path& dir);

}  // namespace hybridrec
