// FusionNetwork: forward, backward and the Adam step of training.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "model/dropout_mask.h"
#include "model/fusion_network.h"
#include "model/loss.h"

namespace hybridrec {

namespace {
using RowMat = FusionNetwork::RowMat;
using MapC = Eigen::Map<const RowMat>;
using MapM = Eigen::Map<RowMat>;
using StridedC = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using VecMap = Eigen::Map<Eigen::VectorXf>;
using VecC = Eigen::Map<const Eigen::VectorXf>;

void grow(RowMat& m, std::size_t rows, std::size_t cols) {
  if (static_cast<std::size_t>(m.rows()) < rows || static_cast<std::size_t>(m.cols()) != cols)
    m.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
}
}  // namespace

void FusionNetwork::reserve(Buffers& b, std::size_t n, bool with_gradients) const {
  if (n <= b.capacity && (!with_gradients || b.d_x0.rows() >= static_cast<Eigen::Index>(n))) return;
  const std::size_t L = config_.hidden_layers.size();
  b.hidden.resize(L);
  for (std::size_t k = 0; k < L; ++k) grow(b.hidden[k], n, static_cast<std::size_t>(config_.hidden_layers[k]));
  grow(b.x0, n, x0_dim_);
  b.logit.resize(std::max(b.logit.size(), n));
  if (hybrid_)
    for (int s = 0; s < 2; ++s) grow(b.content_in[s], n, content_[s].input_dim);
  if (gmf_dim_ > 0) {
    grow(b.gmf, n, gmf_dim_);
    for (int s = 0; s < 2; ++s) grow(b.gmf_in[s], n, gmf_dim_);
  }
  if (with_gradients) {
    b.d_hidden.resize(L);
    for (std::size_t k = 0; k < L; ++k) grow(b.d_hidden[k], n, static_cast<std::size_t>(config_.hidden_layers[k]));
    grow(b.d_x0, n, x0_dim_);
    b.d_logit.resize(std::max(b.d_logit.size(), n));
    if (gmf_dim_ > 0)
      for (int s = 0; s < 2; ++s) grow(b.d_gmf[s], n, gmf_dim_);
    if (hybrid_)
      for (int s = 0; s < 2; ++s) {
        grow(b.d_content_pre[s], n, content_dim_);
        grow(b.d_content_fields[s], n, content_[s].input_dim - content_[s].dense_dim);
      }
  }
  b.capacity = std::max(b.capacity, n);
}

void FusionNetwork::embed(int side, const std::uint32_t* rows, std::size_t r0, std::size_t r1, Buffers& b) const {
  const float* table = params_[static_cast<std::size_t>(id_embedding_[side])].value.data();
  const std::size_t E = embedding_dim_, offset = static_cast<std::size_t>(side) * E;
  for (std::size_t i = r0; i < r1; ++i)
    std::memcpy(b.x0.row(static_cast<Eigen::Index>(i)).data() + offset, table + static_cast<std::size_t>(rows[i]) * E,
                E * sizeof(float));
}

void FusionNetwork::gmf_forward(const Lookup& lookup, std::size_t r0, std::size_t r1, Buffers& b) const {
  const std::size_t G = gmf_dim_;
  for (int s = 0; s < 2; ++s) {
    const float* table = params_[static_cast<std::size_t>(gmf_embedding_[s])].value.data();
    for (std::size_t i = r0; i < r1; ++i)
      std::memcpy(b.gmf_in[s].row(static_cast<Eigen::Index>(i)).data(),
                  table + static_cast<std::size_t>(lookup.embedding_row[s][i]) * G, G * sizeof(float));
  }
  const auto first = static_cast<Eigen::Index>(r0), nr = static_cast<Eigen::Index>(r1 - r0);
  b.gmf.middleRows(first, nr) = b.gmf_in[0].middleRows(first, nr).cwiseProduct(b.gmf_in[1].middleRows(first, nr));
}

void mean_pool_rows(const float* table, const std::int32_t* codes, std::size_t count, std::size_t dim, float* out) {
  // nn.EmbeddingBag(mode="mean"): the rows summed in bag order, then scaled by 1/count.
  std::memcpy(out, table + static_cast<std::size_t>(codes[0]) * dim, dim * sizeof(float));
  for (std::size_t k = 1; k < count; ++k) {
    const float* row = table + static_cast<std::size_t>(codes[k]) * dim;
    for (std::size_t d = 0; d < dim; ++d) out[d] += row[d];
  }
  if (count > 1) {
    const float scale = 1.0f / static_cast<float>(count);
    for (std::size_t d = 0; d < dim; ++d) out[d] *= scale;
  }
}

void FusionNetwork::fill_content_input(int side, const std::uint32_t* feature_rows, std::size_t r0, std::size_t r1,
                                       Buffers& b) const {
  const ContentSide& c = content_[side];
  const std::size_t fields = c.field_embeddings.size(), F = feature_dim_;
  for (std::size_t i = r0; i < r1; ++i) {
    float* row = b.content_in[side].row(static_cast<Eigen::Index>(i)).data();
    const std::size_t e = feature_rows[i];
    std::memcpy(row, c.dense.row(static_cast<Eigen::Index>(e)).data(), c.dense_dim * sizeof(float));
    for (std::size_t j = 0; j < fields; ++j) {
      const float* table = params_[static_cast<std::size_t>(c.field_embeddings[j])].value.data();
      if (c.is_bag(j)) {
        const std::uint32_t begin = c.bag_offsets[j][e], end = c.bag_offsets[j][e + 1];
        mean_pool_rows(table, c.bag_codes[j].data() + begin, end - begin, F, row + c.dense_dim + j * F);
        continue;
      }
      std::memcpy(row + c.dense_dim + j * F, table + static_cast<std::size_t>(c.codes[e * fields + j]) * F,
                  F * sizeof(float));
    }
  }
}

void FusionNetwork::content_forward(int side, std::size_t r0, std::size_t r1, Buffers& b) const {
  const ContentSide& c = content_[side];
  const auto nr = static_cast<Eigen::Index>(r1 - r0);
  const auto C = static_cast<Eigen::Index>(content_dim_);
  const Parameter& w = params_[static_cast<std::size_t>(c.weight)];
  const float* bias = params_[static_cast<std::size_t>(c.bias)].value.data();
  const auto offset = static_cast<Eigen::Index>(2 * embedding_dim_ + static_cast<std::size_t>(side) * content_dim_);
  auto out = b.x0.block(static_cast<Eigen::Index>(r0), offset, nr, C);
  out.noalias() = b.content_in[side].middleRows(static_cast<Eigen::Index>(r0), nr) *
                  MapC(w.value.data(), C, static_cast<Eigen::Index>(c.input_dim)).transpose();
  for (Eigen::Index i = 0; i < nr; ++i) {
    float* row = out.row(i).data();
    for (Eigen::Index j = 0; j < C; ++j) row[j] = std::max(row[j] + bias[j], 0.0f);
  }
}

void FusionNetwork::mlp_forward(std::size_t r0, std::size_t r1, Buffers& b, const DropoutMask* mask) const {
  const auto nr = static_cast<Eigen::Index>(r1 - r0), first = static_cast<Eigen::Index>(r0);
  const std::size_t L = config_.hidden_layers.size();
  const RowMat* in = &b.x0;
  for (std::size_t k = 0; k < L; ++k) {
    const Parameter& w = params_[static_cast<std::size_t>(mlp_weight_[k])];
    const float* bias = params_[static_cast<std::size_t>(mlp_bias_[k])].value.data();
    const auto out_dim = static_cast<Eigen::Index>(w.rows()), in_dim = static_cast<Eigen::Index>(w.cols());
    auto h = b.hidden[k].middleRows(first, nr);
    h.noalias() = in->middleRows(first, nr) * MapC(w.value.data(), out_dim, in_dim).transpose();
    const bool drop = mask && k + 1 < L;
    for (Eigen::Index i = 0; i < nr; ++i) {
      float* row = h.row(i).data();
      for (Eigen::Index j = 0; j < out_dim; ++j) row[j] = std::max(row[j] + bias[j], 0.0f);
      if (drop) mask->apply(static_cast<int>(k), r0 + static_cast<std::size_t>(i), row, static_cast<std::size_t>(out_dim));
    }
    in = &b.hidden[k];
  }
  const Parameter& w = params_[static_cast<std::size_t>(mlp_weight_[L])];
  const float bias = params_[static_cast<std::size_t>(mlp_bias_[L])].value[0];
  VecMap logit(b.logit.data() + r0, nr);
  logit.noalias() = in->middleRows(first, nr) * VecC(w.value.data(), static_cast<Eigen::Index>(last_hidden_));
  if (gmf_dim_ > 0)
    logit.noalias() += b.gmf.middleRows(first, nr) *
                       VecC(w.value.data() + last_hidden_, static_cast<Eigen::Index>(gmf_dim_));
  logit.array() += bias;
}

void FusionNetwork::forward(const Lookup& lookup, std::size_t r0, std::size_t r1, Buffers& b,
                            const DropoutMask* mask) const {
  if (r1 <= r0) return;
  for (int s = 0; s < 2; ++s) embed(s, lookup.embedding_row[s], r0, r1, b);
  if (gmf_dim_ > 0) gmf_forward(lookup, r0, r1, b);
  if (hybrid_)
    for (int s = 0; s < 2; ++s) {
      fill_content_input(s, lookup.feature_row[s], r0, r1, b);
      content_forward(s, r0, r1, b);
    }
  mlp_forward(r0, r1, b, mask);
}

void FusionNetwork::backward(std::size_t r0, std::size_t r1, Buffers& b, float dropout_scale,
                             std::vector<Floats>& grads) const {
  const auto nr = static_cast<Eigen::Index>(r1 - r0), first = static_cast<Eigen::Index>(r0);
  const std::size_t L = config_.hidden_layers.size();
  auto grad_of = [&](int p, Eigen::Index rows, Eigen::Index cols) {
    return MapM(grads[static_cast<std::size_t>(p)].data(), rows, cols);
  };
  // Output layer: logit = h_L . w_h + gmf . w_g + b (w = [w_h | w_g]).
  {
    const Parameter& w = params_[static_cast<std::size_t>(mlp_weight_[L])];
    const auto in_dim = static_cast<Eigen::Index>(last_hidden_);
    VecC dlogit(b.d_logit.data() + r0, nr);
    auto gw = grad_of(mlp_weight_[L], 1, in_dim);
    gw.noalias() = dlogit.transpose() * b.hidden[L - 1].middleRows(first, nr);
    grads[static_cast<std::size_t>(mlp_bias_[L])][0] = dlogit.sum();
    b.d_hidden[L - 1].middleRows(first, nr).noalias() = dlogit * VecC(w.value.data(), in_dim).transpose();
    if (gmf_dim_ > 0) {
      const auto G = static_cast<Eigen::Index>(gmf_dim_);
      MapM(grads[static_cast<std::size_t>(mlp_weight_[L])].data() + last_hidden_, 1, G).noalias() =
          dlogit.transpose() * b.gmf.middleRows(first, nr);
      // d gmf = dlogit w_g; the product rule gives each side the other side's row.
      const VecC w_g(w.value.data() + last_hidden_, G);
      for (Eigen::Index i = 0; i < nr; ++i) {
        const float d = dlogit[i];
        const Eigen::Index r = first + i;
        b.d_gmf[0].row(r) = d * w_g.transpose().cwiseProduct(b.gmf_in[1].row(r));
        b.d_gmf[1].row(r) = d * w_g.transpose().cwiseProduct(b.gmf_in[0].row(r));
      }
    }
  }
  for (std::size_t k = L; k-- > 0;) {
    const Parameter& w = params_[static_cast<std::size_t>(mlp_weight_[k])];
    const auto out_dim = static_cast<Eigen::Index>(w.rows()), in_dim = static_cast<Eigen::Index>(w.cols());
    auto dz = b.d_hidden[k].middleRows(first, nr);
    const auto h = b.hidden[k].middleRows(first, nr);
    // h > 0 exactly where the unit was active and kept; dropout scaled kept units.
    const float scale = k + 1 < L ? dropout_scale : 1.0f;
    for (Eigen::Index i = 0; i < nr; ++i) {
      float* d = dz.row(i).data();
      const float* a = h.row(i).data();
      for (Eigen::Index j = 0; j < out_dim; ++j) d[j] = a[j] > 0.0f ? d[j] * scale : 0.0f;
    }
    const RowMat& input = k > 0 ? b.hidden[k - 1] : b.x0;
    grad_of(mlp_weight_[k], out_dim, in_dim).noalias() = dz.transpose() * input.middleRows(first, nr);
    VecMap(grads[static_cast<std::size_t>(mlp_bias_[k])].data(), out_dim).noalias() = dz.colwise().sum().transpose();
    RowMat& d_input = k > 0 ? b.d_hidden[k - 1] : b.d_x0;
    d_input.middleRows(first, nr).noalias() = dz * MapC(w.value.data(), out_dim, in_dim);
  }
  if (!hybrid_) return;
  const auto C = static_cast<Eigen::Index>(content_dim_);
  for (int s = 0; s < 2; ++s) {
    const ContentSide& c = content_[s];
    const auto offset = static_cast<Eigen::Index>(2 * embedding_dim_ + static_cast<std::size_t>(s) * content_dim_);
    auto dpre = b.d_content_pre[s].middleRows(first, nr);
    const auto act = b.x0.block(first, offset, nr, C);
    const auto dact = b.d_x0.block(first, offset, nr, C);
    for (Eigen::Index i = 0; i < nr; ++i)
      for (Eigen::Index j = 0; j < C; ++j) dpre(i, j) = act(i, j) > 0.0f ? dact(i, j) : 0.0f;
    const auto in_dim = static_cast<Eigen::Index>(c.input_dim);
    grad_of(c.weight, C, in_dim).noalias() = dpre.transpose() * b.content_in[s].middleRows(first, nr);
    VecMap(grads[static_cast<std::size_t>(c.bias)].data(), C).noalias() = dpre.colwise().sum().transpose();
    const auto field_cols = static_cast<Eigen::Index>(c.input_dim - c.dense_dim);
    if (field_cols > 0) {
      const float* w = params_[static_cast<std::size_t>(c.weight)].value.data() + c.dense_dim;
      b.d_content_fields[s].middleRows(first, nr).noalias() =
          dpre * StridedC(w, C, field_cols, Eigen::OuterStride<>(in_dim));
    }
  }
}

FusionNetwork::Lookup FusionNetwork::training_lookup(const Batch& batch, std::uint64_t dropout_seed) {
  Lookup lookup{{batch.users.data(), batch.items.data()}, {batch.users.data(), batch.items.data()}};
  const bool id_dropout = hybrid_ && config_.id_dropout_rate > 0.0f;
  if (!id_dropout && has_full_id_tables()) return lookup;
  const DropoutMask coin{splitmix64_mix(dropout_seed ^ 0x1D0D1D0D1D0DULL), config_.id_dropout_rate};
  const std::uint32_t threshold = coin.drop_below();
  for (int s = 0; s < 2; ++s) {
    const auto side = static_cast<std::size_t>(s);
    if (!id_dropout && !working_[side]) continue;
    auto& rows = id_dropout_rows_[side];
    auto& feature_rows = id_dropout_features_[side];
    rows.assign(lookup.feature_row[s], lookup.feature_row[s] + batch.size());
    if (id_dropout && cold_twins_[side]) feature_rows = rows;
    const auto unknown = static_cast<std::uint32_t>(num_entities_[side]);
    for (std::size_t i = 0; id_dropout && i < rows.size(); ++i) {
      // A BPR group shares its user: drop the user for the whole group so the
      // pair difference compares items under one user representation.
      const std::size_t unit = (s == 0 && batch.group_size > 0) ? i / static_cast<std::size_t>(batch.group_size) : i;
      const std::uint64_t r = splitmix64_mix(coin.seed ^ splitmix64_mix((static_cast<std::uint64_t>(s) << 40) ^ unit));
      if (static_cast<std::uint32_t>(r >> 40) >= threshold) continue;
      rows[i] = unknown;
      if (cold_twins_[side]) feature_rows[i] += unknown;  // row n + e: e's cold twin
    }
    if (working_[side]) to_working_rows(s, rows);
    lookup.embedding_row[s] = rows.data();
    if (id_dropout && cold_twins_[side]) lookup.feature_row[s] = feature_rows.data();
  }
  return lookup;
}

void FusionNetwork::accumulate_embedding_gradients(const Lookup& lookup, std::size_t n) {
  const std::size_t E = embedding_dim_, F = feature_dim_;
  const std::uint32_t* const* ids = lookup.feature_row;
  Buffers& b = train_buffers_;
  for (int s = 0; s < 2; ++s) {
    RowGradient& g = row_grads_[static_cast<std::size_t>(id_embedding_[s])];
    g.begin();
    for (std::size_t i = 0; i < n; ++i)
      g.add(lookup.embedding_row[s][i], b.d_x0.row(static_cast<Eigen::Index>(i)).data() + static_cast<std::size_t>(s) * E);
    if (gmf_dim_ > 0) {
      RowGradient& mg = row_grads_[static_cast<std::size_t>(gmf_embedding_[s])];
      mg.begin();
      for (std::size_t i = 0; i < n; ++i) mg.add(lookup.embedding_row[s][i], b.d_gmf[s].row(static_cast<Eigen::Index>(i)).data());
    }
    if (!hybrid_) continue;
    const ContentSide& c = content_[s];
    const std::size_t fields = c.field_embeddings.size();
    for (std::size_t j = 0; j < fields; ++j) {
      RowGradient& fg = row_grads_[static_cast<std::size_t>(c.field_embeddings[j])];
      fg.begin();
      if (c.is_bag(j)) {  // a mean-pooled bag: each of its rows gets grad / bag size
        for (std::size_t i = 0; i < n; ++i) {
          const std::uint32_t begin = c.bag_offsets[j][ids[s][i]], end = c.bag_offsets[j][ids[s][i] + 1];
          const float* grad = b.d_content_fields[s].row(static_cast<Eigen::Index>(i)).data() + j * F;
          const float share = 1.0f / static_cast<float>(end - begin);
          for (std::uint32_t k = begin; k < end; ++k) fg.add(static_cast<std::uint32_t>(c.bag_codes[j][k]), grad, share);
        }
        continue;
      }
      for (std::size_t i = 0; i < n; ++i)
        fg.add(static_cast<std::uint32_t>(c.codes[static_cast<std::size_t>(ids[s][i]) * fields + j]),
               b.d_content_fields[s].row(static_cast<Eigen::Index>(i)).data() + j * F);
    }
  }
}

void FusionNetwork::adam_step() {
  const AdamScalars scalars = AdamScalars::from(optimizer_, optimizer_.learning_rate);
  for (std::size_t pi = 0; pi < params_.size(); ++pi) {
    Parameter& p = params_[pi];
    // A working id table (sharded training) is updated by the ranks that own its rows.
    if (is_working_table(pi)) continue;
    if (!p.embedding) {
      p.step[0] += 1.0f;
      adam_update(p.value.data(), p.grad.data(), p.exp_avg.data(), p.exp_avg_sq.data(), p.value.size(), scalars,
                  AdamStepFactors::at(scalars, p.step[0]));
      continue;
    }
    const RowGradient& g = row_grads_[pi];
    const std::size_t dim = p.cols();
    if (optimizer_.lazy_embeddings) {
      for (std::size_t k = 0; k < g.count(); ++k) {
        const std::size_t r = g.rows()[k];
        p.step[r] += 1.0f;
        adam_update(p.value.data() + r * dim, g.grad(k), p.exp_avg.data() + r * dim, p.exp_avg_sq.data() + r * dim,
                    dim, scalars, AdamStepFactors::at(scalars, p.step[r]));
      }
      continue;
    }
    // Dense Adam: every row, absent rows with a zero gradient (weight decay still
    // moves them), exactly torch.optim.Adam on a dense embedding gradient.
    const auto rows = static_cast<std::ptrdiff_t>(p.rows());
#pragma omp parallel num_threads(threads_) if (threads_ > 1)
    {
      // Rows usually share one step count: reuse the factors instead of two pow().
      float cached_step = -1.0f;
      AdamStepFactors cached{};
#pragma omp for schedule(static)
      for (std::ptrdiff_t r = 0; r < rows; ++r) {
        const float step = p.step[static_cast<std::size_t>(r)] + 1.0f;
        p.step[static_cast<std::size_t>(r)] = step;
        if (step != cached_step) {
          cached = AdamStepFactors::at(scalars, step);
          cached_step = step;
        }
        const std::int32_t slot = g.slot_of(static_cast<std::uint32_t>(r));
        const std::size_t off = static_cast<std::size_t>(r) * dim;
        adam_update(p.value.data() + off, slot >= 0 ? g.grad(static_cast<std::size_t>(slot)) : nullptr,
                    p.exp_avg.data() + off, p.exp_avg_sq.data() + off, dim, scalars, cached);
      }
    }
  }
}

float FusionNetwork::train_step(const Batch& batch, Loss loss, std::uint64_t dropout_seed) {
  const float value = compute_gradients(batch, loss, dropout_seed);
  apply_gradients();
  return value;
}

GradientRefs FusionNetwork::gradients() {
  GradientRefs refs;
  for (std::size_t p = 0; p < params_.size(); ++p) {
    if (params_[p].embedding)
      refs.embeddings.push_back(&row_grads_[p]);
    else
      refs.dense.emplace_back(params_[p].grad.data(), params_[p].grad.size());
  }
  return refs;
}

void FusionNetwork::apply_gradients() {
  adam_step();
  ++version_;
}

float FusionNetwork::compute_gradients(const Batch& batch, Loss loss, std::uint64_t dropout_seed) {
  validate_batch(batch, loss);
  check_ids(batch.users, batch.items);
  const std::size_t n = batch.size();
  Buffers& b = train_buffers_;
  reserve(b, n, true);
  if (thread_grads_.size() < static_cast<std::size_t>(threads_)) {
    thread_grads_.resize(static_cast<std::size_t>(threads_));
    for (auto& per_thread : thread_grads_) {
      per_thread.resize(params_.size());
      for (std::size_t p = 0; p < params_.size(); ++p)
        if (!params_[p].embedding) per_thread[p].resize(params_[p].value.size());
    }
  }
  DropoutMask mask{splitmix64_mix(dropout_seed), config_.dropout_rate};
  const DropoutMask* use_mask = config_.dropout_rate > 0.0f ? &mask : nullptr;
  const Lookup lookup = training_lookup(batch, dropout_seed);
  parallel_rows(n, [&](std::size_t r0, std::size_t r1, int) { forward(lookup, r0, r1, b, use_mask); });
  const double value = loss_and_gradient(loss, b.logit.data(), batch, b.d_logit.data());
  const int used = parallel_rows(n, [&](std::size_t r0, std::size_t r1, int t) {
    backward(r0, r1, b, mask.scale(), thread_grads_[static_cast<std::size_t>(t)]);
  });
  // Weight gradients summed in thread order: deterministic for a given thread count.
  for (std::size_t p = 0; p < params_.size(); ++p) {
    if (params_[p].embedding) continue;
    Floats& g = params_[p].grad;
    std::copy(thread_grads_[0][p].begin(), thread_grads_[0][p].end(), g.begin());
    for (int t = 1; t < used; ++t) {
      const float* src = thread_grads_[static_cast<std::size_t>(t)][p].data();
      for (std::size_t i = 0; i < g.size(); ++i) g[i] += src[i];
    }
  }
  accumulate_embedding_gradients(lookup, n);
  return static_cast<float>(value);
}

float FusionNetwork::evaluate_loss(const Batch& batch, Loss loss) const {
  require_full_tables("evaluate_loss");
  validate_batch(batch, loss);
  check_ids(batch.users, batch.items);
  Buffers b;
  reserve(b, batch.size(), false);
  const Lookup lookup{{batch.users.data(), batch.items.data()}, {batch.users.data(), batch.items.data()}};
  parallel_rows(batch.size(), [&](std::size_t r0, std::size_t r1, int) { forward(lookup, r0, r1, b, nullptr); });
  return static_cast<float>(loss_and_gradient(loss, b.logit.data(), batch, nullptr));
}

}  // namespace hybridrec
