#pragma once
// The neural families (ncf, hybrid; neumf adds a GMF branch to the ncf layout):
// a Recommender that owns its Network. Training goes through train/Trainer
// (checkpoints, resume, MPI data parallelism, validation, early stopping), so the
// family is SgdTrainable: the pipeline (train/pipeline.h) calls create_network,
// trains network(), then marks the users and items that had training data
// (Network::set_seen). fit() refuses with a message saying so: one training
// path, not two.
//
// Abilities: ItemVectors (id item embeddings for MMR; the item parts of the split
// first layer and the linearised user query for the candidate stage) and, for
// hybrid, ContentScoring (a new user scored from attributes alone) and
// FeatureFoldIn (a trained user scored with recomputed behaviour features).
// Users without training history that this family cannot rank (ncf) are routed
// to popularity by model/routing.h, not here.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/abilities.h"
#include "model/model_config.h"
#include "model/network.h"
#include "model/recommender.h"

namespace hybridrec {

class NeuralRecommender final : public Recommender,
                                public SgdTrainable,
                                public ContentScoring,
                                public FeatureFoldIn,
                                public ItemVectors {
 public:
  // family: the table's name (ncf, hybrid, neumf); layout: the network layout
  // (ModelConfig::type: "hybrid" with content branches, "ncf" without), given by
  // the family's table row. Settings from config["model"]; throws ConfigError for
  // a bad one.
  NeuralRecommender(std::string family, const std::string& layout, const nlohmann::json& config);

  std::string type() const override { return family_; }
  void fit(const TrainingContext& context) override;  // throws: see the header comment
  std::size_t num_items() const override;
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  void score_items(std::uint32_t user, std::span<const std::uint32_t> items, float* out) const override;
  bool serves_cold_users() const override;
  // model.safetensors with the PyTorch state_dict names of python/hybridrec/models.py.
  void save(const std::filesystem::path& dir) const override;
  // Needs context.features for hybrid and context.user_items (which users and
  // items had training data: their rows are trained, the rest use the unknown rows).
  void load(const std::filesystem::path& dir, const LoadContext& context) override;

  const ContentScoring* content_scoring() const override;
  // hybrid only: ncf and neumf have no features to fold a history into.
  const FeatureFoldIn* feature_fold_in() const override;
  const ItemVectors* item_vectors() const override { return this; }
  SgdTrainable* sgd_trainable() override { return this; }
  void set_threads(int threads) override;

  // SgdTrainable
  void create_network(const TrainingContext& context) override;
  Network& network() override;
  const Network& network() const override;

  // ContentScoring
  void score_new_user(const float* user_dense, const std::int32_t* user_categorical, float* out_all_items,
                      const CategoricalBags* user_bags = nullptr) const override;

  // FeatureFoldIn
  void score_with_user_features(std::uint32_t user, const float* user_dense, const std::int32_t* user_categorical,
                                float* out_all_items, const CategoricalBags* user_bags = nullptr) const override;

  // ItemVectors
  RowMatrix item_embeddings() const override;
  RowMatrix candidate_item_vectors() const override;
  std::vector<float> candidate_query(std::uint32_t user,
                                     std::span<const std::uint32_t> reference_items) const override;

  const ModelConfig& model_config() const { return config_; }

 private:
  // The MLP after the first layer, for the candidate query's linearisation; read
  // once from the parameters after training or loading.
  struct Linearisation;
  std::shared_ptr<const Linearisation> linearisation() const;
  // The layout with content branches: it needs features and scores new users.
  bool content_branch() const { return config_.type == "hybrid"; }

  std::string family_;
  ModelConfig config_;
  std::unique_ptr<Network> network_;
  mutable std::mutex linearisation_mutex_;
  mutable std::shared_ptr<const Linearisation> linearisation_;
};

}  // namespace hybridrec
