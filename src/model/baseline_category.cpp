#include <algorithm>

#include "core/error.h"
#include "model/baselines.h"

namespace hybridrec {

namespace {
// Keeps items outside the user's categories in popularity order, behind the others.
constexpr float kOutsideAffinity = 0.001f;
}  // namespace

void CategoryBaseline::fit(const TrainingContext& context) {
  if (!context.dataset || !context.split) throw Error("category baseline: fit needs a dataset and a split");
  const Dataset& dataset = *context.dataset;
  const PopularityWeights weights = PopularityWeights::from_config(context.config);

  const auto popularity = weighted_item_popularity(dataset, *context.split, weights, 0.0, context.shards);
  const double top = popularity.empty() ? 0.0 : *std::max_element(popularity.begin(), popularity.end());
  popularity_.assign(popularity.size(), 0.0f);
  if (top > 0.0)
    for (std::size_t i = 0; i < popularity.size(); ++i) popularity_[i] = static_cast<float>(popularity[i] / top);

  categories_ = item_category_sets(dataset);
  num_categories_ = 0;
  for (const auto& set : categories_)
    if (!set.empty()) num_categories_ = std::max<std::size_t>(num_categories_, set.back() + 1);

  // Group the training interactions by user (counting sort) so that shares are
  // accumulated one user at a time in a dense scratch row.
  const std::size_t num_users = dataset.num_users();
  std::vector<std::size_t> start(num_users + 1, 0);
  for (std::uint32_t index : context.split->train) ++start[dataset.interactions[index].user + 1];
  for (std::size_t u = 0; u < num_users; ++u) start[u + 1] += start[u];
  std::vector<std::uint32_t> by_user(context.split->train.size());
  {
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::uint32_t index : context.split->train) by_user[fill[dataset.interactions[index].user]++] = index;
  }

  share_offsets_.assign(num_users + 1, 0);
  share_category_.clear();
  share_value_.clear();
  std::vector<double> scratch(num_categories_, 0.0);
  std::vector<std::int32_t> touched;
  for (std::size_t u = 0; u < num_users; ++u) {
    double total = 0.0;
    touched.clear();
    if (num_categories_ > 0) {
      for (std::size_t j = start[u]; j < start[u + 1]; ++j) {
        const Interaction& x = dataset.interactions[by_user[j]];
        const auto& set = categories_[x.item];
        if (set.empty()) continue;
        // A multi-genre item splits its event evenly so every event counts once.
        const double w = weights.of(x.event) / static_cast<double>(set.size());
        for (std::int32_t c : set) {
          if (scratch[c] == 0.0) touched.push_back(c);
          scratch[c] += w;
          total += w;
        }
      }
    }
    std::sort(touched.begin(), touched.end());
    for (std::int32_t c : touched) {
      if (total > 0.0 && scratch[c] > 0.0) {
        share_category_.push_back(c);
        share_value_.push_back(static_cast<float>(scratch[c] / total));
      }
      scratch[c] = 0.0;
    }
    share_offsets_[u + 1] = share_category_.size();
  }
}

bool CategoryBaseline::has_history(std::uint32_t user) const {
  return user + 1 < share_offsets_.size() && share_offsets_[user + 1] > share_offsets_[user];
}

std::vector<std::pair<std::int32_t, float>> CategoryBaseline::user_shares(std::uint32_t user) const {
  std::vector<std::pair<std::int32_t, float>> shares;
  if (!has_history(user)) return shares;
  for (std::size_t j = share_offsets_[user]; j < share_offsets_[user + 1]; ++j)
    shares.emplace_back(share_category_[j], share_value_[j]);
  return shares;
}

void CategoryBaseline::load_shares(std::uint32_t user, std::vector<float>& dense) const {
  for (std::size_t j = share_offsets_[user]; j < share_offsets_[user + 1]; ++j) dense[share_category_[j]] = share_value_[j];
}

void CategoryBaseline::clear_shares(std::uint32_t user, std::vector<float>& dense) const {
  for (std::size_t j = share_offsets_[user]; j < share_offsets_[user + 1]; ++j) dense[share_category_[j]] = 0.0f;
}

float CategoryBaseline::affinity(std::uint32_t, std::uint32_t item, const std::vector<float>& dense) const {
  float a = 0.0f;
  for (std::int32_t c : categories_[item]) a += dense[c];
  return a;
}

void CategoryBaseline::score_all(std::span<const std::uint32_t> users, float* out) const {
  const std::size_t n = popularity_.size();
  std::vector<float> dense(num_categories_, 0.0f);  // one scratch row per call, not per user
  for (std::size_t u = 0; u < users.size(); ++u) {
    float* row = out + u * n;
    const std::uint32_t user = users[u];
    if (!has_history(user)) {  // cold user (or no categories): plain popularity
      std::copy(popularity_.begin(), popularity_.end(), row);
      continue;
    }
    load_shares(user, dense);
    for (std::uint32_t i = 0; i < n; ++i) row[i] = popularity_[i] * (affinity(user, i, dense) + kOutsideAffinity);
    clear_shares(user, dense);
  }
}

void CategoryBaseline::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                   float* out) const {
  std::vector<float> dense(num_categories_, 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const std::uint32_t user = users[k], item = items[k];
    if (!has_history(user)) {
      out[k] = popularity_[item];
      continue;
    }
    load_shares(user, dense);
    out[k] = popularity_[item] * (affinity(user, item, dense) + kOutsideAffinity);
    clear_shares(user, dense);
  }
}

}  // namespace hybridrec
