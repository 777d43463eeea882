// FusionNetwork: inference. predict runs the full network per pair; score_all and
// score_new_user split the first fused Linear into a user part and an item part
// (W1 x = W1_user x_user + W1_item x_item): the item part of every catalog item is
// computed once and cached, so each (user, item) pair costs only an add, a ReLU
// and the rest of the MLP, done as GEMMs over blocks of items.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "model/fusion_network.h"

namespace hybridrec {

namespace {
using RowMat = FusionNetwork::RowMat;
using MapC = Eigen::Map<const RowMat>;
using VecC = Eigen::Map<const Eigen::VectorXf>;
using VecMap = Eigen::Map<Eigen::VectorXf>;

constexpr std::size_t kPredictChunk = 8192;  // bounds predict's buffers
constexpr std::size_t kItemBlock = 512;      // items per GEMM in score_all: activations stay in L2

inline float sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }
}  // namespace

struct FusionNetwork::ItemCache {
  std::uint64_t version = 0;
  RowMat item_part;  // [items, h1]: W1 applied to the item half of x0 (no bias)
  RowMat gmf_item;   // [items, G]: each item's (routed) GMF row; empty without the GMF branch
};

void FusionNetwork::predict(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                            float* out) const {
  check_ids(users, items);
  require_full_tables("predict");
  std::vector<std::uint32_t> routed[2];
  Buffers b;
  for (std::size_t start = 0; start < users.size(); start += kPredictChunk) {
    const std::size_t n = std::min(kPredictChunk, users.size() - start);
    for (int s = 0; s < 2; ++s) {
      const std::uint32_t* ids = (s == 0 ? users.data() : items.data()) + start;
      routed[s].resize(n);
      for (std::size_t i = 0; i < n; ++i) routed[s][i] = route(s, ids[i]);
    }
    const Lookup lookup{{routed[0].data(), routed[1].data()}, {users.data() + start, items.data() + start}};
    reserve(b, n, false);
    parallel_rows(n, [&](std::size_t r0, std::size_t r1, int) {
      forward(lookup, r0, r1, b, nullptr);
      for (std::size_t i = r0; i < r1; ++i) out[start + i] = sigmoid(b.logit[i]);
    });
  }
}

std::shared_ptr<const FusionNetwork::ItemCache> FusionNetwork::item_cache() const {
  require_full_tables("scoring");
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_ && cache_->version == version_) return cache_;
  auto cache = std::make_shared<ItemCache>();
  cache->version = version_;
  const std::size_t n = num_entities_[1];
  std::vector<std::uint32_t> ids(n), routed(n);
  for (std::size_t i = 0; i < n; ++i) {
    ids[i] = static_cast<std::uint32_t>(i);
    routed[i] = route(1, ids[i]);
  }
  Buffers b;
  reserve(b, n, false);
  const Parameter& w1 = params_[static_cast<std::size_t>(mlp_weight_[0])];
  const auto h1 = static_cast<Eigen::Index>(w1.rows());
  cache->item_part.resize(static_cast<Eigen::Index>(n), h1);
  parallel_rows(n, [&](std::size_t r0, std::size_t r1, int) {
    const auto first = static_cast<Eigen::Index>(r0), nr = static_cast<Eigen::Index>(r1 - r0);
    // x0 with the user columns zeroed: W1 x0 is then exactly the item part.
    b.x0.middleRows(first, nr).setZero();
    embed(1, routed.data(), r0, r1, b);
    if (hybrid_) {
      fill_content_input(1, ids.data(), r0, r1, b);
      content_forward(1, r0, r1, b);
      b.x0.block(first, static_cast<Eigen::Index>(2 * embedding_dim_), nr, static_cast<Eigen::Index>(content_dim_))
          .setZero();
    }
    cache->item_part.middleRows(first, nr).noalias() =
        b.x0.middleRows(first, nr) * MapC(w1.value.data(), h1, static_cast<Eigen::Index>(w1.cols())).transpose();
  });
  if (gmf_dim_ > 0) {
    const Parameter& q = params_[static_cast<std::size_t>(gmf_embedding_[1])];
    cache->gmf_item.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(gmf_dim_));
    for (std::size_t i = 0; i < n; ++i)
      cache->gmf_item.row(static_cast<Eigen::Index>(i)) =
          Eigen::Map<const Eigen::RowVectorXf>(q.value.data() + routed[i] * gmf_dim_, static_cast<Eigen::Index>(gmf_dim_));
  }
  cache_ = cache;
  return cache_;
}

