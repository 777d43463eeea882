// `hybridrec runs ...`: read the experiment-tracking store (list, show, compare, export).
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "report/comparison.h"
#include "store/mlflow_export.h"
#include "store/text_table.h"
#include "store/workspace.h"

namespace hybridrec::cli {
namespace {

using nlohmann::json;
using store::format_number;
using store::render_table;

struct RunsOptions {
  std::string workspace = store::kDefaultWorkspace;
  std::string store_url;
  std::string experiment;
  int limit = 50;
  std::vector<std::string> runs;
  bool json = false;
  bool all = false;
  std::string format = "mlflow";
  std::string out_dir;
};

void add_workspace_options(CLI::App* cmd, RunsOptions& o) {
  cmd->add_option("--workspace", o.workspace, "Workspace folder (database + artifacts)")->capture_default_str();
  cmd->add_option("--store", o.store_url, "Store URL: postgresql://... (default: SQLite in the workspace)")
      ->envname("HYBRIDREC_STORE_URL");
  cmd->add_flag("--json", o.json, "Print JSON instead of a table");
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

void list_runs(const RunsOptions& o) {
  auto ws = store::Workspace::open_existing(o.workspace, o.store_url);
  auto runs = ws.tracking().list_runs(o.experiment, o.limit);
  if (o.json) {
    auto out = json::array();
    for (const auto& r : runs) out.push_back(r.to_json());
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    std::string metrics;
    int shown = 0;
    for (const auto& [k, v] : r.latest_metrics) {
      if (shown++ == 4) {
        metrics += " ...";
        break;
      }
      metrics += (metrics.empty() ? "" : " ") + k + "=" + format_number(v);
    }
    rows.push_back({short_id(r.run_id), r.experiment, r.name, store::to_string(r.status), r.start_time, metrics});
  }
  std::cout << render_table({"RUN", "EXPERIMENT", "NAME", "STATUS", "STARTED", "METRICS (latest)"}, rows);
}

void show_run(const RunsOptions& o) {
  auto ws = store::Workspace::open_existing(o.workspace, o.store_url);
  auto r = ws.tracking().get_run(ws.tracking().resolve_run_id(o.runs.at(0)));
  if (o.json) {
    std::cout << r.to_json().dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("run         {}\nexperiment  {}\nname        {}\nstatus      {}\nstarted     {}\nended       {}\n"
                           "git commit  {}\nhost / pid  {} / {}\nseeds       {}\n",
                           r.run_id, r.experiment, r.name, store::to_string(r.status), r.start_time,
                           r.end_time.empty() ? "-" : r.end_time, r.git_commit.value_or("-"), r.host, r.pid,
                           r.seeds.dump());
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : r.params) rows.push_back({k, v});
  std::cout << "\nParameters\n" << render_table({"PARAM", "VALUE"}, rows);
  rows.clear();
  for (const auto& [k, points] : r.metrics) {
    double lo = points.front().value, hi = lo;
    for (const auto& p : points) lo = std::min(lo, p.value), hi = std::max(hi, p.value);
    rows.push_back({k, format_number(points.back().value), std::to_string(points.size()),
                    fmt::format("{}..{}", points.front().step, points.back().step), format_number(lo), format_number(hi)});
  }
  std::cout << "\nMetrics\n" << render_table({"METRIC", "LATEST", "POINTS", "STEPS", "MIN", "MAX"}, rows);
  rows.clear();
  for (const auto& [k, v] : r.tags) rows.push_back({k, v});
  std::cout << "\nTags\n" << render_table({"TAG", "VALUE"}, rows);
  rows.clear();
  for (const auto& a : r.artifacts) rows.push_back({a.path, std::to_string(a.size), a.sha256.substr(0, 16)});
  std::cout << "\nArtifacts\n" << render_table({"PATH", "BYTES", "SHA256"}, rows);
}

void compare_runs(const RunsOptions& o) {
  auto ws = store::Workspace::open_existing(o.workspace, o.store_url);
  std::vector<report::CompareSubject> subjects;
  for (const auto& id : o.runs)
    subjects.push_back(report::subject_from_run(ws.tracking().get_run(ws.tracking().resolve_run_id(id))));
  const auto cmp = report::compare_subjects(subjects, o.all);
  std::cout << (o.json ? report::comparison_json(cmp).dump(2) + "\n" : report::comparison_text(cmp));
}

void export_runs(const RunsOptions& o) {
  auto ws = store::Workspace::open_existing(o.workspace, o.store_url);
  const auto summary = store::export_mlflow(ws.tracking(), ws.artifacts(), o.out_dir, o.experiment);
  if (o.json) {
    std::cout << json{{"root", summary.root.string()},
                      {"experiments", summary.experiments},
                      {"runs", summary.runs},
                      {"artifact_files", summary.artifact_files},
                      {"renamed", summary.renamed},
                      {"collided", summary.collided}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << fmt::format("exported {} runs of {} experiments ({} artifact files) to {} in MLflow's file-store layout\n",
                           summary.runs, summary.experiments, summary.artifact_files, summary.root.string());
  if (!summary.renamed.empty())
    std::cout << fmt::format("{} names MLflow refuses were renamed by the rule in docs/registry.md#mlflow-export, "
                             "e.g. {} (--json lists them)\n",
                             summary.renamed.size(), summary.renamed.front());
  for (const auto& c : summary.collided) std::cout << "  renamed further to avoid another name: " << c << "\n";
  std::cout << fmt::format("view: mlflow ui --backend-store-uri file://{}\n", summary.root.string());
}

}  // namespace

void register_runs(CLI::App& app) {
  auto* runs = app.add_subcommand("runs", "Experiment tracking: list, show, compare and export training runs");
  runs->require_subcommand(1);

  auto o_list = std::make_shared<RunsOptions>();
  auto* list = runs->add_subcommand("list", "List runs, newest first");
  add_workspace_options(list, *o_list);
  list->add_option("--experiment", o_list->experiment, "Only runs of this experiment");
  list->add_option("--limit", o_list->limit, "At most this many runs")->capture_default_str()->check(CLI::PositiveNumber);
  list->callback([o_list] { list_runs(*o_list); });

  auto o_show = std::make_shared<RunsOptions>();
  auto* show = runs->add_subcommand("show", "Parameters, metrics (latest + history), tags and artifacts of a run");
  add_workspace_options(show, *o_show);
  show->add_option("run", o_show->runs, "Run id (or a unique prefix of it)")->required()->expected(1);
  show->callback([o_show] { show_run(*o_show); });

  auto o_cmp = std::make_shared<RunsOptions>();
  auto* cmp = runs->add_subcommand("compare", "The runs' test and validation metrics, then only the settings that differ");
  add_workspace_options(cmp, *o_cmp);
  cmp->add_flag("--all", o_cmp->all, "Also the identical settings and the per-epoch metrics");
  cmp->add_option("runs", o_cmp->runs, "Two or more run ids")->required()->expected(2, 100);
  cmp->callback([o_cmp] { compare_runs(*o_cmp); });

  auto o_export = std::make_shared<RunsOptions>();
  auto* exp = runs->add_subcommand("export", "Write the runs in another tool's format (MLflow's file store)");
  add_workspace_options(exp, *o_export);
  exp->add_option("--format", o_export->format, "Output format")->capture_default_str()->check(CLI::IsMember({"mlflow"}));
  exp->add_option("--experiment", o_export->experiment, "Only this experiment (default: all)");
  exp->add_option("dir", o_export->out_dir, "Folder to write (replaced if it holds an earlier export)")->required();
  exp->callback([o_export] { export_runs(*o_export); });
}

}  // namespace hybridrec::cli
