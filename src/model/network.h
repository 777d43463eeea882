#pragma once
// The neural models of the specification with explicit forward and backward
// passes (no autograd): NeuralCollaborativeFiltering ("ncf") and the hybrid
// network ("hybrid"). Parameters carry the PyTorch state_dict names of the
// classes in python/hybridrec/models.py, so files load into PyTorch directly.
//
// Conventions shared with PyTorch:
//  - nn.Linear weight is [out, in]; nn.Embedding weight is [rows, dim].
//  - The MLP is hidden_layers Linear+ReLU blocks, Dropout after every hidden block
//    but the last, then Linear(h_last, 1): for [128,64,32] the Sequential indices
//    are mlp.0, mlp.3, mlp.6, mlp.8 exactly as in the specification.
//  - The network outputs a logit; predictions are sigmoid(logit) in [0, 1].
//  - hybrid: user_embedding/item_embedding have num_users+1 / num_items+1 rows; the
//    last row is the "unknown" vector used for entities unseen in training.
//  - model.gmf_dim > 0 adds NeuMF's GMF branch: mf_user_embedding/mf_item_embedding
//    (same rows as the id tables), whose product joins h_L in the output Linear.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data/features.h"
#include "model/model_config.h"
#include "model/row_gradient.h"
#include "model/tensor.h"

namespace hybridrec {

enum class Loss { MSE, BCE, BPR };
Loss parse_loss(const std::string& name);  // MSELoss|mse, BCELoss|bce, BPRLoss|bpr

struct OptimizerConfig {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 1e-5f;  // L2 added to the gradient, as torch.optim.Adam
  // true: lazy row-wise Adam, only embedding rows present in the batch are updated
  // (their moments and weight decay too). false: dense Adam over every row every
  // step, bit-for-bit the behaviour of torch.optim.Adam.
  bool lazy_embeddings = true;
};

// A training batch of n samples.
struct Batch {
  std::vector<std::uint32_t> users, items;
  std::vector<float> labels;   // 1 for a positive, 0 for a sampled negative (MSE, BCE)
  std::vector<float> weights;  // per-sample loss weight; empty means all 1
  // BPR only: samples come in groups of group_size = 1 + negatives per positive,
  // the positive first; the loss is mean over pairs of -log sigmoid(s_pos - s_neg).
  int group_size = 0;
  std::size_t size() const { return users.size(); }
};

// The gradients of the last compute_gradients, in place: dense tensors whole, and
// embedding tables as their touched rows. Data-parallel training sums them over
// processes and writes the sums back before apply_gradients.
struct GradientRefs {
  std::vector<std::span<float>> dense;    // one per dense parameter, in parameter order
  std::vector<RowGradient*> embeddings;   // one per embedding table, in parameter order:
                                          // the id tables (user, item) first
};

// One id embedding table (side 0 = users, 1 = items) with its lazy-Adam state, for
// row-sharded training (dist/sharded_embeddings.h). exp_avg/exp_avg_sq/step are
// null for a working table, which holds values only.
struct IdTableView {
  float* value = nullptr;
  float* exp_avg = nullptr;
  float* exp_avg_sq = nullptr;
  float* step = nullptr;  // one counter per row
  std::size_t rows = 0, dim = 0;
};

class Network {
 public:
  // features must be non-null for "hybrid" (its dense and categorical dims fix the
  // layer sizes and are looked up by user/item index); ignored for "ncf".
  // Initialisation follows PyTorch's defaults (Embedding N(0,1), Linear U(-1/sqrt(in), 1/sqrt(in)))
  // drawn from `seed`.
  static std::unique_ptr<Network> create(const ModelConfig& config, std::size_t num_users, std::size_t num_items,
                                         const FeatureSet* features, std::uint64_t seed);
  virtual ~Network() = default;

  virtual const ModelConfig& config() const = 0;
  virtual std::size_t num_users() const = 0;
  virtual std::size_t num_items() const = 0;

  // Optimiser and threads (the same seed and thread count give bit-identical results).
  virtual void set_optimizer(const OptimizerConfig& config) = 0;
  virtual void set_learning_rate(float lr) = 0;
  virtual float learning_rate() const = 0;
  virtual void set_threads(int threads) = 0;

  // One step: forward with dropout (masks drawn from dropout_seed), weighted mean
  // loss, backward, Adam update. Returns the loss before the update.
  virtual float train_step(const Batch& batch, Loss loss, std::uint64_t dropout_seed) = 0;
  // train_step in two halves for data-parallel training: compute_gradients is the
  // forward and backward pass (gradients kept, parameters unchanged); gradients()
  // exposes them for an exchange; apply_gradients is the Adam update.
  virtual float compute_gradients(const Batch& batch, Loss loss, std::uint64_t dropout_seed) = 0;
  virtual GradientRefs gradients() = 0;
  virtual void apply_gradients() = 0;

