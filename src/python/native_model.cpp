#include "python/native_model.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/load_config.h"
#include "data/readers.h"
#include "eval/evaluator.h"
#include "serve/item_catalog.h"
#include "train/batch_recommend.h"
#include "train/pipeline.h"

namespace hybridrec {

namespace {

// How the data is read: the configuration's data.* keys, as the CLI reads them,
// with the attribute tables Python names (they replace data.users / data.items;
// empty = none).
LoadOptions load_options(nlohmann::json& config, const std::string& users_file, const std::string& items_file) {
  config["data"]["users"] = users_file;
  config["data"]["items"] = items_file;
  LoadOptions load;
  apply_data_config(config.at("data"), load);
  return load;
}

nlohmann::json read_json_if_present(const std::filesystem::path& path) {
  return std::filesystem::exists(path) ? read_json(path) : nlohmann::json();
}

}  // namespace

NativeModel NativeModel::fit(const std::string& config_json, const std::string& data_path,
                             const std::string& users_file, const std::string& items_file, const std::string& out_dir,
                             bool quiet) {
  TrainRequest request;
  request.config = nlohmann::json::parse(config_json);
  request.load = load_options(request.config, users_file, items_file);
  request.data = data_path;
  request.out = out_dir;
  request.progress = quiet ? Progress::Mode::Quiet : Progress::Mode::Auto;
  request.model_version = "python";
  run_training(request);
  NativeModel model = load(out_dir);  // exactly what a later load() of a saved folder gives
  return model;
}

NativeModel NativeModel::load(const std::string& path) {
  NativeModel model;
  model.bundle_ = std::make_shared<const ModelBundle>(ModelBundle::load(path));
  model.metrics_ = read_json_if_present(std::filesystem::path(path) / "metrics.json");
  model.history_ = read_json_if_present(std::filesystem::path(path) / "training_history.json");
  return model;
}

void NativeModel::save(const std::string& path) const {
  bundle_->save(path);
  if (!metrics_.is_null()) write_json_atomic(std::filesystem::path(path) / "metrics.json", metrics_);
  if (!history_.is_null()) write_json_atomic(std::filesystem::path(path) / "training_history.json", history_);
}

std::vector<std::vector<ScoredItem>> NativeModel::recommend(std::span<const std::uint32_t> users, std::size_t k,
                                                            bool exclude_seen, int threads,
                                                            std::vector<std::string>* routes) const {
  BatchRecommendOptions options;
  options.k = k;
  options.exclude_seen = exclude_seen;
  options.threads = threads;
  std::vector<Route> taken;
  auto lists = recommend_batch(*bundle_, users, options, &taken);
  if (routes)
    for (Route r : taken) routes->push_back(route_name(r));
  return lists;
}

std::vector<std::vector<ScoredItem>> NativeModel::recommend_new_users(
    const std::vector<std::map<std::string, std::string>>& attributes, std::size_t k,
    std::vector<std::string>* routes) const {
  std::vector<std::vector<ScoredItem>> lists;
  for (const auto& a : attributes) {
    std::string path;
    lists.push_back(bundle_->recommend_new_user(a, k, &path));
    if (routes) routes->push_back(path);
  }
  return lists;
}

std::vector<std::vector<ScoredItem>> NativeModel::similar_items(std::span<const std::uint32_t> items,
                                                                std::size_t k) const {
  const serve::ItemCatalog catalog = serve::ItemCatalog::from(*bundle_);
  const serve::ItemSimilarityFn similarity = catalog.similarity(*bundle_);
  if (!similarity)
    throw Error(fmt::format("similar_items: the {} family has neither item vectors nor a learned item similarity",
                            bundle_->type()));
  const std::size_t n = bundle_->items.size();
  std::vector<std::vector<ScoredItem>> lists;
  std::vector<float> row(n);
  for (std::uint32_t item : items) {
    if (item >= n) throw Error(fmt::format("item index {} out of range ({} items)", item, n));
    for (std::uint32_t j = 0; j < n; ++j) row[j] = similarity(item, j);
    const std::uint32_t self[] = {item};
    lists.push_back(top_k(row, k, self));
  }
  return lists;
}

std::vector<float> NativeModel::score(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items) const {
  return score_pairs_routed(*bundle_, users, items);
}

std::string NativeModel::evaluate(const std::string& data_path, const std::string& users_file,
                                  const std::string& items_file, const std::string& part,
                                  const std::vector<int>& ks) const {
  nlohmann::json config = bundle_->config;
  LoadOptions load = load_options(config, users_file, items_file);
  Dataset dataset = load_dataset(data_path, load);
  // The dense indices must be the model's: other ids would score the wrong users.
  if (dataset.users.ids() != bundle_->users.ids() || dataset.items.ids() != bundle_->items.ids())
    throw Error("evaluate: the data's user or item ids differ from the model's id maps: evaluate on the data the "
                "model was trained on");
  const Split split = make_split(dataset, split_config_from(config));
  EvalOptions options;
  options.part = part;
  if (!ks.empty()) options.ks = ks;
  options.threads = config["training"].value("threads", 2);
  options.seed = config["training"].value("seed", std::uint64_t{42});
  options.cold_user_path = bundle_->cold_user_path();
  const PopularityBaseline own_popularity = bundle_->popularity_model();
  return hybridrec::evaluate(*bundle_->recommender, dataset, split, options, &own_popularity).dump();
}

}  // namespace hybridrec
