#include "model/neural_family.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "data/negative_sampling.h"
#include "model/id_dropout_choice.h"
#include "model/safetensors.h"

namespace hybridrec {

struct NeuralRecommender::Linearisation {
  RowMatrix item_parts;                    // [items, h1]
  std::vector<RowMatrix> hidden_weights;   // MLP layers after the first: [out, in]
  std::vector<std::vector<float>> hidden_biases;
  std::vector<float> output_weight;        // [h_last]
};

namespace {

// "mlp.<index>.<suffix>" tensors in layer order.
std::map<int, const NamedTensor*> mlp_tensors(const std::vector<NamedTensor>& state, const std::string& suffix) {
  std::map<int, const NamedTensor*> out;
  for (const auto& t : state) {
    if (t.name.rfind("mlp.", 0) != 0 || t.name.size() <= suffix.size() ||
        t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    out[std::stoi(t.name.substr(4))] = &t;
  }
  return out;
}

ModelConfig with_layout(const std::string& layout, const nlohmann::json& config) {
  const nlohmann::json model = config.is_object() && config.contains("model") ? config["model"] : nlohmann::json::object();
  ModelConfig c = ModelConfig::from_json(model);
  c.type = layout;
  return c;
}

}  // namespace

NeuralRecommender::NeuralRecommender(std::string family, const std::string& layout, const nlohmann::json& config)
    : family_(std::move(family)), config_(with_layout(layout, config)) {}

void NeuralRecommender::fit(const TrainingContext&) {
  throw Error("model family '" + family_ +
              "' is trained step by step by run_training() (train/pipeline.h), which adds validation, early "
              "stopping, checkpoints and MPI; it is SgdTrainable, so call that instead of fit()");
}

Network& NeuralRecommender::network() {
  if (!network_) throw Error("model family '" + family_ + "': no network yet (create_network or load first)");
  return *network_;
}

const Network& NeuralRecommender::network() const {
  if (!network_) throw Error("model family '" + family_ + "': no network yet (create_network or load first)");
  return *network_;
}

void NeuralRecommender::create_network(const TrainingContext& context) {
  if (!context.dataset) throw Error("model family '" + family_ + "': create_network needs a dataset");
  if (content_branch() && !context.features)
    throw Error("model family '" + family_ + "' needs the content features (TrainingContext::features)");
  // The pipeline resolves an auto id-dropout rate before the family is made; a
  // caller that builds the family directly gets the same rule here.
  if (config_.id_dropout_auto && context.split) {
    config_.id_dropout_rate = choose_id_dropout_rate(config_, *context.dataset, *context.split, context.shards).rate;
    config_.id_dropout_auto = false;
  }
  network_ = Network::create(config_, context.dataset->num_users(), context.dataset->num_items(),
                             content_branch() ? context.features : nullptr, context.seed);
  network_->set_threads(context.threads);
  std::lock_guard lock(linearisation_mutex_);
  linearisation_.reset();
}

std::size_t NeuralRecommender::num_items() const { return network().num_items(); }

void NeuralRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  network().score_all(users, out);
}

void NeuralRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                    float* out) const {
  network().predict(users, items, out);
}

// The split first layer: the user's part once, then only the rest of the MLP per
// item; the same values score_all gives.
void NeuralRecommender::score_items(std::uint32_t user, std::span<const std::uint32_t> items, float* out) const {
  const auto part = network().first_layer_user_part(user);
  network().score_items_from_user_part(part.data(), items, out);
}

bool NeuralRecommender::serves_cold_users() const { return network_ && network_->serves_cold_users(); }

const ContentScoring* NeuralRecommender::content_scoring() const {
  return content_branch() ? this : nullptr;
}

const FeatureFoldIn* NeuralRecommender::feature_fold_in() const { return content_branch() ? this : nullptr; }

void NeuralRecommender::score_with_user_features(std::uint32_t user, const float* user_dense,
                                                 const std::int32_t* user_categorical, float* out_all_items,
                                                 const CategoricalBags* user_bags) const {
  network().score_user_with_features(user, user_dense, user_categorical, out_all_items, user_bags);
}

void NeuralRecommender::set_threads(int threads) {
  if (network_) network_->set_threads(threads);
}

void NeuralRecommender::score_new_user(const float* user_dense, const std::int32_t* user_categorical,
                                       float* out_all_items, const CategoricalBags* user_bags) const {
  network().score_new_user(user_dense, user_categorical, out_all_items, user_bags);
}

void NeuralRecommender::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  save_safetensors(dir / "model.safetensors", network().state_dict(), {{"format", "pt"}, {"model_type", family_}});
}

void NeuralRecommender::load(const std::filesystem::path& dir, const LoadContext& context) {
  const auto file = dir / "model.safetensors";
  if (!std::filesystem::exists(file))
    throw DataError(file.string(), 0, "", "model artifact missing (is this a folder written by 'hybridrec train'?)");
  if (content_branch() && (!context.features || context.features->users.size() == 0))
    throw DataError((dir / "features.safetensors").string(), 0, "",
                    "the hybrid model needs its feature tables (features.safetensors)");
  network_ = Network::create(config_, context.num_users, context.num_items,
                             content_branch() ? context.features : nullptr, 0);
  network_->load_state_dict(load_safetensors(file));
  if (context.user_items) {
    // Users and items without training data use the unknown rows (hybrid).
    const SeenMasks masks = seen_masks(*context.user_items, context.num_users, context.num_items);
    network_->set_seen(masks.users, masks.items);
  }
  std::lock_guard lock(linearisation_mutex_);
  linearisation_.reset();
}