  // sigmoid(logit) for each (users[i], items[i]), dropout off.
  virtual void predict(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                       float* out) const = 0;
  // sigmoid(logit) of every item for each user; out is users.size() x num_items().
  // Uses the split first layer: the user part and the item part of the first fused
  // Linear are computed once each, so a pair costs only the rest of the MLP.
  virtual void score_all(std::span<const std::uint32_t> users, float* out) const = 0;

  // Cold start (hybrid): marks which users/items had training data; the unknown
  // rows are set to the mean of the seen rows, and predict/score_all route unseen
  // ids to them. ncf ignores this (cold users go to the popularity fallback).
  virtual void set_seen(const std::vector<bool>& users_seen, const std::vector<bool>& items_seen) = 0;
  virtual bool serves_cold_users() const = 0;
  // Hybrid serving for a user unknown to the id map: score items from features only.
  // user_bags: every code of the bag fields (FeatureBuilder::user_from_attributes);
  // without it a bag field uses its one code in user_categorical.
  virtual void score_new_user(const float* user_dense, const std::int32_t* user_categorical, float* out_all_items,
                              const CategoricalBags* user_bags = nullptr) const = 0;
  // Hybrid serving's behaviour fold-in: a user of the id map scored from a given
  // feature row (their id embedding, routed as in score_all, kept). With the
  // user's own saved row it gives score_all's scores.
  virtual void score_user_with_features(std::uint32_t user, const float* user_dense,
                                        const std::int32_t* user_categorical, float* out_all_items,
                                        const CategoricalBags* user_bags = nullptr) const = 0;

  // Serving's candidate stage (src/serve): the two halves of the split first
  // layer. Item parts are W1 applied to each item's half of x0, [items, h1] (the
  // cache score_all uses); a user part is W1 applied to the user's half plus the
  // bias, h1 floats; score_items_from_user_part scores only `items` from them,
  // exactly as score_all would. With the GMF branch (model.gmf_dim = G > 0) item
  // parts gain the item's GMF row and user parts the user's GMF factor times the
  // output weights (G more columns each): the GMF logit is their inner product.
  virtual RowMatrix first_layer_item_parts() const = 0;
  virtual std::vector<float> first_layer_user_part(std::uint32_t user) const = 0;
  virtual void score_items_from_user_part(const float* user_part, std::span<const std::uint32_t> items,
                                          float* out) const = 0;

  // Parameters by PyTorch state_dict name (copies), and back. While an id table is
  // a working table (sharded training) state_dict leaves it out.
  virtual std::vector<NamedTensor> state_dict() const = 0;
  virtual void load_state_dict(const std::vector<NamedTensor>& tensors) = 0;  // throws Error on missing/mis-shaped
  // Adam moments and step counters, named "<param>.exp_avg", "<param>.exp_avg_sq",
  // "<param>.step" (per row for lazy embeddings), for checkpoints.
  virtual std::vector<NamedTensor> optimizer_state() const = 0;
  virtual void load_optimizer_state(const std::vector<NamedTensor>& tensors) = 0;

  // Gradients of the last train_step (before the update), by parameter name; for
  // the PyTorch parity tests and the finite-difference check.
  virtual std::vector<NamedTensor> last_gradients() const = 0;
  // Mean loss without updating or dropout; for finite-difference checks.
  virtual float evaluate_loss(const Batch& batch, Loss loss) const = 0;

  // Row-sharded id embeddings (--shard-embeddings). Normally both id tables are
  // full. use_working_rows swaps one for a compact working table of just the given
  // global rows (sorted, distinct; the caller fills the values through id_table):
  // training then looks rows up by their global id, and its row gradients are
  // indexed by position in that list. Nothing else works on a working table
  // (scoring, loading, optimizer state: they throw); use_full_table brings the full table back,
  // zeroed, for the caller to fill with values and optimizer state.
  virtual std::size_t id_table_rows(int side) const = 0;  // of the full table, unknown row included
  virtual void use_working_rows(int side, const std::vector<std::uint32_t>& sorted_rows) = 0;
  virtual void use_full_table(int side) = 0;
  virtual bool has_full_id_tables() const = 0;
  virtual IdTableView id_table(int side) = 0;
  virtual const OptimizerConfig& optimizer() const = 0;
  // Bytes of every parameter and its optimizer state held now (values, moments,
  // step counters, dense gradients), and the id tables' share of them.
  virtual std::size_t parameter_bytes() const = 0;
  virtual std::size_t id_table_bytes() const = 0;

  // Forward FLOPs per sample (multiply-adds x2), for the benchmark's peak ratio.
  virtual double flops_per_sample() const = 0;
};

}  // namespace hybridrec
