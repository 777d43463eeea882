#include "train/model_selection.h"

#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "model/family_routed.h"
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

std::vector<SelectionCandidate> auto_candidates(const nlohmann::json& config, const Dataset& dataset) {
  std::vector<std::string> families = model_family_names(false);
  const auto& model = config.at("model");
  if (model.contains("auto") && model["auto"].contains("families"))
    families = model["auto"]["families"].get<std::vector<std::string>>();
  // Round robin over the families, each grid from its middle outwards: when the
  // budget runs out (a dense ease on a large catalogue takes minutes a fit), every
  // family has had its most typical setting tried, not only the first family's grid.
  std::vector<std::vector<SelectionCandidate>> grids;
  for (const auto& name : families) {
    const ModelFamily& family = model_family(name);  // throws for an unknown name
    if (family.baseline || name == "routed")
      throw ConfigError("model.auto.families: '" + name + "' is not a candidate (baselines are compared against, "
                        "routed pairs are built by auto itself)");
    auto grid = family_grid(name, config, dataset);
    if (grid.empty()) grid.push_back({name, nlohmann::json::object()});
    std::vector<SelectionCandidate> ordered;
    const std::size_t mid = grid.size() / 2;
    for (std::size_t step = 0; ordered.size() < grid.size(); ++step) {
      if (mid + step < grid.size()) ordered.push_back(grid[mid + step]);
      if (step > 0 && step <= mid) ordered.push_back(grid[mid - step]);
    }
    grids.push_back(std::move(ordered));
  }
  std::vector<SelectionCandidate> out;
  for (std::size_t round = 0;; ++round) {
    bool any = false;
    for (const auto& grid : grids)
      if (round < grid.size()) out.push_back(grid[round]), any = true;
    if (!any) break;
  }
  if (out.empty()) throw ConfigError("model.auto.families is empty");
  return out;
}

std::unique_ptr<Recommender> SelectionOutcome::take_model(std::size_t c) {
  if (c == chosen) return std::move(model);
  auto it = other_models.find(c);
  return it == other_models.end() ? nullptr : std::move(it->second);
}

nlohmann::json SelectionOutcome::config_of(std::size_t c) const {
  if (c == chosen) return config;
  auto it = other_configs.find(c);
  return it == other_configs.end() ? nlohmann::json() : it->second;
}

SelectionOutcome select_model(const std::vector<SelectionCandidate>& candidates, const TrainingContext& context,
                              const Split& validation, const EvalOptions& options, const Recommender* fallback,
                              double budget_seconds, Progress& progress, const CandidateFit& fit, bool by_segment) {
  if (candidates.empty()) throw Error("model selection: no candidates");
  if (!context.dataset) throw Error("model selection: the context has no dataset");
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  EvalOptions eval = options;
  eval.part = "validation";
  eval.ranking_only = !by_segment;  // segments come with the full evaluation

  SelectionOutcome outcome;
  outcome.record = {{"metric", kMetric}, {"part", "validation"}, {"budget_seconds", budget_seconds},
                    {"candidates", nlohmann::json::array()}, {"skipped", 0}};
  double best = -1.0;
  std::string first_refusal;
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
    try {
      if (fit) {
        model = fit(candidate, ctx);
      } else {
        model = make_model(candidate.family, ctx.config);
        model->fit(ctx);
      }
    } catch (const ConfigError& e) {
      // A family that refuses this data (before allocating) leaves the others to
      // choose from; with a single candidate the refusal is the answer.
      if (candidates.size() == 1) throw;
      if (first_refusal.empty()) first_refusal = e.what();
      outcome.record["candidates"].push_back(
          {{"family", candidate.family}, {"overlay", candidate.overlay}, {"refused", e.what()}});
      progress.log(fmt::format("selection  {:<12} refused: {}", candidate.family, e.what()));
      continue;
    }
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nlohmann::json result = evaluate(*model, *ctx.dataset, validation, eval, fallback);
    const double score = result.at("ranking").value(kMetric, 0.0);
    nlohmann::json row{{"family", candidate.family}, {"overlay", candidate.overlay}, {kMetric, score},
                       {"seconds", fit_seconds}};
    double history_score = -1.0, new_score = -1.0;
    std::size_t history_users = 0, new_users = 0;
    bool new_by_popularity = true;
    if (by_segment && result.contains("segments")) {
      const auto& seg = result["segments"];
      const auto segment = [&](const char* name, double& value, std::size_t& users) {
        if (!seg.contains(name) || !seg[name].contains(kMetric)) return;
        value = seg[name][kMetric].get<double>();
        users = seg[name].value("users", std::size_t{0});
      };
      segment("active_users", history_score, history_users);
      segment("new_users", new_score, new_users);
      new_by_popularity = result.at("cold_start_paths").value("served_by_model", std::size_t{0}) == 0;
      row["users_with_history"] = {{kMetric, history_score}, {"users", history_users}};
      row["new_users"] = {{kMetric, new_score}, {"users", new_users}, {"by_popularity", new_by_popularity}};
    }
    outcome.record["candidates"].push_back(row);
    progress.log(fmt::format("selection  {:<12} {:<40} {} {:.4f}{}  ({:.1f} s)", candidate.family,
                             candidate.overlay.dump(), kMetric, score,
                             by_segment ? fmt::format("  (history {:.4f}, new users {:.4f})", history_score, new_score)
                                        : std::string(),
                             fit_seconds));
    // Keep what is best for something; ties keep the earlier (simpler, by the grid's order) candidate.
    std::vector<std::size_t> previous{outcome.chosen, outcome.history.chosen, outcome.new_users.chosen};
    const bool best_overall = score > best;
    const bool best_history = by_segment && history_users > 0 && history_score > outcome.history.score;
    // New users: a model's own cold path must beat popularity's to count as better.
    const bool best_new = by_segment && new_users > 0 &&
                          (new_score > outcome.new_users.score ||
                           (!new_by_popularity && outcome.new_users.by_popularity && new_score >= outcome.new_users.score));
    if (best_history) outcome.history = {c, history_score, history_users, true};
    if (best_new) outcome.new_users = {c, new_score, new_users, new_by_popularity};
    if (best_overall) {
      best = score;
      if (outcome.model && (outcome.chosen == outcome.history.chosen || outcome.chosen == outcome.new_users.chosen)) {
        outcome.other_models[outcome.chosen] = std::move(outcome.model);
        outcome.other_configs[outcome.chosen] = std::move(outcome.config);
      }
      outcome.chosen = c;
      outcome.model = std::move(model);
      outcome.config = std::move(ctx.config);
    } else if (best_history || best_new) {
      outcome.other_models[c] = std::move(model);
      outcome.other_configs[c] = std::move(ctx.config);
    }
    // Models that are no longer best for anything are let go (memory).
    for (std::size_t p : previous) {
      if (p == outcome.chosen || p == outcome.history.chosen || p == outcome.new_users.chosen) continue;
      outcome.other_models.erase(p);
      outcome.other_configs.erase(p);
    }
  }
  // Every candidate refused the data: that refusal is the answer (a catalogue too
  // large for ease refuses each point of its grid the same way).
  if (!outcome.model) throw ConfigError(first_refusal);
  outcome.record["chosen"] = {{"family", candidates[outcome.chosen].family},
                              {"overlay", candidates[outcome.chosen].overlay}, {kMetric, best}};
  progress.log(fmt::format("selection: chose {} {} ({} {:.4f} on validation)", candidates[outcome.chosen].family,
                           candidates[outcome.chosen].overlay.dump(), kMetric, best));
  return outcome;
}

