#pragma once
// The one implementation behind Network::create for both "ncf" and "hybrid": id
// embeddings (+ for hybrid, a content branch per side: dense features and
// categorical feature embeddings -> Linear -> ReLU), concatenated and fed to the
// fusion MLP. NCF is the hybrid network without content branches and without the
// unknown rows, so the two share every line of forward, backward and scoring.
//
// Optional GMF branch (model.gmf_dim > 0; NeuMF, He et al. 2017): a second pair of
// id tables (mf_user_embedding, mf_item_embedding) whose element-wise product g is
// concatenated with the last hidden layer: logit = w_h . h_L + w_g . g + b. The
// GMF tables route like the id tables (unknown rows, id dropout). In score_all
// the GMF term is one GEMV per user and item block: q_i . (p_u (.) w_g).
//
// Speed: a batch is split into one contiguous slice of rows per thread; each
// thread runs forward/backward over its slice with Eigen GEMMs on preallocated
// row-major buffers and writes its own weight gradients, which are then summed in
// thread order. Embedding gradients are summed per row in sample order. So a fixed
// thread count gives bit-identical results, and different counts agree to rounding.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <mutex>
#include <vector>

#include <Eigen/Core>

#include "model/adam.h"
#include "model/network.h"
#include "model/row_gradient.h"

namespace hybridrec {

// nn.EmbeddingBag(mode="mean") of one bag: rows `codes[0..count)` of `table` (dim
// columns) summed in bag order, then scaled by 1/count, into out.
void mean_pool_rows(const float* table, const std::int32_t* codes, std::size_t count, std::size_t dim, float* out);

class FusionNetwork final : public Network {
 public:
  FusionNetwork(const ModelConfig& config, std::size_t num_users, std::size_t num_items, const FeatureSet* features,
                std::uint64_t seed);

  const ModelConfig& config() const override { return config_; }
  std::size_t num_users() const override { return num_entities_[0]; }
  std::size_t num_items() const override { return num_entities_[1]; }

  void set_optimizer(const OptimizerConfig& config) override { optimizer_ = config; }
  void set_learning_rate(float lr) override { optimizer_.learning_rate = lr; }
  float learning_rate() const override { return optimizer_.learning_rate; }
  void set_threads(int threads) override { threads_ = threads < 1 ? 1 : threads; }

  float train_step(const Batch& batch, Loss loss, std::uint64_t dropout_seed) override;
  float compute_gradients(const Batch& batch, Loss loss, std::uint64_t dropout_seed) override;
  GradientRefs gradients() override;
  void apply_gradients() override;
  void predict(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items, float* out) const override;
  void score_all(std::span<const std::uint32_t> users, float* out) const override;

  void set_seen(const std::vector<bool>& users_seen, const std::vector<bool>& items_seen) override;
  bool serves_cold_users() const override { return hybrid_; }
  void score_new_user(const float* user_dense, const std::int32_t* user_categorical, float* out_all_items,
                      const CategoricalBags* user_bags = nullptr) const override;
  void score_user_with_features(std::uint32_t user, const float* user_dense, const std::int32_t* user_categorical,
                                float* out_all_items, const CategoricalBags* user_bags = nullptr) const override;

  RowMatrix first_layer_item_parts() const override;
  std::vector<float> first_layer_user_part(std::uint32_t user) const override;
  void score_items_from_user_part(const float* user_part, std::span<const std::uint32_t> items,
                                  float* out) const override;

  std::vector<NamedTensor> state_dict() const override;
  void load_state_dict(const std::vector<NamedTensor>& tensors) override;
  std::vector<NamedTensor> optimizer_state() const override;
  void load_optimizer_state(const std::vector<NamedTensor>& tensors) override;
  std::vector<NamedTensor> last_gradients() const override;
  float evaluate_loss(const Batch& batch, Loss loss) const override;
  double flops_per_sample() const override;

  std::size_t id_table_rows(int side) const override { return num_entities_[side] + (hybrid_ ? 1 : 0); }
  void use_working_rows(int side, const std::vector<std::uint32_t>& sorted_rows) override;
  void use_full_table(int side) override;
  bool has_full_id_tables() const override { return !working_[0] && !working_[1]; }
  IdTableView id_table(int side) override;
  const OptimizerConfig& optimizer() const override { return optimizer_; }
  std::size_t parameter_bytes() const override;
  std::size_t id_table_bytes() const override;

  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Every buffer Eigen reads is aligned to the widest vector: Eigen's GEMV peels
  // differently for different alignments, which would change the summation order
  // (and so the last bits) between two otherwise identical networks.
  using Floats = std::vector<float, Eigen::aligned_allocator<float>>;

