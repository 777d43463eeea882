// The "mf" family: BPR matrix factorisation with its own SGD loop.
//
// Per sample (u, i, j), with x = s_ui - s_uj and z = sigmoid(-x) (implicit's
// update, weight w of the positive):
//   p_u += lr (w z (q_i - q_j) - reg p_u)
//   q_i += lr (w z p_u - reg q_i),  b_i += lr (w z - reg b_i)
//   q_j += lr (-w z p_u - reg q_j), b_j += lr (-w z - reg b_j)
// Samples are processed in mini-batches. Within a batch, thread t takes the
// samples of users u with u % threads == t and updates their user rows at once
// (no other thread touches them); item updates are computed from the item rows as
// they were at the start of the batch, summed per thread, and applied in thread
// order after it. So a seed and a thread count give bit-identical models.
#include "model/mf_family.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/rng.h"
#include "data/negative_sampling.h"
#include "data/positives.h"
#include "model/row_gradient.h"
#include "model/safetensors.h"

namespace hybridrec {

namespace {

// Item updates lag at most one batch; each batch ends in a barrier, which costs
// far more than the samples on a loaded machine, so batches are not small.
constexpr std::size_t kBatchPerThread = 2048;

// p . q with a fixed summation order (16 lanes, then the lanes in order), so
// score_all and score_pairs give bit-identical scores and the compiler may still
// vectorise the lanes.
inline float dot(const float* p, const float* q, std::size_t n) {
  float lane[16] = {};
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (std::size_t k = 0; k < 16; ++k) lane[k] += p[j + k] * q[j + k];
  for (std::size_t k = 0; j < n; ++j, ++k) lane[k] += p[j] * q[j];
  float sum = 0.0f;
  for (float x : lane) sum += x;
  return sum;
}

template <class T>
T setting(const nlohmann::json& section, const char* key, T fallback) {
  if (!section.contains(key) || section[key].is_null()) return fallback;
  try {
    return section[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw ConfigError(std::string("model.mf.") + key + ": expected a number, got " + section[key].dump());
  }
}

// The networks' weighted positives (data.event_weights, data.recency_*).
std::vector<Positive> training_positives(const TrainingContext& context) {
  return collect_positives(*context.dataset, *context.split, PositiveWeighting::from_config(context.config));
}

}  // namespace

MfSettings MfSettings::from_config(const nlohmann::json& config) {
  MfSettings s;
  nlohmann::json section = nlohmann::json::object();
  if (config.is_object() && config.contains("model") && config["model"].contains("mf")) section = config["model"]["mf"];
  if (!section.is_object()) throw ConfigError("model.mf must be a mapping (factors, learning_rate, ...)");
  s.factors = setting(section, "factors", s.factors);
  s.learning_rate = setting(section, "learning_rate", s.learning_rate);
  s.regularization = setting(section, "regularization", s.regularization);
  s.epochs = setting(section, "epochs", s.epochs);
  if (section.contains("seed") && !section["seed"].is_null()) s.seed = setting<std::uint64_t>(section, "seed", 0);
  if (s.factors <= 0) throw ConfigError("model.mf.factors must be positive (got " + std::to_string(s.factors) + ")");
  if (!(s.learning_rate > 0.0)) throw ConfigError("model.mf.learning_rate must be positive");
  if (!(s.regularization >= 0.0)) throw ConfigError("model.mf.regularization must be >= 0");
  if (s.epochs < 0) throw ConfigError("model.mf.epochs must be >= 0");
  return s;
}

void MfRecommender::fit(const TrainingContext& context) {
  if (!context.dataset || !context.split) throw Error("mf: fit needs a dataset and a split");
  if (context.shards)
    throw ConfigError("mf: data-parallel training over user shards is not supported; run it in one process");
  const Dataset& dataset = *context.dataset;
  num_users_ = dataset.num_users();
  num_items_ = dataset.num_items();
  threads_ = std::max(1, context.threads);
  const std::size_t F = static_cast<std::size_t>(settings_.factors), D = F + 1;
  const std::uint64_t seed = settings_.seed.value_or(context.seed);

  // implicit's initialisation: factors uniform in (-0.5, 0.5) / F, biases 0.
  Rng init = Rng::stream(seed, 0x4D46494EULL);
  users_.assign(num_users_ * F, 0.0f);
  items_.assign(num_items_ * D, 0.0f);
  for (float& x : users_) x = (init.uniform_float() - 0.5f) / static_cast<float>(F);
  for (std::size_t i = 0; i < num_items_; ++i)
    for (std::size_t j = 0; j < F; ++j) items_[i * D + j] = (init.uniform_float() - 0.5f) / static_cast<float>(F);

  const std::vector<Positive> positives = training_positives(context);
  const NegativeSampler sampler(dataset, context.split->train);
  std::vector<bool> trained(num_users_, false);
  for (const Positive& p : positives) trained[p.user] = true;

  const int T = threads_;
  std::vector<RowGradient> item_grads(static_cast<std::size_t>(T));
  for (auto& g : item_grads) g.reset(num_items_, D);
  std::vector<double> thread_loss(static_cast<std::size_t>(T));
  std::vector<std::size_t> order;
  const auto lr = static_cast<float>(settings_.learning_rate), reg = static_cast<float>(settings_.regularization);
  epoch_losses_.clear();

  for (int epoch = 0; epoch < settings_.epochs; ++epoch) {
    // This epoch's samples: each positive kept with its recency probability, shuffled.
    Rng epoch_rng = Rng::stream(seed, 0x45504F43ULL + static_cast<std::uint64_t>(epoch));
    order.clear();
    for (std::size_t k = 0; k < positives.size(); ++k)
      if (positives[k].keep >= 1.0f || epoch_rng.uniform_float() < positives[k].keep) order.push_back(k);
    epoch_rng.shuffle(order.begin(), order.end());
    double epoch_loss = 0.0;
    std::size_t epoch_samples = 0;
    const std::size_t batch = kBatchPerThread * static_cast<std::size_t>(T);
    for (std::size_t b0 = 0; b0 < order.size(); b0 += batch) {
      const std::size_t b1 = std::min(order.size(), b0 + batch);
      for (auto& g : item_grads) g.begin();
      std::fill(thread_loss.begin(), thread_loss.end(), 0.0);
#pragma omp parallel num_threads(T)
      {
        // The team as OpenMP made it (never more than T): every user belongs to one member.
        const int t = omp_get_thread_num(), team = omp_get_num_threads();
        RowGradient& g = item_grads[static_cast<std::size_t>(t)];
        double loss = 0.0;
        std::vector<float> gi(D), gj(D), pu(F);
        for (std::size_t s = b0; s < b1; ++s) {
          const Positive& x = positives[order[s]];
          if (static_cast<int>(x.user % static_cast<std::uint32_t>(team)) != t) continue;
          if (!sampler.has_negatives(x.user)) continue;
          // The negative depends on (seed, epoch, position) only.
          Rng rng = Rng::stream(seed ^ (static_cast<std::uint64_t>(epoch + 1) << 40), s);
          const std::uint32_t j = sampler.sample(x.user, rng);
          float* p = users_.data() + static_cast<std::size_t>(x.user) * F;
          const float* qi = items_.data() + static_cast<std::size_t>(x.item) * D;
          const float* qj = items_.data() + static_cast<std::size_t>(j) * D;
          const float diff = dot(p, qi, F) + qi[F] - dot(p, qj, F) - qj[F];
          // -log sigmoid(diff) = softplus(-diff), computed without overflow.
          loss += static_cast<double>(x.weight) *
                  (diff > 0 ? std::log1p(std::exp(-diff)) : -diff + std::log1p(std::exp(diff)));
          const float z = x.weight / (1.0f + std::exp(diff));  // w sigmoid(-diff)
          std::copy(p, p + F, pu.begin());
          for (std::size_t k = 0; k < F; ++k) {
            gi[k] = z * pu[k] - reg * qi[k];
            gj[k] = -z * pu[k] - reg * qj[k];
            p[k] += lr * (z * (qi[k] - qj[k]) - reg * pu[k]);
          }
          gi[F] = z - reg * qi[F];
          gj[F] = -z - reg * qj[F];
          g.add(x.item, gi.data());
          g.add(j, gj.data());
        }
        thread_loss[static_cast<std::size_t>(t)] = loss;
      }
      // Item updates in thread order: deterministic for a thread count.
      for (int t = 0; t < T; ++t) {
        const RowGradient& g = item_grads[static_cast<std::size_t>(t)];
        for (std::size_t k = 0; k < g.count(); ++k) {
          float* q = items_.data() + static_cast<std::size_t>(g.rows()[k]) * D;
          const float* d = g.grad(k);
          for (std::size_t c = 0; c < D; ++c) q[c] += lr * d[c];
        }
        epoch_loss += thread_loss[static_cast<std::size_t>(t)];
      }
      epoch_samples += b1 - b0;
    }
    epoch_losses_.push_back(epoch_samples ? epoch_loss / static_cast<double>(epoch_samples) : 0.0);
  }
  // Users without training history: no factor, so their scores are the item
  // biases (a popularity-like ranking) rather than noise from an untrained row.
  for (std::size_t u = 0; u < num_users_; ++u)
    if (!trained[u]) std::fill(users_.begin() + static_cast<std::ptrdiff_t>(u * F),
                               users_.begin() + static_cast<std::ptrdiff_t>((u + 1) * F), 0.0f);
}

void MfRecommender::check_user(std::uint32_t user) const {
  if (user >= num_users_)
    throw Error("mf: user index " + std::to_string(user) + " out of range (" + std::to_string(num_users_) + " users)");
}

float MfRecommender::score(std::uint32_t user, std::uint32_t item) const {
  const std::size_t F = static_cast<std::size_t>(settings_.factors);
  const float* q = items_.data() + static_cast<std::size_t>(item) * (F + 1);
  return dot(users_.data() + static_cast<std::size_t>(user) * F, q, F) + q[F];
}

void MfRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  for (std::uint32_t u : users) check_user(u);
  const auto tasks = static_cast<std::ptrdiff_t>(users.size());
#pragma omp parallel for num_threads(threads_) schedule(static) if (threads_ > 1 && tasks > 1)
  for (std::ptrdiff_t k = 0; k < tasks; ++k) {
    float* row = out + static_cast<std::size_t>(k) * num_items_;
    for (std::size_t i = 0; i < num_items_; ++i) row[i] = score(users[static_cast<std::size_t>(k)], static_cast<std::uint32_t>(i));
  }
}

void MfRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                float* out) const {
  if (users.size() != items.size()) throw Error("mf: users and items differ in length");
  for (std::size_t k = 0; k < users.size(); ++k) {
    check_user(users[k]);
    if (items[k] >= num_items_)
      throw Error("mf: item index " + std::to_string(items[k]) + " out of range (" + std::to_string(num_items_) +
                  " items)");
    out[k] = score(users[k], items[k]);
  }
}

