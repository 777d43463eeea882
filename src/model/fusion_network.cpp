// FusionNetwork: construction, initialisation, parameters and optimiser state.
#include "model/fusion_network.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "core/error.h"

namespace hybridrec {

namespace {
constexpr float kGmfInitStd = 0.01f;  // python/hybridrec/models.py: GMF_INIT_STD

// The bag fields of one side's features (and of their cold twins, rows [n, 2n))
// into the content side, with every code checked against its field's cardinality.
void copy_bags(const EntityFeatures& f, const EntityFeatures& cold, std::size_t n, std::size_t blocks,
               const std::string& side, const std::vector<std::int32_t>& cardinality,
               std::vector<std::vector<std::uint32_t>>& all_offsets, std::vector<std::vector<std::int32_t>>& all_codes) {
  const std::size_t fields = f.num_categorical();
  all_offsets.assign(fields, {});
  all_codes.assign(fields, {});
  for (std::size_t j = 0; j < fields; ++j) {
    if (!f.is_bag(j)) continue;
    auto& offsets = all_offsets[j];
    auto& codes = all_codes[j];
    offsets.push_back(0);
    for (std::size_t block = 0; block < blocks; ++block) {
      const EntityFeatures& from = block == 0 ? f : cold;
      if (!from.is_bag(j) || from.bag_offsets[j].size() < n + 1)
        throw Error(side + " feature '" + f.categorical_names[j] + "': bag offsets missing or too short");
      for (std::size_t e = 0; e < n; ++e) {
        const std::uint32_t begin = from.bag_offsets[j][e], end = from.bag_offsets[j][e + 1];
        if (end <= begin || end > from.bag_codes[j].size())
          throw Error(side + " feature '" + f.categorical_names[j] + "': entity " + std::to_string(e) +
                      " has an empty or out-of-range bag");
        for (std::uint32_t k = begin; k < end; ++k) {
          const std::int32_t code = from.bag_codes[j][k];
          if (code < 0 || code >= cardinality[j])
            throw Error(side + " feature '" + f.categorical_names[j] + "': code " + std::to_string(code) +
                        " of entity " + std::to_string(e) + " outside [0, " + std::to_string(cardinality[j]) + ")");
          codes.push_back(code);
        }
        offsets.push_back(static_cast<std::uint32_t>(codes.size()));
      }
    }
  }
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
}  // namespace

FusionNetwork::FusionNetwork(const ModelConfig& config, std::size_t num_users, std::size_t num_items,
                             const FeatureSet* features, std::uint64_t seed)
    : config_(config), hybrid_(config.type == "hybrid"), num_entities_{num_users, num_items} {
  if (config.type != "hybrid" && config.type != "ncf")
    throw ConfigError("model.type '" + config.type + "' is not a neural network (expected hybrid or ncf)");
  if (num_users == 0 || num_items == 0) throw Error("network needs at least one user and one item");
  if (config.embedding_dim <= 0 || config.hidden_layers.empty())
    throw ConfigError("model.embedding_dim and model.hidden_layers must be positive/non-empty");
  for (int h : config.hidden_layers)
    if (h <= 0) throw ConfigError("model.hidden_layers must be positive");
  if (config.dropout_rate < 0.0f || config.dropout_rate >= 1.0f) throw ConfigError("model.dropout_rate must be in [0, 1)");
  embedding_dim_ = static_cast<std::size_t>(config.embedding_dim);
  const std::int64_t E = config.embedding_dim;
  // The hybrid tables carry one extra "unknown" row for entities unseen in training.
  const std::int64_t extra = hybrid_ ? 1 : 0;
  id_embedding_[0] = add_parameter("user_embedding.weight", {static_cast<std::int64_t>(num_users) + extra, E}, true);
  id_embedding_[1] = add_parameter("item_embedding.weight", {static_cast<std::int64_t>(num_items) + extra, E}, true);
  x0_dim_ = 2 * embedding_dim_;
  if (config.gmf_dim < 0) throw ConfigError("model.gmf_dim must be 0 (off) or positive");
  gmf_dim_ = static_cast<std::size_t>(config.gmf_dim);
  if (gmf_dim_ > 0) {  // NeuMF's GMF tables: the same rows as the id tables (unknown row included)
    const std::int64_t G = config.gmf_dim;
    gmf_embedding_[0] = add_parameter("mf_user_embedding.weight", {static_cast<std::int64_t>(num_users) + extra, G}, true);
    gmf_embedding_[1] = add_parameter("mf_item_embedding.weight", {static_cast<std::int64_t>(num_items) + extra, G}, true);
  }

  if (hybrid_) {
    if (!features) throw Error("hybrid network needs features (got none)");
    if (config.content_dim <= 0 || config.feature_embedding_dim <= 0)
      throw ConfigError("model.content_dim and model.feature_embedding_dim must be positive");
    content_dim_ = static_cast<std::size_t>(config.content_dim);
    feature_dim_ = static_cast<std::size_t>(config.feature_embedding_dim);
    const EntityFeatures* sides[2] = {&features->users, &features->items};
    const char* side_name[2] = {"user", "item"};
    // Feature embeddings first, then the content Linears: the PyTorch module order.
    for (int s = 0; s < 2; ++s) {
      const EntityFeatures& f = *sides[s];
      ContentSide& c = content_[s];
      const std::size_t n = num_entities_[s];
      if (f.size() < n)
        throw Error(std::string(side_name[s]) + " features have " + std::to_string(f.size()) + " rows, need " +
                    std::to_string(n));
      const std::size_t fields = f.num_categorical();
      if (f.categorical_cardinality.size() != fields || f.categorical.size() != fields)
        throw Error(std::string(side_name[s]) + " features: categorical names, cardinalities and codes disagree");
      // With id dropout and cold twins, rows [n, 2n) hold each entity's cold twin:
      // training_lookup sends a dropped-out sample there (see FeatureSet).
      const EntityFeatures* cold = s == 0 ? &features->cold_users : &features->cold_items;
      cold_twins_[s] = config.uses_id_dropout() && cold->size() >= n;
      const std::size_t blocks = cold_twins_[s] ? 2 : 1;
      c.dense_dim = f.dense_dim();
      c.cardinality = f.categorical_cardinality;
      c.dense.resize(static_cast<Eigen::Index>(blocks * n), static_cast<Eigen::Index>(c.dense_dim));
      c.codes.resize(blocks * n * fields);
      for (std::size_t block = 0; block < blocks; ++block) {
        const EntityFeatures& from = block == 0 ? f : *cold;
        if (from.dense_dim() != c.dense_dim || from.num_categorical() != fields)
          throw Error(std::string(side_name[s]) + " cold-twin features do not match the features' layout");
        c.dense.middleRows(static_cast<Eigen::Index>(block * n), static_cast<Eigen::Index>(n)) =
            from.dense.topRows(static_cast<Eigen::Index>(n));
        for (std::size_t j = 0; j < fields; ++j) {
          if (from.categorical[j].size() < n || c.cardinality[j] <= 0)
            throw Error(std::string(side_name[s]) + " feature '" + f.categorical_names[j] + "': too few codes");
          for (std::size_t e = 0; e < n; ++e) {
            const std::int32_t code = from.categorical[j][e];
            if (code < 0 || code >= c.cardinality[j])
              throw Error(std::string(side_name[s]) + " feature '" + f.categorical_names[j] + "': code " +
                          std::to_string(code) + " of entity " + std::to_string(e) + " outside [0, " +
                          std::to_string(c.cardinality[j]) + ")");
            c.codes[(block * n + e) * fields + j] = code;
          }
        }
      }
      copy_bags(f, *cold, n, blocks, side_name[s], c.cardinality, c.bag_offsets, c.bag_codes);
      c.input_dim = c.dense_dim + fields * feature_dim_;
      for (std::size_t j = 0; j < fields; ++j)
        c.field_embeddings.push_back(add_parameter(std::string(side_name[s]) + "_feature_embeddings." +
                                                       std::to_string(j) + ".weight",
                                                   {c.cardinality[j], static_cast<std::int64_t>(feature_dim_)}, true));
    }
    for (int s = 0; s < 2; ++s) {
      ContentSide& c = content_[s];
      if (c.input_dim == 0) throw Error(std::string(side_name[s]) + " features are empty");
      c.weight = add_parameter(std::string(side_name[s]) + "_content.weight",
                               {static_cast<std::int64_t>(content_dim_), static_cast<std::int64_t>(c.input_dim)}, false);
      c.bias = add_parameter(std::string(side_name[s]) + "_content.bias", {static_cast<std::int64_t>(content_dim_)}, false);
    }
    x0_dim_ += 2 * content_dim_;
  }

  // nn.Sequential indices: Linear, ReLU, Dropout per hidden block (no Dropout after
  // the last), then the output Linear.
  std::int64_t in = static_cast<std::int64_t>(x0_dim_);
  int index = 0;
  const std::size_t L = config.hidden_layers.size();
  last_hidden_ = static_cast<std::size_t>(config.hidden_layers.back());
  for (std::size_t k = 0; k <= L; ++k) {
    const std::int64_t out = k < L ? config.hidden_layers[k] : 1;
    if (k == L) in += static_cast<std::int64_t>(gmf_dim_);  // the output Linear reads [h_L | gmf]
    mlp_weight_.push_back(add_parameter("mlp." + std::to_string(index) + ".weight", {out, in}, false));
    mlp_bias_.push_back(add_parameter("mlp." + std::to_string(index) + ".bias", {out}, false));
    index += (k + 1 < L) ? 3 : 2;
    in = out;
  }

  row_grads_.resize(params_.size());
  for (std::size_t p = 0; p < params_.size(); ++p)
    if (params_[p].embedding) row_grads_[p].reset(params_[p].rows(), params_[p].cols());
  initialise(seed);
}

int FusionNetwork::add_parameter(const std::string& name, std::vector<std::int64_t> shape, bool embedding) {
  Parameter p;
  p.name = name;
  p.shape = std::move(shape);
  std::size_t n = 1;
  for (auto d : p.shape) n *= static_cast<std::size_t>(d);
  p.value.assign(n, 0.0f);
  p.exp_avg.assign(n, 0.0f);
  p.exp_avg_sq.assign(n, 0.0f);
  p.embedding = embedding;
  p.step.assign(embedding ? p.rows() : 1, 0.0f);
  if (!embedding) p.grad.assign(n, 0.0f);
  params_.push_back(std::move(p));
  return static_cast<int>(params_.size() - 1);
}

// PyTorch defaults: Embedding N(0, 1); Linear weight and bias U(-1/sqrt(in), 1/sqrt(in)).
// The GMF tables start at N(0, 0.01) as in NeuMF (He et al. 2017): their product
// goes straight to the output, so unit-variance rows would give every rarely
// trained item a large random score (measured: NDCG@10 0.41 -> 0.27 on MovieLens
// 100K's per-user protocol).
void FusionNetwork::initialise(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (Parameter& p : params_) {
    if (p.embedding) {
      const int index = static_cast<int>(&p - params_.data());
      const float scale = index == gmf_embedding_[0] || index == gmf_embedding_[1] ? kGmfInitStd : 1.0f;
      for (float& x : p.value) x = scale * normal(rng);
      continue;
    }
    const bool is_bias = p.shape.size() == 1;
    // A bias belongs to the weight created just before it: same fan-in.
    const double fan_in = is_bias ? static_cast<double>((&p - 1)->cols()) : static_cast<double>(p.cols());
    const float bound = static_cast<float>(1.0 / std::sqrt(fan_in));
    std::uniform_real_distribution<float> uniform(-bound, bound);
    for (float& x : p.value) x = uniform(rng);
  }
  ++version_;
}

std::vector<NamedTensor> FusionNetwork::state_dict() const {
  std::vector<NamedTensor> out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Parameter& p = params_[i];
    // A working id table (sharded training) is not this model's table: left out.
    if (is_working_table(i)) continue;
    out.push_back({p.name, p.shape, {p.value.begin(), p.value.end()}});
  }
  return out;
}

void FusionNetwork::load_state_dict(const std::vector<NamedTensor>& tensors) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : tensors) by_name[t.name] = &t;
  // Check everything before changing anything, so a bad file leaves the model intact.
  require_full_tables("load_state_dict");
  for (const Parameter& p : params_) {
    auto it = by_name.find(p.name);
    if (it == by_name.end()) throw Error("state_dict: missing tensor '" + p.name + "'");
    if (it->second->shape != p.shape || it->second->data.size() != p.value.size())
      throw Error("state_dict: tensor '" + p.name + "' has shape " + shape_text(it->second->shape) + ", expected " +
                  shape_text(p.shape));
  }
  for (Parameter& p : params_) p.value.assign(by_name[p.name]->data.begin(), by_name[p.name]->data.end());
  ++version_;
}