void FusionNetwork::reserve_scoring_block(Buffers& b) const {
  // Exactly this network's layer widths: a thread's buffers may last served another network.
  const std::size_t L = config_.hidden_layers.size();
  if (b.hidden.size() < L) b.hidden.resize(L);
  for (std::size_t k = 0; k < L; ++k) {
    const auto cols = static_cast<Eigen::Index>(config_.hidden_layers[k]);
    if (b.hidden[k].rows() < static_cast<Eigen::Index>(kItemBlock) || b.hidden[k].cols() != cols)
      b.hidden[k].resize(static_cast<Eigen::Index>(kItemBlock), cols);
  }
  if (b.logit.size() < kItemBlock) b.logit.resize(kItemBlock);
}

void FusionNetwork::score_block(const float* user_part, const float* item_part, const float* user_gmf,
                                const float* item_gmf, std::size_t count, Buffers& b, float* out) const {
  const std::size_t L = config_.hidden_layers.size();
  const auto n = static_cast<Eigen::Index>(count);
  const auto h1 = static_cast<Eigen::Index>(config_.hidden_layers[0]);
  for (Eigen::Index i = 0; i < n; ++i) {
    float* row = b.hidden[0].row(i).data();
    const float* src = item_part + i * h1;
    for (Eigen::Index j = 0; j < h1; ++j) row[j] = std::max(src[j] + user_part[j], 0.0f);
  }
  for (std::size_t k = 1; k < L; ++k) {
    const Parameter& w = params_[static_cast<std::size_t>(mlp_weight_[k])];
    const float* bias = params_[static_cast<std::size_t>(mlp_bias_[k])].value.data();
    const auto out_dim = static_cast<Eigen::Index>(w.rows()), in_dim = static_cast<Eigen::Index>(w.cols());
    auto h = b.hidden[k].topRows(n);
    h.noalias() = b.hidden[k - 1].topRows(n) * MapC(w.value.data(), out_dim, in_dim).transpose();
    for (Eigen::Index i = 0; i < n; ++i) {
      float* row = h.row(i).data();
      for (Eigen::Index j = 0; j < out_dim; ++j) row[j] = std::max(row[j] + bias[j], 0.0f);
    }
  }
  const Parameter& w = params_[static_cast<std::size_t>(mlp_weight_[L])];
  const float bias = params_[static_cast<std::size_t>(mlp_bias_[L])].value[0];
  VecMap logit(b.logit.data(), n);
  logit.noalias() = b.hidden[L - 1].topRows(n) * VecC(w.value.data(), static_cast<Eigen::Index>(last_hidden_));
  if (gmf_dim_ > 0) {  // the GMF term: one GEMV of the items' GMF rows with the user's query
    const auto G = static_cast<Eigen::Index>(gmf_dim_);
    logit.noalias() += MapC(item_gmf, n, G) * VecC(user_gmf, G);
  }
  for (Eigen::Index i = 0; i < n; ++i) out[i] = sigmoid(logit[i] + bias);
}

FusionNetwork::RowMat FusionNetwork::gmf_user_queries(const std::uint32_t* routed_users, std::size_t n) const {
  RowMat out(static_cast<Eigen::Index>(gmf_dim_ > 0 ? n : 0), static_cast<Eigen::Index>(gmf_dim_));
  if (gmf_dim_ == 0) return out;
  const auto G = static_cast<Eigen::Index>(gmf_dim_);
  const float* p = params_[static_cast<std::size_t>(gmf_embedding_[0])].value.data();
  const VecC w_g(params_[static_cast<std::size_t>(mlp_weight_.back())].value.data() + last_hidden_, G);
  for (std::size_t u = 0; u < n; ++u)
    out.row(static_cast<Eigen::Index>(u)) =
        Eigen::Map<const Eigen::RowVectorXf>(p + routed_users[u] * gmf_dim_, G).cwiseProduct(w_g.transpose());
  return out;
}