 private:
  // One learnable tensor with its Adam state. Embedding tables get sparse row
  // gradients and one step counter per row (lazy Adam); other tensors one counter.
  struct Parameter {
    std::string name;
    std::vector<std::int64_t> shape;
    Floats value, exp_avg, exp_avg_sq, grad;  // grad: dense tensors only
    Floats step;                               // per row (embedding) or one
    bool embedding = false;
    std::size_t rows() const { return static_cast<std::size_t>(shape[0]); }
    std::size_t cols() const { return shape.size() > 1 ? static_cast<std::size_t>(shape[1]) : 1; }
  };
  // The content branch of one side (0 = users, 1 = items); hybrid only.
  struct ContentSide {
    RowMat dense;                     // [entities, dense_dim], copied from the FeatureSet
    std::vector<std::int32_t> codes;  // [entities, fields] categorical codes
    // Multi-valued fields: nn.EmbeddingBag(mode="mean") over every code of the
    // entity (CSR per field, rows as `codes`); empty offsets for a single-valued field.
    std::vector<std::vector<std::uint32_t>> bag_offsets;
    std::vector<std::vector<std::int32_t>> bag_codes;
    bool is_bag(std::size_t field) const { return !bag_offsets[field].empty(); }
    std::vector<std::int32_t> cardinality;
    std::size_t dense_dim = 0, input_dim = 0;  // input = dense + fields * feature_embedding_dim
    int weight = -1, bias = -1;                // parameter indices
    std::vector<int> field_embeddings;         // parameter index per categorical field
  };
  // Activations and their gradients for up to `capacity` samples; a thread owns a
  // contiguous slice of rows.
  struct Buffers {
    std::size_t capacity = 0;
    std::array<RowMat, 2> content_in, d_content_pre, d_content_fields;
    RowMat x0, d_x0;                 // fused MLP input: [user emb | item emb | user content | item content]
    std::array<RowMat, 2> gmf_in, d_gmf;  // GMF branch: looked-up rows per side and their gradients
    RowMat gmf;                           // their element-wise product
    std::vector<RowMat> hidden, d_hidden;
    Floats logit, d_logit;
  };
  // Which embedding/feature rows a slice of samples uses.
  struct Lookup {
    const std::uint32_t* embedding_row[2];  // id embedding rows (routed or not)
    const std::uint32_t* feature_row[2];    // feature rows (always the entity itself)
  };
  struct ItemCache;

