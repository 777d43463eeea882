#include "report/study_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "report/html.h"
#include "report/svg_chart.h"

namespace hybridrec::report {

namespace {

double number_or_nan(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return std::numeric_limits<double>::quiet_NaN();
  return object[key].get<double>();
}

std::string param_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void require(bool ok, const std::string& source, const std::string& field, const std::string& message) {
  if (!ok) throw DataError(source, 0, field, message);
}

}  // namespace

std::string render_study_report(const nlohmann::json& study, const std::string& source) {
  require(study.is_object(), source, "(document)", "a study must be a JSON object");
  require(study.contains("trials") && study["trials"].is_array(), source, "trials", "an array of trials is required");
  const nlohmann::json objective = study.value("objective", nlohmann::json::object());
  const std::string metric = objective.is_object() ? objective.value("metric", std::string("objective")) : "objective";
  // `tune show --json` writes the specification's spelling (Maximize/Minimize).
  std::string type = objective.is_object() ? objective.value("type", std::string("maximize")) : "maximize";
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  require(type == "maximize" || type == "minimize", source, "objective.type", "expected maximize or minimize, got '" + type + "'");
  const bool maximize = type == "maximize";
  const std::string name = study.value("study", std::string("(unnamed)"));

  Series per_trial{"trial " + metric, {}, {}}, best_so_far{"best so far", {}, {}};
  LineChart curves{"Per-epoch " + metric + " of each trial", "epoch", metric, {}};
  std::set<std::string> param_names;
  double best = std::numeric_limits<double>::quiet_NaN();
  double best_trial = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < study["trials"].size(); ++i) {
    const auto& t = study["trials"][i];
    const std::string where = fmt::format("trials[{}]", i);
    require(t.is_object() && t.contains("number") && t["number"].is_number_integer(), source, where + ".number",
            "every trial needs an integer number");
    const double number = t["number"].get<double>();
    const double value = number_or_nan(t, "objective");
    if (std::isfinite(value)) {
      per_trial.x.push_back(number);
      per_trial.y.push_back(value);
      if (!std::isfinite(best) || (maximize ? value > best : value < best)) best = value, best_trial = number;
      best_so_far.x.push_back(number);
      best_so_far.y.push_back(best);
    }
    if (t.contains("params") && t["params"].is_object())
      for (const auto& [k, v] : t["params"].items()) param_names.insert(k);
    if (t.contains("history") && t["history"].is_array() && !t["history"].empty()) {
      Series s{fmt::format("trial {}", t["number"].get<long long>()), {}, {}};
      for (std::size_t e = 0; e < t["history"].size(); ++e) {
        s.x.push_back(static_cast<double>(e + 1));
        s.y.push_back(t["history"][e].is_number() ? t["history"][e].get<double>() : std::numeric_limits<double>::quiet_NaN());
      }
      curves.series.push_back(s);
    }
  }
  if (study.contains("best") && study["best"].is_object() && study["best"].contains("number") && study["best"]["number"].is_number())
    best_trial = study["best"]["number"].get<double>();

  HtmlPage page("Study " + name);
  page.add_subtitle(fmt::format("{} trials · objective: {} {}", study["trials"].size(), type, metric));
  LineChart objective_chart{"Objective per trial and best so far", "trial number", metric, {per_trial, best_so_far}};
  if (std::isfinite(best_trial)) {
    objective_chart.marker_x = best_trial;
    objective_chart.marker_label = fmt::format("best trial {}", static_cast<long long>(best_trial));
  }
  std::vector<std::string> charts{render_svg(objective_chart)};
  if (!curves.series.empty()) charts.push_back(render_svg(curves));
  std::string summary = HtmlPage::chart_row(charts);
  summary += "<p class=\"note\">" +
             escape(std::isfinite(best) ? fmt::format("Best {} {:.4f} (trial {}); {} of {} trials have an objective "
                                                      "(pruned or failed trials have none).",
                                                      metric, best, static_cast<long long>(best_trial), per_trial.x.size(),
                                                      study["trials"].size())
                                        : std::string("No trial has finished with an objective yet.")) +
             "</p>\n";
  page.add_section("objective", "Objective", summary);

  if (study.contains("importance") && study["importance"].is_object() && !study["importance"].empty()) {
    // Sorted, horizontal bars: config keys such as "training.learning_rate" are
    // long, and under vertical bars their labels ran into each other.
    RankedBarChart importance{"Parameter importance (largest first)", "share of the objective's variance", {}};
    for (const auto& [k, v] : study["importance"].items())
      importance.bars.push_back({k, v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN()});
    page.add_section("importance", "Parameter importance", HtmlPage::chart_row({render_svg(importance)}));
  }

  std::vector<std::string> headers{"trial", "status", metric};
  headers.insert(headers.end(), param_names.begin(), param_names.end());
  std::vector<std::vector<Cell>> rows;
  for (const auto& t : study["trials"]) {
    std::vector<Cell> row{text_cell(std::to_string(t["number"].get<long long>())),
                          text_cell(t.value("status", std::string("-"))), number_cell(number_or_nan(t, "objective"))};
    if (std::isfinite(best_trial) && t["number"].get<double>() == best_trial) row[0].css_class = "better";
    for (const auto& p : param_names)
      row.push_back(text_cell(t.contains("params") && t["params"].is_object() && t["params"].contains(p)
                                  ? param_text(t["params"][p])
                                  : "-"));
    rows.push_back(row);
  }
  page.add_section("trials", "Trials", html_table(headers, rows, "trials"));
  return page.render();
}

}  // namespace hybridrec::report
