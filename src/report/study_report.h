#pragma once
// The report of a hyperparameter study as one self-contained HTML page: the
// objective of every trial and the best-so-far curve, the per-epoch objective of
// each trial (where pruned trials stopped), parameter importance, and the trial
// table. Input: the JSON of `hybridrec tune show --json`:
//   {"study": name, "objective": {"metric": "val_ndcg@10", "type": "maximize"},
//    "trials": [{"number", "status", "objective", "params": {...}, "history": [per-epoch objective]}],
//    "best": {"number", "objective", "params"}, "importance": {param: share}}
#include <string>

#include <nlohmann/json.hpp>

namespace hybridrec::report {

// Throws DataError naming the field (source names the document) when the JSON is
// not a study; a trial without an objective (pruned, failed, running) is shown
// but not plotted.
std::string render_study_report(const nlohmann::json& study, const std::string& source = "study");

}  // namespace hybridrec::report
