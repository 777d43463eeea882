#include "serve/served_model.h"

#include <algorithm>
#include <cmath>

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

constexpr std::size_t kKeepAll = static_cast<std::size_t>(-1);

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
      cache_(options.cache_bytes),
      weighting_(PositiveWeighting::from_config(bundle_.config)) {
  // Request threads are the parallelism: one request scores on one core. Eigen
  // would otherwise split every product of a request over OpenMP threads of its
  // own (outside an active parallel region it uses all cores), and on a loaded
  // machine those spinning teams made a 1,682-item request take ~400 ms instead
  // of well under one. The setting is process-wide, which is what a server wants.
  Eigen::setNbThreads(1);
  bundle_.recommender->set_threads(1);
  // Scaled to [0, 1] (the top item 1) as offline recommend and batch recommend
  // report it: a fallback answer beside a model's 0-1 scores never shows raw counts.
  popularity_ = std::make_shared<RankedList>(sorted(bundle_.popularity_scores(), kKeepAll));
  if (bundle_.feature_builder && !bundle_.training_behaviour)
    item_category_ = bundle_.feature_builder->item_category_codes(bundle_.features.items);
  feature_fold_in_ = bundle_.recommender->feature_fold_in() && bundle_.feature_builder && bundle_.training_behaviour &&
                     bundle_.features.users.size() == bundle_.users.size() &&
                     bundle_.training_behaviour->num_users() == bundle_.users.size();
  const bool large = bundle_.items.size() >= options_.ann_min_items;
  const bool want_index = options_.ann == AnnMode::on || (options_.ann == AnnMode::automatic && large);
  // The candidate stage needs vectors to search; a family without them is scored exactly.
  if (want_index && bundle_.recommender->item_vectors())
    index_ = std::make_unique<CandidateIndex>(*bundle_.recommender->item_vectors(), options_.index,
                                              dir / ("candidate_index_mips_l2_m" + std::to_string(options_.index.m) + "_ef" +
                                                     std::to_string(options_.index.ef_construction) + ".hnsw"));
}

namespace {
bool all_finite(const std::vector<float>& scores) {
  return std::all_of(scores.begin(), scores.end(), [](float s) { return std::isfinite(s); });
}
}  // namespace

RankedList ServedModel::sorted(std::vector<float> scores, std::size_t keep) const {
  RankedList list;
  // NaN would also break the sort's ordering, so check before sorting.
  if (!all_finite(scores)) {
    list.non_finite = true;
    return list;
  }
  keep = std::max<std::size_t>(keep, 1);
  if (scores.size() > keep) {
    list.items = top_k(scores, keep);
    list.complete = false;
    return list;
  }
  list.items.resize(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) list.items[i] = {static_cast<std::uint32_t>(i), scores[i]};
  std::sort(list.items.begin(), list.items.end(), ranks_before);
  return list;
}

RankedList ServedModel::exact_ranking(std::uint32_t user) const {
  std::vector<float> scores(bundle_.items.size());
  bundle_.recommender->score_all(std::span<const std::uint32_t>(&user, 1), scores.data());
  return sorted(std::move(scores), kKeepAll);
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
  if (!all_finite(scores)) {
    list.non_finite = true;
    return list;
  }
  list.complete = candidates.size() == bundle_.items.size();
  for (std::size_t i = 0; i < candidates.size(); ++i) list.items.push_back({candidates[i], scores[i]});
  std::sort(list.items.begin(), list.items.end(), ranks_before);
  return list;
}

std::shared_ptr<const RankedList> ServedModel::known_user_ranking(std::uint32_t user, std::uint64_t version,
                                                                   std::size_t keep, std::string& stage) const {
  stage = index_ ? "approximate" : "exact";
  if (auto hit = cache_.find(user, version)) return hit;
  std::shared_ptr<RankedList> list;
  if (index_) {
    list = std::make_shared<RankedList>(approximate_ranking(user));
  } else {
    std::vector<float> scores(bundle_.items.size());
    bundle_.recommender->score_all(std::span<const std::uint32_t>(&user, 1), scores.data());
    list = std::make_shared<RankedList>(sorted(std::move(scores), keep));
  }
  list->history_version = version;
  cache_.insert(user, list);
  return list;
}

