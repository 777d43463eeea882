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
//   user_behaviour.safetensors  each user's training-period behaviour aggregates (content
//                          families; serving folds online events into them, issue #19)
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/features.h"
#include "model/baselines.h"
#include "model/recommender.h"
#include "model/routing.h"

namespace hybridrec {

struct ModelBundle {
  nlohmann::json config;
  IdMap users, items;
  std::optional<FeatureBuilder> feature_builder;
  FeatureSet features;
  std::vector<std::vector<std::uint32_t>> seen;  // training items per user, sorted
  std::vector<float> popularity;                 // per item, higher = more popular
  // What a trained user's behaviour features are recomputed from at serving time
  // (FeatureBuilder::fold_in_user_behaviour); absent for models saved before it,
  // for families without a content branch and for sharded training.
  std::optional<TrainingBehaviour> training_behaviour;
  // The fitted model (any family, made by make_model); it saves and loads its own
  // state (model.safetensors and any family files).
  std::unique_ptr<Recommender> recommender;

  std::string type() const { return config.at("model").at("type").get<std::string>(); }
  // model.cold_user_path as recorded ("auto" when absent).
  std::string cold_user_path() const;
  // The route of a user (model/routing.h), from `seen` and the recorded cold_user_path.
  Route route(std::uint32_t user) const;
  Route route_new_user(bool has_attributes) const;
  // Users without training history are ranked by `popularity`, not by the model
  // (routing says so: a family without a cold path, or model.cold_user_path).
  bool cold_users_by_popularity() const;
  // The model's own popularity as a recommender (scores scaled to [0, 1]): what
  // routing's "popularity" ranks by.
  PopularityBaseline popularity_model() const;
  // `popularity` scaled to [0, 1] (the top item 1): the scores the fallback
  // reports, on the same scale as the model's sigmoid scores, never raw counts.
  std::vector<float> popularity_scores() const;
  // Loads and checks every file; errors name the folder and the file. The model
  // comes from make_model(type) + load(dir): never from the training data.
  static ModelBundle load(const std::filesystem::path& dir);
  // What a family's load() gets from this bundle (it points into the bundle).
  LoadContext load_context() const;
  // Writes everything but metrics.json and training_history.json (the pipeline
  // writes those when they exist).
  void save(const std::filesystem::path& dir) const;

  // Top-k for a known user, excluding its training items; cold users the model
  // cannot serve get the popularity fallback. `path` receives "model",
  // "content" or "popularity".
  std::vector<ScoredItem> recommend(std::uint32_t user, std::size_t k, std::string* path = nullptr) const;
  // Top-k for a user unknown to the model: a family with a content path scores
  // from `attributes` (age_group, location, ...), else popularity.
  std::vector<ScoredItem> recommend_new_user(const RawAttributes& attributes, std::size_t k,
                                             std::string* path = nullptr) const;
};

// The registry's notion of shape (config.json "architecture"): the family and, for
// networks, the layer sizes; for factor models, the rank. A change is a MAJOR version.
nlohmann::json model_architecture(const nlohmann::json& model_section);

}  // namespace hybridrec
