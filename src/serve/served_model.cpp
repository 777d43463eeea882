#include "serve/served_model.h"

#include <algorithm>

#include <Eigen/Core>

#include "model/abilities.h"
#include "model/routing.h"
#include "serve/mmr.h"
#include "serve/request_error.h"

namespace hybridrec::serve {

AnnMode parse_ann_mode(const std::string& text) {
  if (text == "auto") return AnnMode::automatic;
  if (text == "on") return AnnMode::on;
  if (text == "off") return AnnMode::off;
  throw ConfigError("--ann expects auto, on or off, got '" + text + "'");
}

namespace {

bool better(const ScoredItem& a, const ScoredItem& b) { return a.score > b.score || (a.score == b.score && a.item < b.item); }

// Walks a best-first list, skipping excluded items and items outside the category,
// until `want` items are collected.
std::vector<ScoredItem> take(const std::vector<ScoredItem>& ranked, std::size_t want,
                             std::span<const std::uint32_t> exclude_sorted, const std::vector<bool>* category) {
  std::vector<ScoredItem> out;
  out.reserve(want);
  for (const auto& s : ranked) {
    if (out.size() >= want) break;
    if (category && !(*category)[s.item]) continue;
    if (!exclude_sorted.empty() && std::binary_search(exclude_sorted.begin(), exclude_sorted.end(), s.item)) continue;
    out.push_back(s);
  }
  return out;
}

}  // namespace

ServedModel::ServedModel(std::string model_id, std::string version, const std::filesystem::path& dir,
                         const ServingOptions& options)
    : model_id_(std::move(model_id)),
      version_(std::move(version)),
      options_(options),
      bundle_(ModelBundle::load(dir)),
      catalog_(ItemCatalog::from(bundle_)),
      cache_(options.cache_bytes) {
  // Request threads are the parallelism: one request scores on one core. Eigen
  // would otherwise split every product of a request over OpenMP threads of its
  // own (outside an active parallel region it uses all cores), and on a loaded
  // machine those spinning teams made a 1,682-item request take ~400 ms instead
  // of well under one. The setting is process-wide, which is what a server wants.
  Eigen::setNbThreads(1);
  bundle_.recommender->set_threads(1);
  popularity_ = std::make_shared<RankedList>(sorted(bundle_.popularity, true));
  const bool large = bundle_.items.size() >= options_.ann_min_items;
  const bool want_index = options_.ann == AnnMode::on || (options_.ann == AnnMode::automatic && large);
  // The candidate stage needs vectors to search; a family without them is scored exactly.
  if (want_index && bundle_.recommender->item_vectors())
    index_ = std::make_unique<CandidateIndex>(*bundle_.recommender->item_vectors(), options_.index,
                                              dir / ("candidate_index_mips_l2_m" + std::to_string(options_.index.m) + "_ef" +
                                                     std::to_string(options_.index.ef_construction) + ".hnsw"));
}

RankedList ServedModel::sorted(std::vector<float> scores, bool keep_all) const {
  RankedList list;
  list.items.resize(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) list.items[i] = {static_cast<std::uint32_t>(i), scores[i]};
  const std::size_t keep = std::max<std::size_t>(options_.kept_per_list, 1);
  if (!keep_all && list.items.size() > keep) {
    std::partial_sort(list.items.begin(), list.items.begin() + static_cast<std::ptrdiff_t>(keep), list.items.end(), better);
    list.items.resize(keep);
    list.complete = false;
  } else {
    std::sort(list.items.begin(), list.items.end(), better);
  }
  return list;
}

RankedList ServedModel::exact_ranking(std::uint32_t user) const {
  std::vector<float> scores(bundle_.items.size());
  bundle_.recommender->score_all(std::span<const std::uint32_t>(&user, 1), scores.data());
  return sorted(std::move(scores), true);
}

RankedList ServedModel::approximate_ranking(std::uint32_t user) const {
  // Reference points for the linearisation: the user's own items, then popular ones.
  std::vector<std::uint32_t> reference;
  const auto& seen = user < bundle_.seen.size() ? bundle_.seen[user] : std::vector<std::uint32_t>{};
  for (std::size_t i = 0; i < seen.size() && reference.size() < 48; ++i) reference.push_back(seen[i * seen.size() / std::min<std::size_t>(seen.size(), 48)]);
  for (std::size_t i = 0; i < popularity_->items.size() && reference.size() < 64; ++i) reference.push_back(popularity_->items[i].item);
  std::sort(reference.begin(), reference.end());
  reference.erase(std::unique(reference.begin(), reference.end()), reference.end());
  const auto query = bundle_.recommender->item_vectors()->candidate_query(user, reference);
  // Seen items are dropped later, so ask for enough that they do not eat the budget.
  auto candidates = index_->search(query, options_.ann_candidates + seen.size());
  std::vector<float> scores(candidates.size());
  bundle_.recommender->score_items(user, candidates, scores.data());
  RankedList list;
  list.complete = candidates.size() == bundle_.items.size();
  for (std::size_t i = 0; i < candidates.size(); ++i) list.items.push_back({candidates[i], scores[i]});
  std::sort(list.items.begin(), list.items.end(), better);
  return list;
}

std::shared_ptr<const RankedList> ServedModel::known_user_ranking(std::uint32_t user, std::string& stage) const {
  stage = index_ ? "approximate" : "exact";
  if (auto hit = cache_.find(user)) return hit;
  std::shared_ptr<const RankedList> list;
  if (index_) {
    list = std::make_shared<RankedList>(approximate_ranking(user));
  } else {
    std::vector<float> scores(bundle_.items.size());
    bundle_.recommender->score_all(std::span<const std::uint32_t>(&user, 1), scores.data());
    list = std::make_shared<RankedList>(sorted(std::move(scores), false));
  }
  cache_.insert(user, list);
  return list;
}

RecommendAnswer ServedModel::recommend(const RecommendQuery& q) const {
  const std::vector<bool>* category = nullptr;
  if (q.category) {
    if (catalog_.categories.empty())
      throw RequestError(400, "model " + model_id_ + " has no item categories to filter on (parameter 'category')");
    auto it = catalog_.categories.find(*q.category);
    if (it == catalog_.categories.end()) {
      std::string known;
      for (const auto& [name, members] : catalog_.categories)
        if (known.size() < 400) known += (known.empty() ? "" : ", ") + name;
      throw RequestError(400, "unknown category '" + q.category->substr(0, 80) + "' (model " + model_id_ + " knows: " + known + ")");
    }
    category = &it->second;
  }
  RecommendAnswer answer;
  answer.candidate_stage = "exact";
  std::shared_ptr<const RankedList> ranked;
  std::span<const std::uint32_t> exclude;
  auto index = bundle_.users.find(q.user_id);
  answer.known_user = index.has_value();
  const Route route = index ? bundle_.route(*index) : bundle_.route_new_user(!q.attributes.empty());
  answer.served_by = route_name(route);
  if (index && q.exclude_seen && *index < bundle_.seen.size()) exclude = bundle_.seen[*index];
  if (route == Route::popularity) {
    ranked = popularity_;
  } else if (index) {  // the model, or its cold path for a known user without history
    ranked = known_user_ranking(*index, answer.candidate_stage);
  } else {  // content path from the request's (or the user store's) attributes
    std::vector<float> dense(bundle_.feature_builder->user_dense_dim());
    std::vector<std::int32_t> cats(bundle_.feature_builder->user_categorical_cardinality().size());
    CategoricalBags bags;  // a multi-valued attribute ("genre=a|b") uses every value
    bundle_.feature_builder->user_from_attributes(q.attributes, dense.data(), cats.data(), &bags);
    std::vector<float> scores(bundle_.items.size());
    bundle_.recommender->content_scoring()->score_new_user(dense.data(), cats.data(), scores.data(), &bags);
    // A filter may need to reach deep into the list: keep it whole then.
    ranked = std::make_shared<RankedList>(sorted(std::move(scores), category != nullptr));
  }

  const ItemSimilarityFn similarity = q.diversity > 0 ? catalog_.similarity(bundle_) : ItemSimilarityFn{};
  const bool diversify = q.diversity > 0 && similarity;
  // MMR chooses among the best few candidates: enough room to trade relevance for
  // variety without reaching deep into the tail.
  const std::size_t want = diversify ? std::min<std::size_t>(std::max<std::size_t>(q.k * 5, 50), 5000) : q.k;
  auto picked = take(ranked->items, want, exclude, category);
  if (picked.size() < std::min(want, bundle_.items.size()) && !ranked->complete && index) {
    // The kept top (or the candidates) ran out under the filters: score everything.
    answer.candidate_stage = "exact";
    ranked = std::make_shared<RankedList>(exact_ranking(*index));
    picked = take(ranked->items, want, exclude, category);
  }
  if (diversify) {
    answer.items = mmr_rerank(picked, q.k, q.diversity, similarity);
    answer.diversified = true;
  } else {
    picked.resize(std::min(picked.size(), q.k));
    answer.items = std::move(picked);
  }
  return answer;
}

}  // namespace hybridrec::serve
