#include "report/run_report.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "report/html.h"
#include "report/run_sections.h"

namespace hybridrec::report {

namespace {

// A logged artifact by name, checked against its recorded sha256 first so a
// report never shows numbers from a corrupted file.
nlohmann::json read_artifact(store::Workspace& ws, const RunData& data, const std::string& name,
                             std::vector<std::string>& notes) {
  for (const auto& file : data.run.artifacts) {
    if (file.path != name) continue;
    try {
      ws.artifacts().verify({file}, "run " + data.run.run_id);
      return read_json(ws.artifacts().object_path(file.sha256));
    } catch (const Error& e) {
      notes.push_back(name + " could not be read: " + e.what());
      return nullptr;
    }
  }
  notes.push_back("the run logged no " + name + " artifact");
  return nullptr;
}

}  // namespace

RunData load_run(store::Workspace& ws, const std::string& run_id_or_prefix) {
  RunData data;
  data.run = ws.tracking().get_run(ws.tracking().resolve_run_id(run_id_or_prefix));
  data.result = read_artifact(ws, data, "metrics.json", data.notes);
  data.history = read_artifact(ws, data, "training_history.json", data.notes);
  return data;
}

int best_epoch(const RunData& data) {
  if (data.result.is_object() && data.result.contains("training"))
    if (int best = data.result["training"].value("best_epoch", 0); best > 0) return best;
  int best = 0;
  if (data.history.is_array())
    for (const auto& record : data.history)
      if (record.value("best", false)) best = record.value("epoch", best);
  return best;
}

std::string render_run_report(const std::vector<RunData>& runs, const ReportOptions& options) {
  if (runs.empty()) throw Error("render_run_report: no run given");
  const RunData& main = runs.front();
  HtmlPage page(runs.size() > 1 ? fmt::format("Runs compared: {} and {} more", detail::run_label(main.run), runs.size() - 1)
                                : "Run " + detail::run_label(main.run));
  page.set_navigation(options.navigation);
  page.add_subtitle(fmt::format("experiment {} · status {} · started {}{}", main.run.experiment,
                                store::to_string(main.run.status), main.run.start_time,
                                main.run.end_time.empty() ? "" : " · ended " + main.run.end_time));
  page.add_section("summary", "Summary", detail::summary_section(runs));
  page.add_section("loss", "Loss per epoch", detail::loss_section(runs));
  page.add_section("validation", "Validation metric and learning rate per epoch", detail::validation_section(runs));
  page.add_section("metrics", "Test metrics against the baselines", detail::metrics_section(runs));
  page.add_section("segments", "Segments (new vs active users, cold-start items)", detail::segments_section(main));
  page.add_section("fairness", "Fairness: metrics per user group", detail::fairness_section(main));
  page.add_section("business", "Coverage, diversity, novelty", detail::business_section(main));
  page.add_section("parameters", "Parameters", detail::parameters_section(runs));
  return page.render();
}

}  // namespace hybridrec::report