// user_x0 rows hold the user half of x0 (item columns zero).
void FusionNetwork::score_users_from_x0(const RowMat& user_x0, const RowMat& user_gmf, float* out) const {
  const auto cache = item_cache();
  const Parameter& w1 = params_[static_cast<std::size_t>(mlp_weight_[0])];
  const float* b1 = params_[static_cast<std::size_t>(mlp_bias_[0])].value.data();
  const auto h1 = static_cast<Eigen::Index>(w1.rows());
  RowMat user_part = user_x0 * MapC(w1.value.data(), h1, static_cast<Eigen::Index>(w1.cols())).transpose();
  user_part.rowwise() += VecC(b1, h1).transpose();

  const std::size_t users = static_cast<std::size_t>(user_x0.rows()), items = num_entities_[1];
  const std::size_t blocks = (items + kItemBlock - 1) / kItemBlock;
  const auto tasks = static_cast<std::ptrdiff_t>(users * blocks);
  const int threads = static_cast<int>(std::min<std::ptrdiff_t>(threads_, std::max<std::ptrdiff_t>(tasks, 1)));
  // Always a team (of one when threads == 1) with one thread for Eigen inside:
  // otherwise Eigen splits every small product of score_block over all cores, which
  // made a 1,682-item request ~400 ms instead of < 1 ms on a busy machine (see
  // parallel_rows for the same reasoning in training).
#pragma omp parallel num_threads(threads)
  {
    omp_set_num_threads(1);
    // One block of items per thread, kept between calls: allocating (and the kernel
    // zero-filling) these ~0.5 MB afresh cost every request tens of microseconds.
    thread_local Buffers b;
    reserve_scoring_block(b);
#pragma omp for schedule(static)
    for (std::ptrdiff_t task = 0; task < tasks; ++task) {
      const std::size_t u = static_cast<std::size_t>(task) / blocks, block = static_cast<std::size_t>(task) % blocks;
      const std::size_t first = block * kItemBlock, count = std::min(kItemBlock, items - first);
      const bool gmf = gmf_dim_ > 0;
      score_block(user_part.row(static_cast<Eigen::Index>(u)).data(),
                  cache->item_part.row(static_cast<Eigen::Index>(first)).data(),
                  gmf ? user_gmf.row(static_cast<Eigen::Index>(u)).data() : nullptr,
                  gmf ? cache->gmf_item.row(static_cast<Eigen::Index>(first)).data() : nullptr, count, b,
                  out + u * items + first);
    }
  }
}

void FusionNetwork::score_all(std::span<const std::uint32_t> users, float* out) const {
  for (std::uint32_t u : users)
    if (u >= num_entities_[0])
      throw Error("user index " + std::to_string(u) + " out of range (" + std::to_string(num_entities_[0]) + " users)");
  const std::size_t n = users.size();
  if (n == 0) return;
  std::vector<std::uint32_t> routed(n);
  for (std::size_t i = 0; i < n; ++i) routed[i] = route(0, users[i]);
  Buffers b;
  reserve(b, n, false);
  b.x0.topRows(static_cast<Eigen::Index>(n)).setZero();
  embed(0, routed.data(), 0, n, b);
  if (hybrid_) {
    fill_content_input(0, users.data(), 0, n, b);
    content_forward(0, 0, n, b);
  }
  score_users_from_x0(b.x0.topRows(static_cast<Eigen::Index>(n)), gmf_user_queries(routed.data(), n), out);
}

void FusionNetwork::score_new_user(const float* user_dense, const std::int32_t* user_categorical,
                                   float* out_all_items, const CategoricalBags* user_bags) const {
  if (!hybrid_) throw Error("score_new_user: the ncf model has no content branch (use the popularity fallback)");
  score_from_features(static_cast<std::uint32_t>(num_entities_[0]), user_dense, user_categorical, out_all_items,
                      user_bags, "score_new_user");
}

void FusionNetwork::score_user_with_features(std::uint32_t user, const float* user_dense,
                                             const std::int32_t* user_categorical, float* out_all_items,
                                             const CategoricalBags* user_bags) const {
  if (!hybrid_) throw Error("score_user_with_features: the ncf model has no content branch (no features to fold in)");
  require_full_tables("score_user_with_features");
  if (user >= num_entities_[0])
    throw Error("user index " + std::to_string(user) + " out of range (" + std::to_string(num_entities_[0]) + " users)");
  score_from_features(route(0, user), user_dense, user_categorical, out_all_items, user_bags,
                      "score_user_with_features");
}