  int add_parameter(const std::string& name, std::vector<std::int64_t> shape, bool embedding);
  void initialise(std::uint64_t seed);
  void reserve(Buffers& b, std::size_t n, bool with_gradients) const;
  void fill_content_input(int side, const std::uint32_t* feature_rows, std::size_t r0, std::size_t r1,
                          Buffers& b) const;
  void content_forward(int side, std::size_t r0, std::size_t r1, Buffers& b) const;
  void embed(int side, const std::uint32_t* rows, std::size_t r0, std::size_t r1, Buffers& b) const;
  // GMF branch: gmf_in rows from the GMF tables and their product into b.gmf.
  void gmf_forward(const Lookup& lookup, std::size_t r0, std::size_t r1, Buffers& b) const;
  // Hidden layers and output from x0 rows [r0, r1); dropout when mask != nullptr.
  void mlp_forward(std::size_t r0, std::size_t r1, Buffers& b, const struct DropoutMask* mask) const;
  void forward(const Lookup& lookup, std::size_t r0, std::size_t r1, Buffers& b,
               const struct DropoutMask* mask) const;
  // Weight gradients of this slice into grads (indexed by parameter), d_x0 and
  // d_content_fields rows for the embedding gradients.
  void backward(std::size_t r0, std::size_t r1, Buffers& b, float dropout_scale,
                std::vector<Floats>& grads) const;
  void accumulate_embedding_gradients(const Lookup& lookup, std::size_t n);
  // The batch's lookup; with model.id_dropout_rate > 0 (hybrid) some samples'
  // id embedding rows are routed to the unknown rows and, when the features came
  // with cold twins, their feature rows to the twin (a simulated new entity).
  Lookup training_lookup(const Batch& batch, std::uint64_t dropout_seed);
  void adam_step();
  void check_ids(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items) const;
  // True for parameter `index` when it is an id table held as a working table.
  bool is_working_table(std::size_t index) const {
    return (static_cast<int>(index) == id_embedding_[0] && working_[0]) ||
           (static_cast<int>(index) == id_embedding_[1] && working_[1]);
  }
  // Throws unless both id tables are full (scoring and saving need every row).
  void require_full_tables(const char* what) const;
  // Global id-table rows -> positions in the working table (sharded training).
  void to_working_rows(int side, std::vector<std::uint32_t>& rows) const;
  std::uint32_t route(int side, std::uint32_t id) const;
  std::shared_ptr<const ItemCache> item_cache() const;
  // Every item scored for one user from id-table row `embedding_row` and a given
  // feature row (score_new_user: the unknown row; score_user_with_features: the user's).
  void score_from_features(std::uint32_t embedding_row, const float* user_dense, const std::int32_t* user_categorical,
                           float* out_all_items, const CategoricalBags* user_bags, const char* caller) const;
  // Rest of the MLP after layer 1 for `count` items whose layer-1 pre-activation
  // is item_part rows + user_part; sigmoid scores into out. With the GMF branch,
  // user_gmf is the user's GMF query and item_gmf the items' GMF rows.
  // Sizes b's hidden layers and logits for one score_all block of items (nothing else).
  void reserve_scoring_block(Buffers& b) const;
  void score_block(const float* user_part, const float* item_part, const float* user_gmf, const float* item_gmf,
                   std::size_t count, Buffers& b, float* out) const;
  // user_gmf: one gmf_user_queries row per user (no rows without the GMF branch).
  void score_users_from_x0(const RowMat& user_x0, const RowMat& user_gmf, float* out) const;
  // p_u (.) w_g per (routed) user: the user's GMF factor folded with the output
  // weights, so the GMF logit of item i is q_i . row.
  RowMat gmf_user_queries(const std::uint32_t* routed_users, std::size_t n) const;
  // Runs body(r0, r1, thread) over min(threads, n) contiguous slices of [0, n);
  // returns the number of slices.
  int parallel_rows(std::size_t n, const std::function<void(std::size_t, std::size_t, int)>& body) const;

  ModelConfig config_;
  bool hybrid_ = false;
  std::array<std::size_t, 2> num_entities_{};
  std::size_t embedding_dim_ = 0, content_dim_ = 0, feature_dim_ = 0, x0_dim_ = 0;
  std::size_t gmf_dim_ = 0, last_hidden_ = 0;  // the output Linear reads [h_L (last_hidden_) | gmf (gmf_dim_)]
  std::vector<Parameter> params_;
  std::array<int, 2> id_embedding_{-1, -1};
  std::array<int, 2> gmf_embedding_{-1, -1};  // GMF branch tables; -1 when off
  std::array<ContentSide, 2> content_;
  std::vector<int> mlp_weight_, mlp_bias_;  // hidden layers then the output layer

  OptimizerConfig optimizer_;
  int threads_ = 1;
  std::array<std::vector<bool>, 2> seen_;  // empty until set_seen
  // Sharded training: the global rows a working id table holds (sorted).
  std::array<bool, 2> working_{false, false};
  std::array<std::vector<std::uint32_t>, 2> working_rows_;

  // Training state, reused between steps (no per-step allocations).
  Buffers train_buffers_;
  std::vector<std::vector<Floats>> thread_grads_;  // [thread][parameter]
  std::vector<RowGradient> row_grads_;                         // per parameter (embeddings only)
  std::vector<std::uint32_t> feature_code_rows_;
  std::array<std::vector<std::uint32_t>, 2> id_dropout_rows_;  // embedding rows after id dropout
  std::array<std::vector<std::uint32_t>, 2> id_dropout_features_;  // feature rows after id dropout
  std::array<bool, 2> cold_twins_{false, false};  // content rows [n, 2n) are the cold twins

  // Item half of the first MLP layer for score_all, rebuilt after any change.
  std::uint64_t version_ = 0;
  mutable std::mutex cache_mutex_;
  mutable std::shared_ptr<const ItemCache> cache_;
};

}  // namespace hybridrec
