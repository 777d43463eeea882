#pragma once
// Optional abilities of a model family, each a small interface of its own
// (docs/design/model-interface.md). Evaluation and serving ask a Recommender for
// them (content_scoring(), item_vectors(), item_similarity(), sgd_trainable())
// and fall back when a family has none: popularity for new users, no MMR
// vectors, exact scoring instead of the candidate stage.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "data/features.h"
#include "model/recommender.h"

namespace hybridrec {

class Network;

// The content path: every item scored for a user unknown to training, from that
// user's feature row alone (FeatureBuilder::user_from_attributes).
class ContentScoring {
 public:
  virtual ~ContentScoring() = default;
  // user_bags: every code of the multi-valued fields (FeatureBuilder::user_from_attributes).
  virtual void score_new_user(const float* user_dense, const std::int32_t* user_categorical, float* out_all_items,
                              const CategoricalBags* user_bags = nullptr) const = 0;
};

// Item vectors: what MMR measures similarity with, and what the approximate
// candidate stage searches (maximum inner product) before exact re-scoring.
class ItemVectors {
 public:
  virtual ~ItemVectors() = default;
  // One row per catalogue item (no "unknown" row); MMR uses the cosine of rows.
  virtual RowMatrix item_embeddings() const = 0;
  // The candidate stage: an inner-product index over these rows, queried with
  // candidate_query(user, reference items), finds candidates that score_items
  // re-scores exactly. For a dot-product family these are its item factors (bias
  // folded in as an extra column) and the user's factor; for the network, the
  // item parts of the split first layer and the linearised user query.
  virtual RowMatrix candidate_item_vectors() const = 0;
  virtual std::vector<float> candidate_query(std::uint32_t user,
                                             std::span<const std::uint32_t> reference_items) const = 0;
};

// A learned item-item similarity (ease, itemknn), for MMR where a family has no
// item vectors. Symmetric; larger is more similar.
class ItemSimilarity {
 public:
  virtual ~ItemSimilarity() = default;
  virtual float item_similarity(std::uint32_t a, std::uint32_t b) const = 0;
};

// One interaction of a history the model was not trained on (serving's online
// history, issue #19): a catalogue item index and its weight (data.event_weights
// of the event's type, the weight a training positive of that type gets).
struct HistoryEntry {
  std::uint32_t item = 0;
  float weight = 1.0f;
};

// Fold-in: every item scored for a user from a history the model was not trained
// on, without retraining - the user's training row (when `trained_user` is a user
// index of the model) plus `online` entries; a pair in both keeps the larger
// weight, as the training matrix keeps a pair's strongest event. ease and itemknn
// score the history vector directly (X_u B, X_u W); ials solves the user's factor
// by the exact ALS user step with the item factors fixed. Families without it
// (the networks, mf, baselines) are routed to FeatureFoldIn, their content path or
// popularity.
class HistoryFoldIn {
 public:
  virtual ~HistoryFoldIn() = default;
  virtual void score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                               float* out_all_items) const = 0;
};

// Behaviour fold-in (the networks with a content branch: hybrid): every item scored
// for a user of the training data with their id embedding kept and their feature
// row replaced - serving recomputes the behaviour columns (purchases, favourite
// category, recency, frequency) from the training plus online history
// (FeatureBuilder::fold_in_user_behaviour). The user's own saved row gives
// score_all's scores. Item interactions reach the model only through those
// features: the id embedding does not move.
class FeatureFoldIn {
 public:
  virtual ~FeatureFoldIn() = default;
  virtual void score_with_user_features(std::uint32_t user, const float* user_dense,
                                        const std::int32_t* user_categorical, float* out_all_items,
                                        const CategoricalBags* user_bags = nullptr) const = 0;
};

// Trained step by step by train/Trainer (checkpoints, resume, MPI data
// parallelism) instead of by fit(): the pipeline calls create_network, trains the
// network, then the family scores with it.
class SgdTrainable {
 public:
  virtual ~SgdTrainable() = default;
  // Builds the untrained network for the context's dataset and features.
  virtual void create_network(const TrainingContext& context) = 0;
  virtual Network& network() = 0;
  virtual const Network& network() const = 0;
};

}  // namespace hybridrec
