#pragma once
// Selection on the validation part: fit each candidate (a family and a config
// overlay), rank the validation users, keep the best by NDCG@10. The pipeline
// runs it over a family's own grid (ModelFamily::grid, e.g. ease's lambda);
// `--model auto` runs it over candidates from several families. Never looks at
// the test part.
#include <functional>
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
};

// Fits one candidate with the merged configuration in context.config. The default
// (empty) fit is make_model + fit(); a family trained by the trainer (SgdTrainable)
// needs a fit that runs the pipeline's training instead.
using CandidateFit = std::function<std::unique_ptr<Recommender>(const SelectionCandidate&, const TrainingContext&)>;

// The candidates in order; after budget_seconds (0: no limit) no further candidate
// starts (the first always runs). Ranking metrics on `validation` (options.part
// must be "validation"), fallback for users routed to popularity. Logs a small
// table through `progress`. Throws Error when the list is empty.
SelectionOutcome select_model(const std::vector<SelectionCandidate>& candidates, const TrainingContext& context,
                              const Split& validation, const EvalOptions& options, const Recommender* fallback,
                              double budget_seconds, Progress& progress, const CandidateFit& fit = {});

// A family's grid as candidates (ModelFamily::grid on this configuration and data).
std::vector<SelectionCandidate> family_grid(const std::string& family, const nlohmann::json& config,
                                            const Dataset& dataset);

}  // namespace hybridrec
