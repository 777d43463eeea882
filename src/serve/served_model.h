#pragma once
// One registry model loaded for serving: the bundle plus everything precomputed
// once per load (item catalog, popularity order, ranking cache, and for large
// catalogs the approximate candidate index). Immutable after load apart from its
// internal cache, so any number of request threads share it.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/positives.h"
#include "model/abilities.h"
#include "serve/candidate_index.h"
#include "serve/item_catalog.h"
#include "serve/online_history.h"
#include "serve/ranking_cache.h"
#include "train/model_bundle.h"

namespace hybridrec::serve {

enum class AnnMode { automatic, on, off };
AnnMode parse_ann_mode(const std::string& text);  // auto | on | off

struct ServingOptions {
  AnnMode ann = AnnMode::automatic;
  std::size_t ann_min_items = 100000;  // automatic: the candidate stage from this catalog size on
  std::size_t ann_candidates = 300;    // candidates re-scored exactly per request
  CandidateIndexOptions index;
  std::size_t cache_bytes = 256u << 20;  // ranking cache per model; 0 disables it
  std::size_t kept_per_list = 2000;      // a cached list keeps this many best items of large catalogs
  // Fresh recommendations (issue #19): a user without training history is served
  // by fold-in from this many online events on; exclude_seen also removes the
  // online-history items of these event types.
  std::size_t fold_in_min_events = 1;
  std::vector<FeedbackType> exclude_event_types = {FeedbackType::purchase};
};

struct RecommendQuery {
  std::string user_id;
  std::size_t k = 10;
  bool exclude_seen = true;
  double diversity = 0;
  std::optional<std::string> category;
  RawAttributes attributes;  // for users the model does not know (request or user store)
  OnlineHistory::Snapshot online;  // the user's online history (the server's, shared by every model)
};

struct RecommendAnswer {
  std::vector<ScoredItem> items;
  // model | content | popularity | fold_in (HistoryFoldIn) | model_fold_in (FeatureFoldIn) |
  // content_fold_in | popularity_non_finite
  std::string served_by;
  std::string candidate_stage;  // exact | approximate
  bool known_user = false;
  bool diversified = false;     // MMR applied
};

class ServedModel {
 public:
  ServedModel(std::string model_id, std::string version, const std::filesystem::path& dir, const ServingOptions& options);

  // Throws RequestError (400) for an unknown category or a filter the model cannot apply.
  RecommendAnswer recommend(const RecommendQuery& query) const;

  const std::string& model_id() const { return model_id_; }
  const std::string& version() const { return version_; }
  const ModelBundle& bundle() const { return bundle_; }
  const ItemCatalog& catalog() const { return catalog_; }
  bool approximate() const { return index_ != nullptr; }
  // What this model does with an online history (/healthz): "history" (HistoryFoldIn),
  // "features" (FeatureFoldIn for users of the training data, the content path for
  // new users), "content" (the content path for new users only) or "none".
  const char* fold_in_kind() const;
  // What it cannot fold in, in words (/healthz "fold_in_limits"); empty when nothing.
  std::string fold_in_limits() const;
  const CandidateIndex* candidate_index() const { return index_.get(); }

  // Every item scored exactly, best first (the reference the approximate stage is measured against).
  RankedList exact_ranking(std::uint32_t user) const;
  // What the candidate stage returns for a known user (exactly re-scored, best first).
  RankedList approximate_ranking(std::uint32_t user) const;

 private:
  // `version` is the user's online-history version the list belongs to (0: none).
  // `keep`: how many best items the list holds (see sorted).
  std::shared_ptr<const RankedList> known_user_ranking(std::uint32_t user, std::uint64_t version, std::size_t keep,
                                                       std::string& stage) const;
  // Scores from the training row plus the online history (HistoryFoldIn).
  std::vector<float> fold_in_scores(std::optional<std::uint32_t> user, std::span<const HistoryEntry> online) const;
  // A user of the training data scored with their behaviour features recomputed
  // from their training plus online history (FeatureFoldIn).
  std::vector<float> feature_fold_in_scores(std::uint32_t user, std::span<const HistoryEvent> history) const;
  // The content path from attributes and (when not empty) the behaviour of `history`.
  std::vector<float> content_scores(const RawAttributes& attributes, std::span<const HistoryEvent> history) const;
  // Best first; keeps only the top `keep` items (complete = false when that drops any).
  RankedList sorted(std::vector<float> scores, std::size_t keep) const;

  std::string model_id_, version_;
  ServingOptions options_;
  ModelBundle bundle_;
  ItemCatalog catalog_;
  std::shared_ptr<const RankedList> popularity_;
  std::unique_ptr<CandidateIndex> index_;
  mutable RankingCache cache_;
  PositiveWeighting weighting_;             // online events weigh what training events of their type weighed
  std::vector<std::int32_t> item_category_;  // category code per item, for behaviour features (older bundles)
  bool feature_fold_in_ = false;             // FeatureFoldIn with the training behaviour at hand
};

}  // namespace hybridrec::serve
