#pragma once
// The report of a training run as one self-contained HTML page: loss per epoch
// (training and validation), the early-stopping metric and the learning rate per
// epoch with the kept epoch marked, test metrics against the baselines with
// relative improvements, per-segment and per-group (fairness) bars, coverage /
// diversity / novelty, and the run's parameters. Several runs overlay their
// curves and sit side by side in a comparison table (`report --compare`).
//
//   auto ws = store::Workspace::open("hybridrec-workspace");
//   auto html = report::render_run_report({report::load_run(ws, "0bc5")});
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/tracking.h"
#include "store/workspace.h"

namespace hybridrec::report {

struct RunData {
  store::RunRecord run;         // params, per-epoch metrics, tags, artifacts
  nlohmann::json result;        // the metrics.json artifact (result format); null if the run has none
  nlohmann::json history;       // the training_history.json artifact; null if none
  std::vector<std::string> notes;  // artifacts that could not be read, said on the page
};

// Reads a run (full id or unique prefix) and its metrics.json/training_history.json
// artifacts (checked against their sha256). Throws Error for an unknown run; an
// unreadable artifact becomes a note instead.
RunData load_run(store::Workspace& ws, const std::string& run_id_or_prefix);

struct ReportOptions {
  std::vector<std::pair<std::string, std::string>> navigation;  // dashboard links at the top
};

// runs[0] is the run reported on; any further runs are overlaid for comparison.
std::string render_run_report(const std::vector<RunData>& runs, const ReportOptions& options = {});

// The epoch kept by training (metrics.json "training.best_epoch", else the last
// epoch flagged best in the history); 0 when unknown.
int best_epoch(const RunData& data);

}  // namespace hybridrec::report