std::vector<NamedTensor> FusionNetwork::optimizer_state() const {
  require_full_tables("optimizer_state");
  std::vector<NamedTensor> out;
  for (const Parameter& p : params_) {
    out.push_back({p.name + ".exp_avg", p.shape, {p.exp_avg.begin(), p.exp_avg.end()}});
    out.push_back({p.name + ".exp_avg_sq", p.shape, {p.exp_avg_sq.begin(), p.exp_avg_sq.end()}});
    out.push_back({p.name + ".step", {static_cast<std::int64_t>(p.step.size())}, {p.step.begin(), p.step.end()}});
  }
  return out;
}

void FusionNetwork::load_optimizer_state(const std::vector<NamedTensor>& tensors) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : tensors) by_name[t.name] = &t;
  require_full_tables("load_optimizer_state");
  auto find = [&](const std::string& name, const std::vector<std::int64_t>& shape) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw Error("optimizer state: missing tensor '" + name + "'");
    if (it->second->shape != shape) {
      throw Error("optimizer state: tensor '" + name + "' has shape " + shape_text(it->second->shape) +
                  ", expected " + shape_text(shape));
    }
    return it->second;
  };
  for (const Parameter& p : params_) {
    find(p.name + ".exp_avg", p.shape);
    find(p.name + ".exp_avg_sq", p.shape);
    find(p.name + ".step", {static_cast<std::int64_t>(p.step.size())});
  }
  for (Parameter& p : params_) {
    const auto& m = by_name[p.name + ".exp_avg"]->data;
    const auto& v = by_name[p.name + ".exp_avg_sq"]->data;
    const auto& step = by_name[p.name + ".step"]->data;
    p.exp_avg.assign(m.begin(), m.end());
    p.exp_avg_sq.assign(v.begin(), v.end());
    p.step.assign(step.begin(), step.end());
  }
}