void FusionNetwork::score_from_features(std::uint32_t embedding_row, const float* user_dense,
                                        const std::int32_t* user_categorical, float* out_all_items,
                                        const CategoricalBags* user_bags, const char* caller) const {
  const ContentSide& c = content_[0];
  const std::size_t fields = c.field_embeddings.size(), F = feature_dim_;
  Buffers b;
  reserve(b, 1, false);
  b.x0.row(0).setZero();
  embed(0, &embedding_row, 0, 1, b);
  float* in = b.content_in[0].row(0).data();
  std::copy(user_dense, user_dense + c.dense_dim, in);
  for (std::size_t j = 0; j < fields; ++j) {
    // A bag field pools every code given for it; otherwise (or without bags) its one code.
    const bool bag = c.is_bag(j) && user_bags && j < user_bags->size() && !(*user_bags)[j].empty();
    const std::int32_t* codes = bag ? (*user_bags)[j].data() : &user_categorical[j];
    const std::size_t count = bag ? (*user_bags)[j].size() : 1;
    for (std::size_t k = 0; k < count; ++k)
      if (codes[k] < 0 || codes[k] >= c.cardinality[j])
        throw Error(std::string(caller) + ": categorical field " + std::to_string(j) + " code " +
                    std::to_string(codes[k]) + " outside [0, " + std::to_string(c.cardinality[j]) + ")");
    const float* table = params_[static_cast<std::size_t>(c.field_embeddings[j])].value.data();
    mean_pool_rows(table, codes, count, F, in + c.dense_dim + j * F);
  }
  content_forward(0, 0, 1, b);
  score_users_from_x0(b.x0.topRows(1), gmf_user_queries(&embedding_row, 1), out_all_items);
}

// The split first layer exposed for serving's candidate stage (src/serve/candidate_index.h):
// a candidate re-scored through score_items_from_user_part gets the score score_all gives it.
// With the GMF branch each row also carries the item's GMF row (and the user part
// the user's GMF query): the GMF logit q_i . (p_u (.) w_g) is then exactly the
// inner product of those tails.
RowMatrix FusionNetwork::first_layer_item_parts() const {
  const auto cache = item_cache();
  if (gmf_dim_ == 0) return cache->item_part;
  RowMatrix out(cache->item_part.rows(), cache->item_part.cols() + cache->gmf_item.cols());
  out << cache->item_part, cache->gmf_item;
  return out;
}

std::vector<float> FusionNetwork::first_layer_user_part(std::uint32_t user) const {
  require_full_tables("first_layer_user_part");
  if (user >= num_entities_[0])
    throw Error("user index " + std::to_string(user) + " out of range (" + std::to_string(num_entities_[0]) + " users)");
  const std::uint32_t routed = route(0, user);
  Buffers b;
  reserve(b, 1, false);
  b.x0.row(0).setZero();
  embed(0, &routed, 0, 1, b);
  if (hybrid_) {
    fill_content_input(0, &user, 0, 1, b);
    content_forward(0, 0, 1, b);
  }
  const Parameter& w1 = params_[static_cast<std::size_t>(mlp_weight_[0])];
  const float* b1 = params_[static_cast<std::size_t>(mlp_bias_[0])].value.data();
  const auto h1 = static_cast<Eigen::Index>(w1.rows());
  Eigen::RowVectorXf part =
      b.x0.row(0) * MapC(w1.value.data(), h1, static_cast<Eigen::Index>(w1.cols())).transpose();
  std::vector<float> out(static_cast<std::size_t>(h1));
  for (Eigen::Index j = 0; j < h1; ++j) out[static_cast<std::size_t>(j)] = part[j] + b1[j];
  const RowMat gmf = gmf_user_queries(&routed, 1);
  out.insert(out.end(), gmf.data(), gmf.data() + gmf.size());
  return out;
}

void FusionNetwork::score_items_from_user_part(const float* user_part, std::span<const std::uint32_t> items,
                                               float* out) const {
  const auto cache = item_cache();
  const auto h1 = cache->item_part.cols();
  RowMat gathered(static_cast<Eigen::Index>(items.size()), h1);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i] >= num_entities_[1])
      throw Error("item index " + std::to_string(items[i]) + " out of range (" + std::to_string(num_entities_[1]) +
                  " items)");
    gathered.row(static_cast<Eigen::Index>(i)) = cache->item_part.row(static_cast<Eigen::Index>(items[i]));
  }
  RowMat gathered_gmf(static_cast<Eigen::Index>(gmf_dim_ > 0 ? items.size() : 0), static_cast<Eigen::Index>(gmf_dim_));
  for (Eigen::Index i = 0; i < gathered_gmf.rows(); ++i)
    gathered_gmf.row(i) = cache->gmf_item.row(static_cast<Eigen::Index>(items[static_cast<std::size_t>(i)]));
  Buffers b;
  reserve(b, items.size(), false);
  score_block(user_part, gathered.data(), gmf_dim_ > 0 ? user_part + h1 : nullptr, gathered_gmf.data(), items.size(),
              b, out);
}

}  // namespace hybridrec
