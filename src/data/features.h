#pragma once
// Content features of users and items, as the specification lists them, computed
// from the training period only. The fitted normalisation statistics are saved as
// feature_stats.json and the same transform is applied at serving time.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
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
  // Multi-valued fields (a tag list, several genres) keep every value of an entity:
  // the network mean-pools their embedding rows, as nn.EmbeddingBag(mode="mean").
  // bag_offsets[field] is empty for a single-valued field; for a bag field it has
  // size() + 1 entries and entity e's codes are bag_codes[field][offsets[e], offsets[e+1]),
  // never an empty bag (no known value: {0}, the unknown code). categorical[field][e]
  // then holds the bag's first code.
  std::vector<std::vector<std::uint32_t>> bag_offsets;  // [field][entity + 1]
  std::vector<std::vector<std::int32_t>> bag_codes;     // [field][flat]

  std::size_t size() const { return static_cast<std::size_t>(dense.rows()); }
  bool is_bag(std::size_t field) const { return field < bag_offsets.size() && !bag_offsets[field].empty(); }
  std::vector<bool> bag_fields() const {
    std::vector<bool> out(num_categorical());
    for (std::size_t j = 0; j < out.size(); ++j) out[j] = is_bag(j);
    return out;
  }
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

// A single new user or item at serving time: raw attribute values by column name. A
// multi-valued column takes its values joined by the column's separator ("a|b").
using RawAttributes = std::map<std::string, std::string>;

// One event of a user's online history (serving fold-in, issue #19).
struct HistoryEvent {
  std::uint32_t item = 0;  // dense item index
  Event event = Event::View;
  std::int64_t timestamp = 0;  // unix seconds
};

// What serving needs to recompute a trained user's behaviour features after new
// events (fold-in, issue #19): each user's training-period aggregates before
// normalisation, exactly as FeatureBuilder::fit/transform aggregate them, and
// each item's category code and price percentile as that aggregation reads them
// (an item's first listed category, which item_category_codes cannot recover from
// the feature table). Made by FeatureBuilder::training_behaviour; saved with the
// model as user_behaviour.safetensors (train/training_behaviour_file.h).
struct TrainingBehaviour {
  // Per user.
  std::vector<double> purchases, price_point_sum;
  std::vector<std::uint32_t> price_point_count;
  std::vector<std::int64_t> last_time;          // INT64_MIN: no training event
  std::vector<std::uint32_t> day_offsets;       // [users + 1] into days
  std::vector<std::int64_t> days;               // each user's distinct active days (unix days), ascending
  std::vector<std::uint32_t> category_offsets;  // [users + 1] into categories and category_weights
  std::vector<std::int32_t> categories;         // the categories a user's events touched, ascending code
  std::vector<double> category_weights;         // their event-weighted totals
  // Per item.
  std::vector<std::int32_t> item_category;      // fitted vocabulary code, -1: none
  std::vector<double> item_price_percentile;    // NaN: no price

  std::size_t num_users() const { return purchases.size(); }
  std::size_t num_items() const { return item_category.size(); }
};

// Serving: the codes of a new entity's bag fields, [field] (empty for a single-valued
// field, whose code is in the categorical row).
using CategoricalBags = std::vector<std::vector<std::int32_t>>;

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
  // bags_out (optional) receives every code of the bag fields (see EntityFeatures).
  void user_from_attributes(const RawAttributes& attributes, float* dense_out, std::int32_t* categorical_out,
                            CategoricalBags* bags_out = nullptr) const;
  void item_from_attributes(const RawAttributes& attributes, float* dense_out, std::int32_t* categorical_out,
                            CategoricalBags* bags_out = nullptr) const;
  // Serving fold-in: a user unknown to training whose behaviour is `history`, with
  // the behaviour features (total purchases, recency, frequency, favourite
  // category) aggregated from it exactly as fit/transform aggregate training rows
  // and normalised by the fitted statistics. `item_category` is item_category_codes().
  // The average price point is left at a newcomer's value.
  void user_from_history(const RawAttributes& attributes, std::span<const HistoryEvent> history,
                         std::span<const std::int32_t> item_category, float* dense_out,
                         std::int32_t* categorical_out, CategoricalBags* bags_out = nullptr) const;
  // The same with the items' categories and price percentiles of the training
  // behaviour (the average price point then follows the history too).
  void user_from_history(const RawAttributes& attributes, std::span<const HistoryEvent> history,
                         const TrainingBehaviour& training, float* dense_out, std::int32_t* categorical_out,
                         CategoricalBags* bags_out = nullptr) const;

  // The training-period aggregates serving folds new events into, from the rows
  // fit/transform read (split.train up to the fitted cut). One process's data:
  // a user shard of a sharded run has only its own users' rows.
  TrainingBehaviour training_behaviour(const Dataset& dataset, const Split& split) const;
  // Serving fold-in for a user of the training data: overwrites the behaviour
  // columns of the user's feature row (`dense_row`: user_dense_dim() values,
  // `categorical_row`: one code per user categorical field; the attribute columns
  // are left as they are) with the behaviour of their training rows plus `online`,
  // exactly as transform() computes it for the combined history. Online events after
  // the cut count like any other (their recency is that of an event at the cut).
  void fold_in_user_behaviour(const TrainingBehaviour& training, std::uint32_t user,
                              std::span<const HistoryEvent> online, float* dense_row,
                              std::int32_t* categorical_row) const;

  // Each item's code in the fitted category vocabulary (-1: none), read from the
  // item feature table (one-hot "<column>=<value>" or the embedded code); an item
  // of several categories takes its first in vocabulary order.
  std::vector<std::int32_t> item_category_codes(const EntityFeatures& items) const;

  // feature_stats.json round trip.
  nlohmann::json to_json() const;
  static FeatureBuilder from_json(const nlohmann::json& stats);

  std::size_t user_dense_dim() const;
  std::size_t item_dense_dim() const;
  std::vector<std::int32_t> user_categorical_cardinality() const;
  std::vector<std::int32_t> item_categorical_cardinality() const;
  // Which categorical fields are multi-valued bags (EntityFeatures::bag_offsets).
  std::vector<bool> user_bag_fields() const;
  std::vector<bool> item_bag_fields() const;

 private:
  // stats_ parsed once (vocabularies, normalisers): serving's per-request paths
  // (new users, fold-in) must not re-read the JSON. Set by fit and from_json.
  struct Fitted;
  std::shared_ptr<const Fitted> fitted() const;

  nlohmann::json stats_;  // everything the transform needs, exactly what is saved
  std::shared_ptr<const Fitted> fitted_;
};

}  // namespace hybridrec