const char* ServedModel::fold_in_kind() const {
  if (bundle_.recommender->history_fold_in()) return "history";
  if (feature_fold_in_) return "features";
  if (bundle_.recommender->content_scoring() && bundle_.feature_builder) return "content";
  return "none";
}

std::string ServedModel::fold_in_limits() const {
  const std::string kind = fold_in_kind();
  if (kind == "history") return "";
  if (kind == "features")
    return "online events change a user's behaviour features (purchases, favourite category, recency, frequency); "
           "their id embedding stays as trained, so the items themselves reach the model only through those features";
  if (kind == "content")
    return "users of the training data keep their trained features (this model has no saved training behaviour: "
           "trained before fold-in or by sharded training); only new users are folded in, through the content path";
  return "no content branch and no closed-form user step: online events only exclude items and invalidate "
         "cached lists; new users are served by popularity";
}

std::vector<float> ServedModel::fold_in_scores(std::optional<std::uint32_t> user,
                                               std::span<const HistoryEntry> online) const {
  std::vector<float> scores(bundle_.items.size());
  bundle_.recommender->history_fold_in()->score_folded_in(user, online, scores.data());
  return scores;
}

std::vector<float> ServedModel::feature_fold_in_scores(std::uint32_t user, std::span<const HistoryEvent> history) const {
  const EntityFeatures& users = bundle_.features.users;
  const auto row = static_cast<Eigen::Index>(user);
  std::vector<float> dense(users.dense.row(row).data(), users.dense.row(row).data() + users.dense_dim());
  std::vector<std::int32_t> cats(users.num_categorical());
  CategoricalBags bags(users.num_categorical());
  for (std::size_t f = 0; f < cats.size(); ++f) {
    cats[f] = users.categorical[f][user];
    if (users.is_bag(f))
      bags[f].assign(users.bag_codes[f].begin() + users.bag_offsets[f][user],
                     users.bag_codes[f].begin() + users.bag_offsets[f][user + 1]);
  }
  bundle_.feature_builder->fold_in_user_behaviour(*bundle_.training_behaviour, user, history, dense.data(), cats.data());
  std::vector<float> scores(bundle_.items.size());
  bundle_.recommender->feature_fold_in()->score_with_user_features(user, dense.data(), cats.data(), scores.data(), &bags);
  return scores;
}

