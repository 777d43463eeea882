#include "model/family_routed.h"

#include "core/error.h"
#include "data/negative_sampling.h"
#include "model/model_families.h"

namespace hybridrec {

namespace {

// The configuration a part was fitted with: the run's, with the part's own
// settings (model.routed.<part>: its type and whatever it chose) patched over
// the model section.
nlohmann::json part_config(const nlohmann::json& config, const char* part) {
  const auto& routed = config.at("model").value("routed", nlohmann::json::object());
  if (!routed.contains(part) || !routed[part].is_object() || !routed[part].contains("type"))
    throw ConfigError(std::string("model.routed.") + part + " must be a model section with a type (e.g. {type: ease})");
  nlohmann::json c = config;
  c["model"].erase("routed");
  c["model"].merge_patch(routed[part]);
  return c;
}

std::unique_ptr<Recommender> make_part(const nlohmann::json& config, const char* part) {
  const nlohmann::json c = part_config(config, part);
  const std::string family = c["model"]["type"].get<std::string>();
  if (family == "routed") throw ConfigError(std::string("model.routed.") + part + " cannot itself be routed");
  return make_model(family, c);
}

}  // namespace

RoutedRecommender::RoutedRecommender(const nlohmann::json& config)
    : config_(config), history_(make_part(config, "history")), new_users_(make_part(config, "new_users")) {}

RoutedRecommender::RoutedRecommender(std::unique_ptr<Recommender> history, std::unique_ptr<Recommender> new_users,
                                     std::vector<bool> has_history)
    : history_(std::move(history)), new_users_(std::move(new_users)), has_history_(std::move(has_history)) {
  if (!history_ || !new_users_) throw Error("routed model: both parts are needed");
  if (history_->num_items() != new_users_->num_items()) throw Error("routed model: the parts rank different catalogues");
}

void RoutedRecommender::fit(const TrainingContext& context) {
  for (auto* part : {history_.get(), new_users_.get()})
    if (part->sgd_trainable())
      throw ConfigError("model.routed: family '" + part->type() +
                        "' trains through the trainer; routed pairs with it are built by --model auto");
  TrainingContext history_ctx = context, new_ctx = context;
  history_ctx.config = part_config(context.config, "history");
  new_ctx.config = part_config(context.config, "new_users");
  history_->fit(history_ctx);
  new_users_->fit(new_ctx);
  has_history_ = users_with_history(*context.dataset, *context.split);
}

std::vector<bool> RoutedRecommender::users_with_history(const Dataset& dataset, const Split& split) {
  std::vector<bool> has_history(dataset.num_users(), false);
  for (auto idx : split.train) has_history[dataset.interactions[idx].user] = true;
  return has_history;
}

const Recommender& RoutedRecommender::part_for(std::uint32_t user) const {
  return user < has_history_.size() && has_history_[user] ? *history_ : *new_users_;
}

void RoutedRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  const std::size_t n = num_items();
  for (std::size_t k = 0; k < users.size(); ++k) part_for(users[k]).score_all(users.subspan(k, 1), out + k * n);
}

void RoutedRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                    float* out) const {
  for (std::size_t k = 0; k < users.size(); ++k)
    part_for(users[k]).score_pairs(users.subspan(k, 1), items.subspan(k, 1), out + k);
}

void RoutedRecommender::set_threads(int threads) {
  history_->set_threads(threads);
  new_users_->set_threads(threads);
}

void RoutedRecommender::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir / "history");
  std::filesystem::create_directories(dir / "new_users");
  history_->save(dir / "history");
  new_users_->save(dir / "new_users");
}

void RoutedRecommender::load(const std::filesystem::path& dir, const LoadContext& context) {
  if (!context.config) throw Error("routed model: loading needs the folder's config.json");
  for (const auto& [part, model] : {std::pair{"history", &history_}, std::pair{"new_users", &new_users_}}) {
    const nlohmann::json c = part_config(*context.config, part);
    *model = make_model(c["model"]["type"].get<std::string>(), c);
    LoadContext sub = context;
    sub.config = &c;
    (*model)->load(dir / part, sub);
  }
  has_history_ = context.user_items ? seen_masks(*context.user_items, context.num_users, context.num_items).users
                                    : std::vector<bool>(context.num_users, false);
}

}  // namespace hybridrec