void MfRecommender::save(const std::filesystem::path& dir) const {
  if (num_items_ == 0) throw Error("mf: save before fit");
  const std::size_t F = static_cast<std::size_t>(settings_.factors);
  const auto I = static_cast<std::int64_t>(num_items_);
  NamedTensor item_factors{"item_factors", {I, static_cast<std::int64_t>(F)}, {}};
  NamedTensor item_bias{"item_bias", {I}, {}};
  for (std::size_t i = 0; i < num_items_; ++i) {
    const float* q = items_.data() + i * (F + 1);
    item_factors.data.insert(item_factors.data.end(), q, q + F);
    item_bias.data.push_back(q[F]);
  }
  NamedTensor user_factors{"user_factors", {static_cast<std::int64_t>(num_users_), static_cast<std::int64_t>(F)}, users_};
  save_safetensors(dir / "model.safetensors", {user_factors, item_factors, item_bias},
                   {{"family", "mf"}, {"score", "user_factors @ item_factors.T + item_bias"}});
}

void MfRecommender::load(const std::filesystem::path& dir, const LoadContext& context) {
  if (context.config) settings_ = MfSettings::from_config(*context.config);
  const auto path = dir / "model.safetensors";
  const auto tensors = load_safetensors(path);
  auto find = [&](const std::string& name, std::vector<std::int64_t> shape) -> const NamedTensor& {
    for (const auto& t : tensors)
      if (t.name == name) {
        if (t.shape != shape)
          throw DataError(path.string(), 0, name, "shape does not match " + std::to_string(context.num_users) +
                                                      " users, " + std::to_string(context.num_items) + " items and " +
                                                      std::to_string(settings_.factors) + " factors (model.mf.factors)");
        return t;
      }
    throw DataError(path.string(), 0, name, "missing tensor");
  };
  const auto U = static_cast<std::int64_t>(context.num_users), I = static_cast<std::int64_t>(context.num_items);
  const std::size_t F = static_cast<std::size_t>(settings_.factors);
  const NamedTensor& p = find("user_factors", {U, static_cast<std::int64_t>(F)});
  const NamedTensor& q = find("item_factors", {I, static_cast<std::int64_t>(F)});
  const NamedTensor& b = find("item_bias", {I});
  num_users_ = context.num_users;
  num_items_ = context.num_items;
  users_ = p.data;
  items_.assign(num_items_ * (F + 1), 0.0f);
  for (std::size_t i = 0; i < num_items_; ++i) {
    std::copy(q.data.begin() + static_cast<std::ptrdiff_t>(i * F), q.data.begin() + static_cast<std::ptrdiff_t>((i + 1) * F),
              items_.begin() + static_cast<std::ptrdiff_t>(i * (F + 1)));
    items_[i * (F + 1) + F] = b.data[i];
  }
}

