// `hybridrec runs ...`: read the experiment-tracking store (list, show, compare).
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
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
  std::vector<store::RunRecord> runs;
  for (const auto& id : o.runs) runs.push_back(ws.tracking().get_run(ws.tracking().resolve_run_id(id)));
  std::set<std::string> param_keys, metric_keys;
  for (const auto& r : runs) {
    for (const auto& [k, v] : r.params) param_keys.insert(k);
    for (const auto& [k, v] : r.latest_metrics) metric_keys.insert(k);
  }
  json differing = json::object(), metrics = json::object();
  for (const auto& k : param_keys) {
    std::vector<std::string> values;
    for (const auto& r : runs) values.push_back(r.params.count(k) ? r.params.at(k) : "-");
    if (std::set<std::string>(values.begin(), values.end()).size() > 1) differing[k] = values;
  }
  for (const auto& k : metric_keys) {
    auto values = json::array();
    for (const auto& r : runs) values.push_back(r.latest_metrics.count(k) ? json(r.latest_metrics.at(k)) : json());
    metrics[k] = values;
  }
  if (o.json) {
    auto ids = json::array();
    for (const auto& r : runs) ids.push_back(r.run_id);
    std::cout << json{{"runs", ids}, {"params_differing", differing}, {"metrics", metrics}}.dump(2) << "\n";
    return;
  }
  std::vector<std::string> headers{"PARAM"};
  for (const auto& r : runs) headers.push_back(short_id(r.run_id) + " " + r.name);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, values] : differing.items()) {
    std::vector<std::string> row{k};
    for (const auto& v : values) row.push_back(v.get<std::string>());
    rows.push_back(row);
  }
  std::cout << "Parameters that differ\n" << render_table(headers, rows);
  headers[0] = "METRIC (latest)";
  rows.clear();
  for (const auto& [k, values] : metrics.items()) {
    std::vector<std::string> row{k};
    for (const auto& v : values) row.push_back(v.is_null() ? "-" : format_number(v.get<double>()));
    rows.push_back(row);
  }
  std::cout << "\nMetrics\n" << render_table(headers, rows);
}

}  // namespace

void register_runs(CLI::App& app) {
  auto* runs = app.add_subcommand("runs", "Experiment tracking: list, show and compare training runs");
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
  auto* cmp = runs->add_subcommand("compare", "Parameters that differ and metrics side by side");
  add_workspace_options(cmp, *o_cmp);
  cmp->add_option("runs", o_cmp->runs, "Two or more run ids")->required()->expected(2, 100);
  cmp->callback([o_cmp] { compare_runs(*o_cmp); });
}

}  // namespace hybridrec::cli
