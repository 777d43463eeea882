#include "eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/business_metrics.h"
#include "eval/fairness.h"
#include "eval/per_user_results.h"
#include "eval/prediction_metrics.h"
#include "eval/ranking_metrics.h"
#include "eval/user_item_lists.h"
#include "model/routing.h"
#include "model/baselines.h"

namespace hybridrec {

namespace {

// Users scored per score_all call: large enough to amortise the call (a matrix
// product for the neural models), capped so that a thread's score buffer
// (block x items floats) stays at most 16 MB on huge catalogues.
constexpr std::size_t kBlockUsers = 32;
constexpr std::size_t kMaxBufferFloats = std::size_t{1} << 22;

bool better(float a_score, std::uint32_t a, float b_score, std::uint32_t b) {
  return a_score > b_score || (a_score == b_score && a < b);  // top_k's order
}

// 1 / rank of the best relevant item in the full ranking without training items,
// ties broken like top_k. O(items), so MRR is exact rather than cut at max K.
double full_rank_reciprocal(std::span<const float> scores, std::span<const std::uint32_t> relevant,
                            std::span<const std::uint32_t> excluded) {
  std::uint32_t best = relevant[0];
  for (std::uint32_t item : relevant)
    if (better(scores[item], item, scores[best], best)) best = item;
  const float s = scores[best];
  std::size_t ahead = 0;
  for (std::uint32_t i = 0; i < scores.size(); ++i) ahead += better(scores[i], i, s, best);
  for (std::uint32_t item : excluded) ahead -= better(scores[item], item, s, best);
  return 1.0 / static_cast<double>(ahead + 1);
}

using eval_detail::PerUser;
using eval_detail::RankedUser;

const std::vector<std::uint32_t>& part_indices(const Split& split, const std::string& part) {
  if (part == "test") return split.test;
  if (part == "validation") return split.validation;
  throw ConfigError("evaluation: part must be 'test' or 'validation', got '" + part + "'");
}

double nan_to_null_mean(double sum, std::size_t n) { return n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN(); }

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

// RMSE/MAE against test positives (label 1) and sampled never-interacted items
// (label 0) at the training ratio; on explicit data also in rating units.
nlohmann::json prediction_section(const Recommender& model, const Recommender& fallback, const Dataset& dataset,
                                  const std::vector<RankedUser>& users, const UserItemLists& relevant,
                                  const std::vector<std::uint32_t>& part, const UserItemLists& train,
                                  const EvalOptions& options) {
  const UserItemLists interacted = UserItemLists::build_all(dataset);
  const std::size_t n = dataset.num_items();
  std::vector<std::uint32_t> model_users, model_items, fb_users, fb_items;
  std::vector<float> model_labels, fb_labels;
  std::size_t positives = 0, negatives = 0;
  std::vector<std::uint32_t> complement;
  for (const RankedUser& ru : users) {
    auto& us = ru.by_fallback ? fb_users : model_users;
    auto& is = ru.by_fallback ? fb_items : model_items;
    auto& ls = ru.by_fallback ? fb_labels : model_labels;
    for (std::uint32_t item : relevant.of(ru.user)) {
      us.push_back(ru.user), is.push_back(item), ls.push_back(1.0f);
      ++positives;
    }
    const auto seen = interacted.of(ru.user);
    if (seen.size() >= n) continue;
    const std::size_t want = relevant.count(ru.user) * static_cast<std::size_t>(std::max(0, options.negatives_per_positive));
    // Seeded per user so labels do not depend on evaluation order.
    std::mt19937_64 rng(options.seed * 0x9e3779b97f4a7c15ULL + ru.user);
    const bool dense_user = seen.size() * 2 > n;  // rejection sampling would spin: draw from the complement
    if (dense_user) {
      complement.clear();
      for (std::uint32_t i = 0, j = 0; i < n; ++i) {
        while (j < seen.size() && seen[j] < i) ++j;
        if (j == seen.size() || seen[j] != i) complement.push_back(i);
      }
    }
    std::uniform_int_distribution<std::uint32_t> any(0, static_cast<std::uint32_t>(n - 1));
    for (std::size_t k = 0; k < want; ++k) {
      std::uint32_t item;
      if (dense_user) {
        item = complement[std::uniform_int_distribution<std::size_t>(0, complement.size() - 1)(rng)];
      } else {
        do item = any(rng);
        while (std::binary_search(seen.begin(), seen.end(), item));
      }
      us.push_back(ru.user), is.push_back(item), ls.push_back(0.0f);
      ++negatives;
    }
  }
  std::vector<float> predicted(model_users.size() + fb_users.size());
  model.score_pairs(model_users, model_items, predicted.data());
  fallback.score_pairs(fb_users, fb_items, predicted.data() + model_users.size());
  std::vector<float> labels = model_labels;
  labels.insert(labels.end(), fb_labels.begin(), fb_labels.end());
  ErrorMetrics errors = prediction_errors(predicted, labels);
  if (options.shards) {
    errors = eval_detail::combine_errors(*options.shards, errors);
    positives = options.shards->sum(std::uint64_t{positives});
    negatives = options.shards->sum(std::uint64_t{negatives});
  }

  nlohmann::json out{{"rmse", errors.rmse}, {"mae", errors.mae}, {"pairs", errors.count},
                     {"positives", positives}, {"negatives", negatives},
                     {"negatives_per_positive", options.negatives_per_positive}};

  if (dataset.explicit_ratings) {
    // Rating mode: each held-out rating (the latest when a pair repeats) against
    // the score mapped onto the rating scale.
    std::vector<char> fb_user(dataset.num_users(), 0), evaluated(dataset.num_users(), 0);
    for (const RankedUser& ru : users) evaluated[ru.user] = 1, fb_user[ru.user] = ru.by_fallback;
    std::vector<std::uint32_t> rated;
    for (std::uint32_t index : part) {
      const Interaction& x = dataset.interactions[index];
      const auto trained = train.of(x.user);
      if (evaluated[x.user] && std::isfinite(x.value) && !std::binary_search(trained.begin(), trained.end(), x.item))
        rated.push_back(index);
    }
    std::sort(rated.begin(), rated.end(), [&](std::uint32_t a, std::uint32_t b) {
      const auto &x = dataset.interactions[a], &y = dataset.interactions[b];
      return std::tie(x.user, x.item, x.timestamp) < std::tie(y.user, y.item, y.timestamp);
    });
    std::vector<std::uint32_t> ru_u, ru_i, rf_u, rf_i;
    std::vector<float> r_labels, f_labels;
    for (std::size_t k = 0; k < rated.size(); ++k) {
      const Interaction& x = dataset.interactions[rated[k]];
      if (k + 1 < rated.size() && dataset.interactions[rated[k + 1]].user == x.user &&
          dataset.interactions[rated[k + 1]].item == x.item)
        continue;  // keep the latest rating of the pair
      (fb_user[x.user] ? rf_u : ru_u).push_back(x.user);
      (fb_user[x.user] ? rf_i : ru_i).push_back(x.item);
      (fb_user[x.user] ? f_labels : r_labels).push_back(x.value);
    }
    std::vector<float> scores(ru_u.size() + rf_u.size());
    model.score_pairs(ru_u, ru_i, scores.data());
    fallback.score_pairs(rf_u, rf_i, scores.data() + ru_u.size());
    for (float& s : scores) s = score_to_rating(s, dataset.rating_min, dataset.rating_max);
    r_labels.insert(r_labels.end(), f_labels.begin(), f_labels.end());
    ErrorMetrics rating = prediction_errors(scores, r_labels);
    if (options.shards) rating = eval_detail::combine_errors(*options.shards, rating);
    out["rating_rmse"] = rating.rmse;
    out["rating_mae"] = rating.mae;
    out["rating_pairs"] = rating.count;
  }
  return out;
}

}  // namespace

int primary_k(const std::vector<int>& ks) {
  if (std::find(ks.begin(), ks.end(), 10) != ks.end()) return 10;
  return ks.empty() ? 10 : *std::max_element(ks.begin(), ks.end());
}

nlohmann::json evaluate(const Recommender& model, const Dataset& dataset, const Split& split,
                        const EvalOptions& options, const Recommender* fallback) {
  const auto started = std::chrono::steady_clock::now();
  const RankingMetricSet set(options.ks);
  const std::vector<std::uint32_t>& part = part_indices(split, options.part);
  const std::size_t n = dataset.num_items();
  if (model.num_items() != n)
    throw Error("evaluation: model '" + model.type() + "' scores " + std::to_string(model.num_items()) +
                " items but the dataset has " + std::to_string(n));

  std::unique_ptr<PopularityBaseline> own_fallback;
  if (!fallback) {
    own_fallback = std::make_unique<PopularityBaseline>();
    TrainingContext context;
    context.dataset = &dataset;
    context.split = &split;
    context.shards = options.shards;
    own_fallback->fit(context);
    fallback = own_fallback.get();
  }
  if (fallback->num_items() != n) throw Error("evaluation: the fallback scores a different number of items");

  const UserItemLists train = UserItemLists::build(dataset, split.train);
  const UserItemLists in_part = UserItemLists::build(dataset, part);
  const UserItemLists relevant = in_part.minus(train);

  std::vector<std::size_t> degree(n, 0);  // distinct training users per item
  for (std::uint32_t u = 0; u < train.num_users(); ++u)
    for (std::uint32_t item : train.of(u)) ++degree[item];
  if (options.shards) {  // users are disjoint across shards: distinct-user counts add up
    std::vector<std::uint64_t> wide(degree.begin(), degree.end());
    options.shards->sum(wide);
    std::copy(wide.begin(), wide.end(), degree.begin());
  }

  std::vector<RankedUser> users;
  std::size_t users_in_part = 0, without_relevant = 0;
  for (std::uint32_t u = 0; u < in_part.num_users(); ++u) {
    if (!in_part.count(u)) continue;
    ++users_in_part;
    if (!relevant.count(u)) {  // everything they did in this part was already in train
      ++without_relevant;
      continue;
    }
    const bool cold = train.count(u) == 0;
    const Route route = route_user(model, options.cold_user_path, UserFacts{true, !cold, false});
    users.push_back({u, cold, route == Route::popularity});
  }
  // Model users first, fallback users after: blocks then never mix the two scorers.
  std::stable_partition(users.begin(), users.end(), [](const RankedUser& r) { return !r.by_fallback; });

  const std::size_t max_k = set.max_k();
  const std::size_t num_ks = set.ks().size();
  const bool full = !options.ranking_only;
  PerUser per;
  per.width = set.width();
  per.max_k = max_k;
  per.num_ks = num_ks;
  per.metrics.assign(users.size() * per.width, 0.0);
  per.top.assign(users.size() * max_k, 0);
  per.top_len.assign(users.size(), 0);
  per.cold_relevant.assign(users.size(), 0);
  per.cold_hits.assign(users.size() * num_ks, 0);
  per.serendipity.assign(users.size() * num_ks, 0.0);

  // Blocks of consecutive users that share one scorer.
  const std::size_t block_size = std::clamp<std::size_t>(kMaxBufferFloats / std::max<std::size_t>(n, 1), 1, kBlockUsers);
  std::vector<std::pair<std::size_t, std::size_t>> blocks;
  for (std::size_t b = 0; b < users.size();) {
    std::size_t e = b;
    while (e < users.size() && e - b < block_size && users[e].by_fallback == users[b].by_fallback) ++e;
    blocks.emplace_back(b, e);
    b = e;
  }

  const int threads = std::max(1, options.threads);
#pragma omp parallel num_threads(threads)
  {
    // Per-thread buffers, reused for every block and user.
    std::vector<float> scores(block_size * n), popular_scores(full ? block_size * n : 0);
    std::vector<std::uint32_t> block_users(block_size), popular_top;
    std::vector<std::uint8_t> is_relevant(n, 0), hits(max_k);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const auto [begin, end] = blocks[b];
      const std::size_t count = end - begin;
      for (std::size_t j = 0; j < count; ++j) block_users[j] = users[begin + j].user;
      const std::span<const std::uint32_t> ids(block_users.data(), count);
      (users[begin].by_fallback ? *fallback : model).score_all(ids, scores.data());
      if (full) fallback->score_all(ids, popular_scores.data());

      for (std::size_t j = 0; j < count; ++j) {
        const std::size_t pos = begin + j;
        const std::uint32_t user = users[pos].user;
        const auto excluded = train.of(user);
        const auto rel = relevant.of(user);
        const std::span<const float> row(scores.data() + j * n, n);
        const auto top = top_k(row, max_k, excluded);

        for (std::uint32_t item : rel) is_relevant[item] = 1;
        std::size_t cold_rel = 0;
        for (std::uint32_t item : rel) cold_rel += degree[item] == 0;
        per.cold_relevant[pos] = static_cast<std::uint32_t>(cold_rel);
        per.top_len[pos] = static_cast<std::uint32_t>(top.size());
        for (std::size_t r = 0; r < top.size(); ++r) {
          per.top[pos * max_k + r] = top[r].item;
          hits[r] = is_relevant[top[r].item];
        }
        const std::span<const std::uint8_t> hit_span(hits.data(), top.size());
        set.compute(hit_span, rel.size(), full_rank_reciprocal(row, rel, excluded), &per.metrics[pos * per.width]);

        for (std::size_t q = 0; q < num_ks; ++q) {
          const std::size_t k = std::min<std::size_t>(set.ks()[q], top.size());
          std::uint32_t cold_hit = 0;
          for (std::size_t r = 0; r < k; ++r) cold_hit += hits[r] && degree[top[r].item] == 0;
          per.cold_hits[pos * num_ks + q] = cold_hit;
        }
        if (full) {
          const auto popular = top_k(std::span<const float>(popular_scores.data() + j * n, n), max_k, excluded);
          for (std::size_t q = 0; q < num_ks; ++q) {
            const std::size_t k = std::min<std::size_t>(set.ks()[q], top.size());
            popular_top.clear();
            for (std::size_t r = 0; r < std::min(k, popular.size()); ++r) popular_top.push_back(popular[r].item);
            std::sort(popular_top.begin(), popular_top.end());
            const std::span<const std::uint32_t> list(&per.top[pos * max_k], k);
            per.serendipity[pos * num_ks + q] = serendipity(list, rel, popular_top);
          }
        }
        for (std::uint32_t item : rel) is_relevant[item] = 0;
      }
    }
  }

