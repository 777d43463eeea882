#include "train/model_selection.h"

#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "model/model_families.h"
#include "train/config.h"

namespace hybridrec {

namespace {
constexpr const char* kMetric = "ndcg@10";
}  // namespace

std::vector<SelectionCandidate> family_grid(const std::string& family, const nlohmann::json& config,
                                            const Dataset& dataset) {
  const ModelFamily& f = model_family(family);
  std::vector<SelectionCandidate> out;
  if (f.grid)
    for (auto& overlay : f.grid(config, dataset)) out.push_back({family, std::move(overlay)});
  return out;
}

SelectionOutcome select_model(const std::vector<SelectionCandidate>& candidates, const TrainingContext& context,
                              const Split& validation, const EvalOptions& options, const Recommender* fallback,
                              double budget_seconds, Progress& progress, const CandidateFit& fit) {
  if (candidates.empty()) throw Error("model selection: no candidates");
  if (!context.dataset) throw Error("model selection: the context has no dataset");
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  EvalOptions eval = options;
  eval.part = "validation";
  eval.ranking_only = true;

  SelectionOutcome outcome;
  outcome.record = {{"metric", kMetric}, {"part", "validation"}, {"budget_seconds", budget_seconds},
                    {"candidates", nlohmann::json::array()}, {"skipped", 0}};
  double best = -1.0;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    if (c > 0 && budget_seconds > 0 && elapsed() > budget_seconds) {
      outcome.record["skipped"] = candidates.size() - c;
      progress.log(fmt::format("selection: time budget {:.0f} s spent; {} candidates not tried", budget_seconds,
                               candidates.size() - c));
      break;
    }
    const auto& candidate = candidates[c];
    TrainingContext ctx = context;
    if (candidate.overlay.is_object())
      merge_config(ctx.config, candidate.overlay);
    else if (!candidate.overlay.is_null())  // null: `{}` in C++ braces, no overlay
      throw ConfigError("model selection: the overlay of candidate " + candidate.family +
                        " must be a mapping, got " + candidate.overlay.dump());
    if (ctx.config.contains("model")) ctx.config["model"]["type"] = candidate.family;
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<Recommender> model;
    if (fit) {
      model = fit(candidate, ctx);
    } else {
      model = make_model(candidate.family, ctx.config);
      model->fit(ctx);
    }
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nlohmann::json result = evaluate(*model, *ctx.dataset, validation, eval, fallback);
    const double score = result.at("ranking").value(kMetric, 0.0);
    outcome.record["candidates"].push_back(
        {{"family", candidate.family}, {"overlay", candidate.overlay}, {kMetric, score}, {"seconds", fit_seconds}});
    progress.log(fmt::format("selection  {:<12} {:<40} {} {:.4f}  ({:.1f} s)", candidate.family,
                             candidate.overlay.dump(), kMetric, score, fit_seconds));
    if (score > best) {  // ties keep the earlier (simpler, by the grid's order) candidate
      best = score;
      outcome.chosen = c;
      outcome.model = std::move(model);
      outcome.config = std::move(ctx.config);
    }
  }
  outcome.record["chosen"] = {{"family", candidates[outcome.chosen].family},
                              {"overlay", candidates[outcome.chosen].overlay}, {kMetric, best}};
  progress.log(fmt::format("selection: chose {} {} ({} {:.4f} on validation)", candidates[outcome.chosen].family,
                           candidates[outcome.chosen].overlay.dump(), kMetric, best));
  return outcome;
}

}  // namespace hybridrec
