#pragma once
// The specification's artifact set in one folder, and its loader:
//   model.safetensors      weights, PyTorch state_dict names (python/hybridrec/models.py)
//   user_id_map.json       ids in index order (the specification's user_id_map)
//   item_id_map.json
//   config.json            merged configuration, model sizes, feature dims, data provenance
//   metrics.json           the specification's evaluation result format
//   training_history.json  one record per epoch
//   feature_stats.json     fitted feature transform (applied again at serving time)
//   features.safetensors   user/item feature tables the hybrid model looks up
//   serving.safetensors    each user's training items (to exclude) and item popularity (fallback)
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/features.h"
#include "model/network.h"
#include "model/recommender.h"

namespace hybridrec {

struct ModelBundle {
  nlohmann::json config;
  IdMap users, items;
  std::optional<FeatureBuilder> feature_builder;
  FeatureSet features;
  std::unique_ptr<Network> network;  // ncf / hybrid; null for baselines
  std::vector<std::vector<std::uint32_t>> seen;  // training items per user, sorted
  std::vector<float> popularity;                 // per item, higher = more popular
  std::unique_ptr<Recommender> recommender;      // answers score_all for known users

  std::string type() const { return config.at("model").at("type").get<std::string>(); }
  // Tells the network which users and items had training data (derived from
  // `seen`), so unseen ones are routed to its "unknown" rows.
  void mark_seen_on_network() const;
  // Users without training history are ranked by `popularity`, not by the model:
  // a network without a cold path (ncf), a hybrid whose content path lost to
  // popularity on the validation part's new users (model.cold_user_path), or a
  // recommender that cannot rank them.
  bool cold_users_by_popularity() const;
  // Loads and checks every file; errors name the folder and the file.
  static ModelBundle load(const std::filesystem::path& dir);
  // Writes everything but metrics.json and training_history.json (the pipeline
  // writes those when they exist).
  void save(const std::filesystem::path& dir) const;

  // Top-k for a known user, excluding its training items; cold users the model
  // cannot serve get the popularity fallback. `path` receives "model",
  // "content" or "popularity".
  std::vector<ScoredItem> recommend(std::uint32_t user, std::size_t k, std::string* path = nullptr) const;
  // Top-k for a user unknown to the model: hybrid scores from `attributes`
  // (age_group, location, ...) through the content branch, else popularity.
  std::vector<ScoredItem> recommend_new_user(const RawAttributes& attributes, std::size_t k,
                                             std::string* path = nullptr) const;
};

}  // namespace hybridrec