  if (options.shards) {
    eval_detail::gather_user_results(*options.shards, users, per);
    std::uint64_t counts[2] = {users_in_part, without_relevant};
    options.shards->sum(counts, 2);
    users_in_part = counts[0], without_relevant = counts[1];
  }

  // --- aggregation ------------------------------------------------------------
  RankingMeans all(set), new_users(set), active_users(set);
  for (std::size_t w = 0; w < without_relevant; ++w) all.add_without_relevant();
  std::size_t cold_users = 0, cold_by_model = 0, cold_by_fallback = 0;
  for (std::size_t pos = 0; pos < users.size(); ++pos) {
    const double* row = &per.metrics[pos * per.width];
    all.add(row);
    (users[pos].cold ? new_users : active_users).add(row);
    if (users[pos].cold) {
      ++cold_users;
      ++(users[pos].by_fallback ? cold_by_fallback : cold_by_model);
    }
  }

  nlohmann::json result;
  result["model"] = model.type();
  result["part"] = options.part;
  result["ks"] = set.ks();
  const int pk = primary_k(set.ks());
  result["primary_k"] = pk;
  result["users_in_part"] = users_in_part;
  result["users_evaluated"] = users.size();
  result["users_without_relevant"] = without_relevant;
  nlohmann::json ranking = all.to_json();
  ranking["map"] = ranking["map@" + std::to_string(pk)];  // the specification's unsuffixed MAP
  result["ranking"] = ranking;
  result["cold_start_paths"] = {{"cold_users", cold_users},
                                {"served_by_model", cold_by_model},
                                {"served_by_fallback", cold_by_fallback},
                                {"model_serves_cold_users", model.serves_cold_users()},
                                {"fallback", fallback->type()}};