std::vector<float> ServedModel::content_scores(const RawAttributes& attributes, std::span<const HistoryEvent> history) const {
  const FeatureBuilder& features = *bundle_.feature_builder;
  std::vector<float> dense(features.user_dense_dim());
  std::vector<std::int32_t> cats(features.user_categorical_cardinality().size());
  CategoricalBags bags;  // a multi-valued attribute ("genre=a|b") uses every value
  if (history.empty())
    features.user_from_attributes(attributes, dense.data(), cats.data(), &bags);
  else if (bundle_.training_behaviour)
    features.user_from_history(attributes, history, *bundle_.training_behaviour, dense.data(), cats.data(), &bags);
  else
    features.user_from_history(attributes, history, item_category_, dense.data(), cats.data(), &bags);
  std::vector<float> scores(bundle_.items.size());
  bundle_.recommender->content_scoring()->score_new_user(dense.data(), cats.data(), scores.data(), &bags);
  return scores;
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
  auto index = bundle_.users.find(q.user_id);
  answer.known_user = index.has_value();

  // The online history in this model's item indices (an item another version's
  // catalogue has and this one lacks is skipped), as fold-in entries, as
  // behaviour events, and the items exclude_seen removes.
  std::vector<HistoryEntry> online;
  std::vector<HistoryEvent> behaviour;
  std::vector<std::uint32_t> exclude_online;
  for (const auto& e : q.online.events) {
    const auto item = bundle_.items.find(e.item_id);
    if (!item) continue;
    const Event event = e.type == FeedbackType::purchase      ? Event::Purchase
                        : e.type == FeedbackType::add_to_cart ? Event::AddToCart
                                                              : Event::View;
    online.push_back({*item, weighting_.event_weights[static_cast<int>(event)]});
    behaviour.push_back({*item, event, e.timestamp});
    if (std::find(options_.exclude_event_types.begin(), options_.exclude_event_types.end(), e.type) !=
        options_.exclude_event_types.end())
      exclude_online.push_back(*item);
  }

  UserFacts facts;
  facts.known = index.has_value();
  facts.has_history = index && *index < bundle_.seen.size() && !bundle_.seen[*index].empty();
  facts.has_attributes = !index && !q.attributes.empty() && bundle_.feature_builder;
  facts.online_events = online.size();
  facts.fold_in_min_events = options_.fold_in_min_events;
  facts.training_behaviour = feature_fold_in_;
  Route route = route_user(*bundle_.recommender, bundle_.cold_user_path(), facts);
  const bool content_from_history = route == Route::content && !online.empty() && !facts.has_history;
  if (route == Route::content && !bundle_.feature_builder) route = Route::popularity;
  // Fold-in by recomputed behaviour features (FeatureFoldIn) rather than by the history vector.
  const bool by_features = route == Route::fold_in && !bundle_.recommender->history_fold_in();
  answer.served_by = content_from_history ? "content_fold_in" : by_features ? "model_fold_in" : route_name(route);

  std::vector<std::uint32_t> exclude_merged;
  std::span<const std::uint32_t> exclude;
  if (q.exclude_seen) {
    if (index && *index < bundle_.seen.size()) exclude = bundle_.seen[*index];
    if (!exclude_online.empty()) {
      exclude_merged.assign(exclude.begin(), exclude.end());
      exclude_merged.insert(exclude_merged.end(), exclude_online.begin(), exclude_online.end());
      std::sort(exclude_merged.begin(), exclude_merged.end());
      exclude_merged.erase(std::unique(exclude_merged.begin(), exclude_merged.end()), exclude_merged.end());
      exclude = exclude_merged;
    }
  }

  const ItemSimilarityFn similarity = q.diversity > 0 ? catalog_.similarity(bundle_) : ItemSimilarityFn{};
  const bool diversify = q.diversity > 0 && similarity;
  // MMR chooses among the best few candidates: enough room to trade relevance for
  // variety without reaching deep into the tail.
  const std::size_t want = diversify ? std::min<std::size_t>(std::max<std::size_t>(q.k * 5, 50), 5000) : q.k;
  // How many best items a scored list holds: all under a category filter (it may
  // reach deep); with the cache off only what this request takes, since the list is
  // not kept (a partial sort of a few dozen instead of sorting the catalogue); else
  // kept_per_list for the later requests the cache serves.
  const std::size_t keep = category           ? kKeepAll
                           : !cache_.enabled() ? want + exclude.size()
                                               : options_.kept_per_list;

  std::shared_ptr<const RankedList> ranked;
  if (route == Route::popularity) {
    ranked = popularity_;
  } else if (route == Route::fold_in) {
    // Trained users' fold-in lists are cached under their history version; a user
    // unknown to training is scored per request.
    const std::uint64_t version = q.online.version;
    if (index) ranked = cache_.find(*index, version);
    if (!ranked) {
      auto list = std::make_shared<RankedList>(
          sorted(by_features ? feature_fold_in_scores(*index, behaviour) : fold_in_scores(index, online), keep));
      list->history_version = version;
      if (index) cache_.insert(*index, list);
      ranked = std::move(list);
    }
  } else if (index && !content_from_history) {  // the model, or its cold path for a known user without history
    ranked = known_user_ranking(*index, q.online.version, keep, answer.candidate_stage);
  } else {  // content path from the attributes (request or user store) and the online behaviour
    // A filter may need to reach deep into the list: keep it whole then.
    ranked = std::make_shared<RankedList>(sorted(content_scores(q.attributes, behaviour), keep));
  }

  if (ranked->non_finite) {
    // Never answer NaN or infinity: serve popularity, under its own served_by so
    // /metrics (hybridrec_recommendations_total) counts these fallbacks.
    ranked = popularity_;
    answer.served_by = "popularity_non_finite";
    answer.candidate_stage = "exact";
    route = Route::popularity;
  }

  auto picked = take(ranked->items, want, exclude, category);
  if (picked.size() < std::min(want, bundle_.items.size()) && !ranked->complete && index && route == Route::model) {
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