namespace {
// A model section as config.json records it for one part: the settings it was
// fitted with, less what only selection reads.
nlohmann::json recorded_model_section(const nlohmann::json& fitted_config, const std::string& family) {
  nlohmann::json section = fitted_config.at("model");
  section["type"] = family;
  section.erase("auto");
  section.erase("routed");
  return section;
}
}  // namespace

AutoChoice choose_model_automatically(const std::vector<SelectionCandidate>& candidates, const TrainingContext& context,
                                      const Split& validation, const EvalOptions& options,
                                      const Recommender& own_popularity, double budget_seconds, Progress& progress,
                                      const CandidateFit& fit) {
  SelectionOutcome sel =
      select_model(candidates, context, validation, options, &own_popularity, budget_seconds, progress, fit, true);
  const auto& h = sel.history;
  const auto& n = sel.new_users;
  const double best = sel.record["chosen"].value(kMetric, 0.0);
  const std::size_t users = h.users + n.users;
  const double per_segment = users > 0 ? (h.score * static_cast<double>(h.users) + std::max(n.score, 0.0) * static_cast<double>(n.users)) /
                                             static_cast<double>(users)
                                       : -1.0;
  AutoChoice choice;
  choice.record = sel.record;
  const std::string& h_family = candidates[h.chosen].family;
  const std::string& n_family = candidates[n.chosen].family;
  choice.record["per_segment"] = {
      {"users_with_history", {{"family", h_family}, {"overlay", candidates[h.chosen].overlay}, {kMetric, h.score}, {"users", h.users}}},
      {"new_users", {{"family", n.by_popularity ? "popularity" : n_family}, {kMetric, n.score}, {"users", n.users}}},
      {kMetric, per_segment}};
  // Per segment only when it is better on the whole validation part, and only
  // when the two segments really want different answers.
  const bool split_wins = users > 0 && h.users > 0 && per_segment > best + 1e-9 &&
                          (h.chosen != sel.chosen || (n.by_popularity ? false : n.chosen != sel.chosen));
  if (!split_wins) {
    choice.family = candidates[sel.chosen].family;
    choice.model_section = recorded_model_section(sel.config, choice.family);
    choice.model = sel.take_model(sel.chosen);
    choice.record["decision"] = "single family " + choice.family;
  } else if (n.by_popularity || n.chosen == h.chosen) {
    // One family for users with history; new users go where that segment was best.
    choice.family = h_family;
    choice.model_section = recorded_model_section(sel.config_of(h.chosen), h_family);
    if (n.by_popularity) choice.model_section["cold_user_path"] = "popularity";
    choice.model = sel.take_model(h.chosen);
    choice.record["decision"] = "family " + h_family + (n.by_popularity ? ", new users by popularity" : "");
  } else {
    auto has_history = RoutedRecommender::users_with_history(*context.dataset, *context.split);
    choice.family = "routed";
    choice.model_section = recorded_model_section(context.config, "routed");
    choice.model_section["routed"] = {{"history", recorded_model_section(sel.config_of(h.chosen), h_family)},
                                      {"new_users", recorded_model_section(sel.config_of(n.chosen), n_family)}};
    auto history = sel.take_model(h.chosen);
    auto fresh = sel.take_model(n.chosen);
    choice.model = std::make_unique<RoutedRecommender>(std::move(history), std::move(fresh), std::move(has_history));
    choice.record["decision"] = "routed: " + h_family + " for users with history, " + n_family + " for new users";
  }
  progress.log(fmt::format("auto: {} (validation {} {:.4f}; best single family {:.4f}, per segment {:.4f})",
                           choice.record["decision"].get<std::string>(), kMetric,
                           std::max(best, split_wins ? per_segment : best), best, per_segment));
  return choice;
}

}  // namespace hybridrec
