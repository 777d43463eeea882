#pragma once
// One fitted or loaded model as the Python package sees it: a ModelBundle (the
// same folder layout the CLI writes and reads) plus the metrics its training
// reported. Every operation goes through the library's own paths (run_training,
// ModelBundle, recommend_batch, evaluate), so Python and the CLI give the same
// lists and scores for the same folder.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/model_bundle.h"

namespace hybridrec {

class NativeModel {
 public:
  // Trains through run_training on `data_path` (read as `hybridrec train --data`
  // reads it, attribute tables from `users_file`/`items_file` when not empty),
  // writing the artifact folder into `out_dir`, and keeps the loaded result.
  static NativeModel fit(const std::string& config_json, const std::string& data_path, const std::string& users_file,
                         const std::string& items_file, const std::string& out_dir, bool quiet);
  // Any folder written by `hybridrec train` (or save()).
  static NativeModel load(const std::string& path);
  // The artifact set, plus metrics.json / training_history.json when known.
  void save(const std::string& path) const;

  const ModelBundle& bundle() const { return *bundle_; }
  const nlohmann::json& metrics() const { return metrics_; }

  // Top-k for known users (dense indices); `routes` receives each user's path.
  std::vector<std::vector<ScoredItem>> recommend(std::span<const std::uint32_t> users, std::size_t k,
                                                 bool exclude_seen, int threads,
                                                 std::vector<std::string>* routes) const;
  // Top-k for users unknown to the model, from their attributes (content path or popularity).
  std::vector<std::vector<ScoredItem>> recommend_new_users(
      const std::vector<std::map<std::string, std::string>>& attributes, std::size_t k,
      std::vector<std::string>* routes) const;
  // The k most similar other items: cosine of item vectors, else the family's
  // learned similarity; throws for a family with neither.
  std::vector<std::vector<ScoredItem>> similar_items(std::span<const std::uint32_t> items, std::size_t k) const;
  std::vector<float> score(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items) const;
  // The model's metrics (evaluator's JSON) on `part` of the data it was trained
  // on, split as training split it. Returns JSON text.
  std::string evaluate(const std::string& data_path, const std::string& users_file, const std::string& items_file,
                       const std::string& part, const std::vector<int>& ks) const;

 private:
  std::shared_ptr<const ModelBundle> bundle_;
  nlohmann::json metrics_, history_;
};

}  // namespace hybridrec
