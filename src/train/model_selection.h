#pragma once
// Selection on the validation part: fit each candidate (a family and a config
// overlay), rank the validation users, keep the best by NDCG@10. The pipeline
// runs it over a family's own grid (ModelFamily::grid, e.g. ease's lambda);
// `--model auto` runs it over candidates from several families. Never looks at
// the test part.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "data/split.h"
#include "eval/evaluator.h"
#include "model/recommender.h"

namespace hybridrec {

struct SelectionCandidate {
  std::string family;     // a model_families() name
  nlohmann::json overlay = nlohmann::json::object();  // merged over the context's config (train/config.h merge_config)
};

struct SelectionOutcome {
  std::unique_ptr<Recommender> model;  // the best candidate, fitted
  std::size_t chosen = 0;              // its index in the candidate list
  nlohmann::json config;               // the merged configuration it was fitted with
  // {"metric", "part", "chosen": {family, overlay}, "candidates": [{family, overlay, ndcg@10, seconds}],
  //  "budget_seconds", "skipped"}: what config.json records under "selection".
  nlohmann::json record;

  // With by_segment: the candidates best on the validation users with training
  // history ("active_users") and on those without ("new_users"), their scores and
  // user counts, and, when not `chosen`, their fitted models and configurations.
  struct Segment {
    std::size_t chosen = 0;
    double score = -1.0;
    std::size_t users = 0;
    bool by_popularity = true;  // new users: the candidate sent them all to popularity
  };
  Segment history, new_users;
  std::map<std::size_t, std::unique_ptr<Recommender>> other_models;
  std::map<std::size_t, nlohmann::json> other_configs;
  // The fitted model of candidate c (the chosen one or a segment's best); null otherwise.
  std::unique_ptr<Recommender> take_model(std::size_t c);
  nlohmann::json config_of(std::size_t c) const;
};

// Fits one candidate with the merged configuration in context.config. The default
// (empty) fit is make_model + fit(); a family trained by the trainer (SgdTrainable)
// needs a fit that runs the pipeline's training instead.
using CandidateFit = std::function<std::unique_ptr<Recommender>(const SelectionCandidate&, const TrainingContext&)>;

// The candidates in order; after budget_seconds (0: no limit) no further candidate
// starts (the first always runs). Ranking metrics on `validation` (options.part
// must be "validation"), fallback for users routed to popularity. Logs a small
// table through `progress`. by_segment also ranks each candidate on the users
// with and without training history (SelectionOutcome::history / new_users).
// A candidate whose family refuses the data (ConfigError from its fit, e.g. a
// catalogue too large for ease) is recorded as refused when others remain.
// Throws Error when the list is empty, and the first refusal when every candidate refused.
SelectionOutcome select_model(const std::vector<SelectionCandidate>& candidates, const TrainingContext& context,
                              const Split& validation, const EvalOptions& options, const Recommender* fallback,
                              double budget_seconds, Progress& progress, const CandidateFit& fit = {},
                              bool by_segment = false);

// `--model auto`'s candidates: the families of model.auto.families (cheapest first),
// each with its validation grid (one default candidate when it has none), taken
// round robin with each grid from its middle outwards, so a spent budget still
// leaves every family tried. Throws ConfigError for an unknown or baseline family.
std::vector<SelectionCandidate> auto_candidates(const nlohmann::json& config, const Dataset& dataset);

// A family's grid as candidates (ModelFamily::grid on this configuration and data).
std::vector<SelectionCandidate> family_grid(const std::string& family, const nlohmann::json& config,
                                            const Dataset& dataset);

// What `--model auto` keeps: the best single family on validation NDCG@10, or a
// routed pair (model/family_routed.h) when the best family for users with
// training history and the best for users without, each on its own segment,
// together rank the validation part better; or the best history family with new
// users sent to popularity when no model beats popularity on them.
struct AutoChoice {
  std::unique_ptr<Recommender> model;
  std::string family;          // the chosen family, or "routed"
  nlohmann::json model_section;  // config.json's model section for it (type and chosen settings)
  nlohmann::json record;       // the selection record with a "decision"
};

AutoChoice choose_model_automatically(const std::vector<SelectionCandidate>& candidates, const TrainingContext& context,
                                      const Split& validation, const EvalOptions& options,
                                      const Recommender& own_popularity, double budget_seconds, Progress& progress,
                                      const CandidateFit& fit);

}  // namespace hybridrec
