#pragma once
// The sections of a run report (internal to src/report). Each returns the HTML
// body of one section; run_report.cpp puts them on the page in order.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/run_report.h"
#include "report/svg_chart.h"

namespace hybridrec::report::detail {

// result[section][key] as a number; NaN when absent (drawn as no bar, shown as "-").
double metric_value(const nlohmann::json& metrics, const std::string& section, const std::string& key);
// The run's metric history as a chart series (x = step = epoch).
Series history_series(const store::RunRecord& run, const std::string& key, const std::string& name);
std::string param(const store::RunRecord& run, const std::string& key, const std::string& fallback);
std::string short_id(const std::string& run_id);
// "hybrid-seed42 (0bc544a81059)": how a run is named when several share a chart.
std::string run_label(const store::RunRecord& run);
// The result format's primary K (evaluation.primary_k), 10 by default.
int primary_k(const nlohmann::json& result);

std::string summary_section(const std::vector<RunData>& runs);
std::string loss_section(const std::vector<RunData>& runs);
std::string validation_section(const std::vector<RunData>& runs);
std::string metrics_section(const std::vector<RunData>& runs);
std::string segments_section(const RunData& run);
std::string fairness_section(const RunData& run);
std::string business_section(const RunData& run);
std::string parameters_section(const std::vector<RunData>& runs);

}  // namespace hybridrec::report::detail