std::vector<NamedTensor> FusionNetwork::last_gradients() const {
  std::vector<NamedTensor> out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Parameter& p = params_[i];
    if (!p.embedding) {
      out.push_back({p.name, p.shape, {p.grad.begin(), p.grad.end()}});
      continue;
    }
    // Embedding gradients are kept sparse; expand to the dense table PyTorch shows.
    NamedTensor t{p.name, p.shape, std::vector<float>(p.value.size(), 0.0f)};
    const RowGradient& g = row_grads_[i];
    for (std::size_t k = 0; k < g.count(); ++k)
      std::copy(g.grad(k), g.grad(k) + g.dim(), t.data.begin() + static_cast<std::ptrdiff_t>(g.rows()[k] * g.dim()));
    out.push_back(std::move(t));
  }
  return out;
}

void FusionNetwork::set_seen(const std::vector<bool>& users_seen, const std::vector<bool>& items_seen) {
  if (users_seen.size() != num_entities_[0] || items_seen.size() != num_entities_[1])
    throw Error("set_seen: expected " + std::to_string(num_entities_[0]) + " users and " +
                std::to_string(num_entities_[1]) + " items");
  if (!hybrid_) return;  // ncf has no unknown rows; cold users go to the popularity fallback
  seen_[0] = users_seen;
  seen_[1] = items_seen;
  // A working table (sharded training) has no unknown row here: the rank that
  // gathers the full tables sets it when it validates or saves.
  if (!has_full_id_tables()) return;
  if (config_.uses_id_dropout()) {  // the unknown rows were learned (id dropout): keep them
    ++version_;
    return;
  }
  // The unknown row becomes the mean of the trained rows: the embedding of an
  // "average" entity, a neutral start for the content branch to refine.
  for (int t = 0; t < 4; ++t) {
    const int s = t % 2, index = t < 2 ? id_embedding_[s] : gmf_embedding_[s];
    if (index < 0) continue;
    Parameter& p = params_[static_cast<std::size_t>(index)];
    const std::size_t E = p.cols(), n = num_entities_[s];
    std::vector<double> mean(E, 0.0);
    std::size_t count = 0;
    for (std::size_t e = 0; e < n; ++e) {
      if (!seen_[s][e]) continue;
      ++count;
      for (std::size_t j = 0; j < E; ++j) mean[j] += p.value[e * E + j];
    }
    if (count == 0) continue;
    for (std::size_t j = 0; j < E; ++j) p.value[n * E + j] = static_cast<float>(mean[j] / static_cast<double>(count));
  }
  ++version_;
}