  if (full) {
    // Segments: new (no training history) vs active users, and cold-start items.
    nlohmann::json segments;
    segments["new_users"] = new_users.to_json();
    segments["new_users"]["users"] = new_users.users();
    segments["active_users"] = active_users.to_json();
    segments["active_users"]["users"] = active_users.users();
    nlohmann::json cold_items{{"users", 0}, {"relevant_items", 0}};
    std::size_t users_with_cold = 0, cold_total = 0;
    std::vector<double> recall_sum(num_ks, 0.0), hit_sum(num_ks, 0.0);
    for (std::size_t pos = 0; pos < users.size(); ++pos) {
      if (!per.cold_relevant[pos]) continue;
      ++users_with_cold;
      cold_total += per.cold_relevant[pos];
      for (std::size_t q = 0; q < num_ks; ++q) {
        recall_sum[q] += static_cast<double>(per.cold_hits[pos * num_ks + q]) / per.cold_relevant[pos];
        hit_sum[q] += per.cold_hits[pos * num_ks + q] > 0;
      }
    }
    cold_items["users"] = users_with_cold;
    cold_items["relevant_items"] = cold_total;
    for (std::size_t q = 0; q < num_ks; ++q) {
      const std::string k = std::to_string(set.ks()[q]);
      cold_items["recall@" + k] = users_with_cold ? recall_sum[q] / users_with_cold : 0.0;
      cold_items["hit_rate@" + k] = users_with_cold ? hit_sum[q] / users_with_cold : 0.0;
    }
    segments["cold_items"] = cold_items;
    result["segments"] = segments;

    // Business metrics at every K; the unsuffixed values are at the primary K.
    const auto categories = item_category_sets(dataset);
    const NoveltyModel novelty(degree, [&] {
      std::size_t trained_users = 0;
      for (std::uint32_t u = 0; u < train.num_users(); ++u) trained_users += train.count(u) > 0;
      return options.shards ? static_cast<std::size_t>(options.shards->sum(std::uint64_t{trained_users})) : trained_users;
    }());
    nlohmann::json business;
    std::vector<std::uint32_t> pooled;
    for (std::size_t q = 0; q < num_ks; ++q) {
      const std::string k = std::to_string(set.ks()[q]);
      pooled.clear();
      double diversity_sum = 0.0, novelty_sum = 0.0, info_sum = 0.0, seren_sum = 0.0;
      std::size_t diversity_users = 0;
      for (std::size_t pos = 0; pos < users.size(); ++pos) {
        const std::size_t len = std::min<std::size_t>(set.ks()[q], per.top_len[pos]);
        const std::span<const std::uint32_t> list(&per.top[pos * max_k], len);
        pooled.insert(pooled.end(), list.begin(), list.end());
        if (!categories.empty()) {
          const double d = intra_list_diversity(list, categories);
          if (!std::isnan(d)) diversity_sum += d, ++diversity_users;
        }
        novelty_sum += novelty.mean_rank_novelty(list);
        info_sum += novelty.mean_self_information(list);
        seren_sum += per.serendipity[pos * num_ks + q];
      }
      const double u = static_cast<double>(users.size());
      business["coverage@" + k] = catalog_coverage(pooled, n);
      business["diversity@" + k] = number_or_null(nan_to_null_mean(diversity_sum, diversity_users));
      business["novelty@" + k] = users.empty() ? 0.0 : novelty_sum / u;
      business["self_information@" + k] = users.empty() ? 0.0 : info_sum / u;
      business["serendipity@" + k] = users.empty() ? 0.0 : seren_sum / u;
    }
    const std::string p = fmt::format("@{}", pk);
    for (const char* name : {"coverage", "diversity", "novelty", "self_information", "serendipity"})
      business[name] = business[std::string(name) + p];
    result["business"] = business;

    // Fairness: DP on mean hit rate@K, EO on mean recall@K across user groups.
    nlohmann::json fairness{{"demographic_parity", nullptr}, {"equal_opportunity", nullptr},
                            {"k", pk}, {"dp_metric", "hit_rate" + p}, {"eo_metric", "recall" + p}};
    UserGroups groups;
    if (user_groups(dataset, options.group_by, groups)) {
      std::vector<std::int32_t> group_of(users.size());
      std::vector<double> hit(users.size()), recall(users.size());
      const std::size_t hit_col = set.column("hit_rate" + p), recall_col = set.column("recall" + p);
      for (std::size_t pos = 0; pos < users.size(); ++pos) {
        group_of[pos] = groups.group[users[pos].user];
        hit[pos] = per.metrics[pos * per.width + hit_col];
        recall[pos] = per.metrics[pos * per.width + recall_col];
      }
      const GroupGap dp = group_gap(group_of, hit, groups.labels.size());
      const GroupGap eo = group_gap(group_of, recall, groups.labels.size());
      fairness["group_by"] = groups.attribute;
      fairness["demographic_parity"] = dp.gap;
      fairness["equal_opportunity"] = eo.gap;
      nlohmann::json per_group = nlohmann::json::object();
      std::size_t missing = 0;
      for (std::int32_t g : group_of) missing += g < 0;
      for (std::size_t g = 0; g < groups.labels.size(); ++g) {
        if (!dp.users[g]) continue;
        per_group[groups.labels[g]] = {{"users", dp.users[g]}, {"hit_rate" + p, dp.means[g]}, {"recall" + p, eo.means[g]}};
      }
      fairness["groups"] = per_group;
      fairness["users_without_group"] = missing;
    } else {
      fairness["group_by"] = nullptr;
      fairness["note"] = "the dataset has no user attribute to group by";
    }
    result["fairness"] = fairness;

    result["prediction"] = prediction_section(model, *fallback, dataset, users, relevant, part, train, options);
  }
  result["elapsed_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace hybridrec
