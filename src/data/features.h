#pragma once
// Content features of users and items, as the specification lists them, computed
// from the training period only. The fitted normalisation statistics are saved as
// feature_stats.json and the same transform is applied at serving time.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/shard_collectives.h"
#include "data/split.h"

namespace hybridrec {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Features of one kind of entity (users or items), one row per dense index.
struct EntityFeatures {
  // Dense block fed to the content Dense(64) layer: one-hots and numbers in [0, 1].
  RowMatrix dense;
  std::vector<std::string> dense_names;
  // Categorical fields fed to learned embeddings (favourite category, category, brand).
  // Code 0 is the explicit "unknown" bucket; cardinality counts it.
  std::vector<std::string> categorical_names;
  std::vector<std::int32_t> categorical_cardinality;
  std::vector<std::vector<std::int32_t>> categorical;  // [field][entity]

  std::size_t size() const { return static_cast<std::size_t>(dense.rows()); }
  std::size_t dense_dim() const { return static_cast<std::size_t>(dense.cols()); }
  std::size_t num_categorical() const { return categorical_names.size(); }
};

struct FeatureSet {
  EntityFeatures users;
  EntityFeatures items;
  // Optional "cold twins" (FeatureBuilder::add_cold_twins): the same entities as if
  // they had no training history - attributes kept, behaviour features at their
  // new-entity values. Training with id dropout shows them to the network with the
  // unknown id rows, so a simulated cold user looks exactly like a real new one.
  EntityFeatures cold_users;
  EntityFeatures cold_items;
};

struct FeatureConfig {
  // Categorical attributes with at most this many values are one-hot encoded into
  // the dense block; larger ones (brand) get a learned embedding.
  int max_one_hot = 16;
  // Event weights for popularity and purchase counts.
  float view_weight = 1.0f, cart_weight = 2.0f, purchase_weight = 4.0f, rating_weight = 3.0f;
  int trending_window_days = 30;

  // The `content_features:` section of the configuration (every key required: the
  // defaults come from configs/default.yaml) and back; also feature_stats.json's
  // "config". The member defaults above equal the YAML's (ConfigSchema test).
  static FeatureConfig from_json(const nlohmann::json& section);
  nlohmann::json to_json() const;
};

// A single new user or item at serving time: raw attribute values by column name.
using RawAttributes = std::map<std::string, std::string>;

class FeatureBuilder {
 public:
  // Fits encoders and normalisation statistics on split.train only: no feature
  // ever looks at validation or test interactions.
  // With `shards` (a collective), the dataset is one user shard and the behaviour
  // statistics are combined over every shard first: the result is the same as a
  // single process's fit on all rows.
  static FeatureBuilder fit(const Dataset& dataset, const Split& split, const FeatureConfig& config = {},
                            ShardCollectives* shards = nullptr);

  // Features for every user and item of the dataset (entities without training
  // history get behaviour features of a new entity and their attribute features).
  // With `shards` (a collective), every shard gets every user's and item's features.
  FeatureSet transform(const Dataset& dataset, const Split& split, ShardCollectives* shards = nullptr) const;
  // Fills features.cold_users/cold_items: transform() with no training history.
  void add_cold_twins(const Dataset& dataset, const Split& split, FeatureSet& features) const;

  // Serving: features of a user (or item) unknown to training, from attributes alone.
  void user_from_attributes(const RawAttributes& attributes, float* dense_out, std::int32_t* categorical_out) const;
  void item_from_attributes(const RawAttributes& attributes, float* dense_out, std::int32_t* categorical_out) const;

  // feature_stats.json round trip.
  nlohmann::json to_json() const;
  static FeatureBuilder from_json(const nlohmann::json& stats);

  std::size_t user_dense_dim() const;
  std::size_t item_dense_dim() const;
  std::vector<std::int32_t> user_categorical_cardinality() const;
  std::vector<std::int32_t> item_categorical_cardinality() const;

 private:
  nlohmann::json stats_;  // everything the transform needs, exactly what is saved
};

}  // namespace hybridrec