std::uint32_t FusionNetwork::route(int side, std::uint32_t id) const {
  const auto& seen = seen_[side];
  if (!hybrid_ || seen.empty() || seen[id]) return id;
  return static_cast<std::uint32_t>(num_entities_[side]);  // the unknown row
}

void FusionNetwork::check_ids(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items) const {
  if (users.size() != items.size()) throw Error("users and items differ in length");
  for (std::uint32_t u : users)
    if (u >= num_entities_[0])
      throw Error("user index " + std::to_string(u) + " out of range (" + std::to_string(num_entities_[0]) + " users)");
  for (std::uint32_t i : items)
    if (i >= num_entities_[1])
      throw Error("item index " + std::to_string(i) + " out of range (" + std::to_string(num_entities_[1]) + " items)");
}

double FusionNetwork::flops_per_sample() const {
  double macs = 0.0;
  for (int w : mlp_weight_) macs += static_cast<double>(params_[static_cast<std::size_t>(w)].value.size());
  if (hybrid_)
    for (const ContentSide& c : content_)
      macs += static_cast<double>(params_[static_cast<std::size_t>(c.weight)].value.size());
  return 2.0 * macs + static_cast<double>(gmf_dim_);  // + the GMF product
}

int FusionNetwork::parallel_rows(std::size_t n, const std::function<void(std::size_t, std::size_t, int)>& body) const {
  const int wanted = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads_), std::max<std::size_t>(n, 1)));
  if (wanted <= 1) {
    // A one-thread team, not a plain call: Eigen parallelises large products on its
    // own unless it is inside a parallel region, and waking its worker threads for
    // every small GEMM of a step costs far more than the GEMM (measured 100x).
    // (A team of one is not an "active" region, so also tell Eigen, for this
    // region only, that one thread is all there is.)
#pragma omp parallel num_threads(1)
    {
      omp_set_num_threads(1);
      body(0, n, 0);
    }
    return 1;
  }
  int used = wanted;
#pragma omp parallel num_threads(wanted)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
#pragma omp single
    used = T;
    body(n * static_cast<std::size_t>(t) / static_cast<std::size_t>(T),
         n * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(T), t);
  }
  return used;
}

}  // namespace hybridrec
