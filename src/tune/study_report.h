#pragma once
// What `hybridrec tune show` prints: every trial (status, objective, parameters,
// per-epoch objective), the best trial and the parameters' importance. The JSON
// form is a stable interface (the HTML report plots it):
//   {"study", "objective": {"metric", "type"}, "strategy", "status", "max_jobs",
//    "trials": [{"number", "status", "objective", "params", "history", "run_id",
//                "error", "lost", "retry_of", "result"}],
//    "best": {the best trial's entry} or null, "importance": {param: share}, "best_model_id"}
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tune/study.h"

namespace hybridrec::tune {

nlohmann::json study_summary(const Study& study, const std::vector<Trial>& trials);
std::string format_study_summary(const nlohmann::json& summary);

}  // namespace hybridrec::tune