RowMatrix MfRecommender::item_embeddings() const {
  const auto F = static_cast<Eigen::Index>(settings_.factors);
  return candidate_item_vectors().leftCols(F);
}

RowMatrix MfRecommender::candidate_item_vectors() const {
  return Eigen::Map<const RowMatrix>(items_.data(), static_cast<Eigen::Index>(num_items_),
                                     static_cast<Eigen::Index>(settings_.factors + 1));
}

std::vector<float> MfRecommender::candidate_query(std::uint32_t user, std::span<const std::uint32_t>) const {
  check_user(user);
  const std::size_t F = static_cast<std::size_t>(settings_.factors);
  std::vector<float> query(users_.begin() + static_cast<std::ptrdiff_t>(user * F),
                           users_.begin() + static_cast<std::ptrdiff_t>((user + 1) * F));
  query.push_back(1.0f);  // picks up b_i: q . [p_u, 1] = p_u . q_i + b_i exactly
  return query;
}

std::unique_ptr<Recommender> make_mf(const nlohmann::json& config) {
  return std::make_unique<MfRecommender>(MfSettings::from_config(config));
}

std::vector<nlohmann::json> mf_grid(const nlohmann::json& config, const Dataset&) {
  // Training length and regularisation are what BPR-MF is most sensitive to; the
  // configured values are always among the points tried.
  const MfSettings base = MfSettings::from_config(config);
  std::vector<int> epochs = {base.epochs / 2, base.epochs, base.epochs * 2};
  std::vector<double> regs = {base.regularization, base.regularization * 0.1};
  std::vector<nlohmann::json> grid;
  for (int e : epochs) {
    if (e <= 0) continue;
    for (double r : regs) grid.push_back({{"model", {{"mf", {{"epochs", e}, {"regularization", r}}}}}});
  }
  return grid;
}

}  // namespace hybridrec