RowMatrix NeuralRecommender::item_embeddings() const {
  for (const auto& t : network().state_dict()) {
    if (t.name != "item_embedding.weight") continue;
    // hybrid tables carry one extra "unknown" row at the end; keep the catalogue's rows.
    RowMatrix table = Eigen::Map<const RowMatrix>(t.data.data(), t.shape[0], t.shape[1]);
    return table.topRows(static_cast<Eigen::Index>(network().num_items()));
  }
  throw Error("model family '" + family_ + "': the network has no item_embedding.weight");
}

RowMatrix NeuralRecommender::candidate_item_vectors() const { return linearisation()->item_parts; }

std::shared_ptr<const NeuralRecommender::Linearisation> NeuralRecommender::linearisation() const {
  std::lock_guard lock(linearisation_mutex_);
  if (linearisation_) return linearisation_;
  auto lin = std::make_shared<Linearisation>();
  lin->item_parts = network().first_layer_item_parts();
  const auto state = network().state_dict();
  auto weights = mlp_tensors(state, ".weight"), biases = mlp_tensors(state, ".bias");
  if (weights.size() < 2) throw Error("candidate vectors: the network has no MLP layers after the first");
  std::vector<const NamedTensor*> w, b;
  for (auto& [i, t] : weights) w.push_back(t);
  for (auto& [i, t] : biases) b.push_back(t);
  for (std::size_t l = 1; l + 1 < w.size(); ++l) {
    lin->hidden_weights.push_back(Eigen::Map<const RowMatrix>(w[l]->data.data(), w[l]->shape[0], w[l]->shape[1]));
    lin->hidden_biases.push_back(b[l]->data);
  }
  // The output Linear of a network with the GMF branch reads [h_last | gmf]; the
  // MLP's share is its first h_last weights (the GMF share is linear in the item
  // and already folded into the tail of every user part).
  const auto h_last = static_cast<std::ptrdiff_t>(w[w.size() - 2]->shape[0]);
  lin->output_weight.assign(w.back()->data.begin(), w.back()->data.begin() + h_last);
  linearisation_ = lin;
  return lin;
}

// The network scores an item as f(u + v_i), u the user's part and v_i the item's
// part of the first fused Linear, f the rest of the MLP. To first order around
// points the user cares about, f(u + v_i) ~ const + g_u . v_i where g_u is the
// gradient of the logit with respect to the first-layer pre-activation, averaged
// over the reference items (the user's own training items plus popular ones).
// Ranking by g_u . v_i is then a maximum inner product search over the fixed v_i;
// the exact re-scoring of the candidates removes the approximation's error.
std::vector<float> NeuralRecommender::candidate_query(std::uint32_t user,
                                                      std::span<const std::uint32_t> reference_items) const {
  const auto lin = linearisation();
  const auto user_part = network().first_layer_user_part(user);
  // item_parts rows are [first-layer part (h1) | GMF row (if any)]; only the first
  // h1 columns go through the MLP, the GMF tail of the query is exact.
  const auto h1 = lin->hidden_weights.empty() ? static_cast<Eigen::Index>(lin->output_weight.size())
                                              : lin->hidden_weights[0].cols();
  const auto r = static_cast<Eigen::Index>(reference_items.size());
  if (r == 0) return user_part;
  // Forward through the MLP for every reference point z = u + v_ref, keeping the
  // activations, then back-propagate d logit / d z and average.
  std::vector<RowMatrix> acts;
  RowMatrix z(r, h1);
  for (Eigen::Index i = 0; i < r; ++i)
    for (Eigen::Index j = 0; j < h1; ++j)
      z(i, j) = lin->item_parts(static_cast<Eigen::Index>(reference_items[static_cast<std::size_t>(i)]), j) +
                user_part[static_cast<std::size_t>(j)];
  acts.push_back(z.cwiseMax(0.0f));
  for (std::size_t l = 0; l < lin->hidden_weights.size(); ++l) {
    RowMatrix next = acts.back() * lin->hidden_weights[l].transpose();
    for (Eigen::Index i = 0; i < r; ++i)
      for (Eigen::Index j = 0; j < next.cols(); ++j)
        next(i, j) = std::max(next(i, j) + lin->hidden_biases[l][static_cast<std::size_t>(j)], 0.0f);
    acts.push_back(std::move(next));
  }
  RowMatrix grad(r, static_cast<Eigen::Index>(lin->output_weight.size()));
  for (Eigen::Index i = 0; i < r; ++i)
    grad.row(i) = Eigen::Map<const Eigen::RowVectorXf>(lin->output_weight.data(), grad.cols());
  for (std::size_t l = lin->hidden_weights.size() + 1; l-- > 0;) {
    grad = grad.cwiseProduct((acts[l].array() > 0.0f).cast<float>().matrix());  // ReLU of layer l
    if (l > 0) grad = grad * lin->hidden_weights[l - 1];
  }
  Eigen::RowVectorXf mean = grad.colwise().mean();
  std::vector<float> query(mean.data(), mean.data() + mean.size());
  query.insert(query.end(), user_part.begin() + h1, user_part.end());
  return query;
}

}  // namespace hybridrec
