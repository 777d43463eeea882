// `hybridrec models ...`: the model registry (register, promote, deploy, roll back, compare).
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "report/comparison.h"
#include "serve/online_metrics.h"
#include "store/model_dir.h"
#include "store/registry.h"
#include "store/text_table.h"
#include "store/workspace.h"

namespace hybridrec::cli {
namespace {

using nlohmann::json;
using store::format_number;
using store::render_table;

struct ModelsOptions {
  std::string workspace = store::kDefaultWorkspace;
  std::string store_url;
  bool json = false;
  std::string id, other;
  std::string artifacts, run, version, gate_metric;
  bool force = false;
  bool online = false;
  bool all = false;
  std::string env = "production";
  double traffic = 100;
};

void add_workspace_options(CLI::App* cmd, ModelsOptions& o, bool with_json = true) {
  cmd->add_option("--workspace", o.workspace, "Workspace folder (database + artifacts)")->capture_default_str();
  cmd->add_option("--store", o.store_url, "Store URL: postgresql://... (default: SQLite in the workspace)")
      ->envname("HYBRIDREC_STORE_URL");
  if (with_json) cmd->add_flag("--json", o.json, "Print JSON");
}

// Every models subcommand but register reads an existing workspace: a mistyped
// --workspace is refused, never created.
store::Workspace open(const ModelsOptions& o) { return store::Workspace::open_existing(o.workspace, o.store_url); }

std::string gate_value(const store::ModelRecord& m) {
  auto v = store::find_metric(m.metrics, m.gate_metric);
  return v ? format_number(*v) : "-";
}

std::string last_deployment(const store::ModelRecord& m) {
  if (m.deployment_history.empty()) return "-";
  const auto& d = m.deployment_history.back();
  return fmt::format("{} {}% {}", d.environment, format_number(d.traffic_percentage), d.deployed_at);
}

void print_summary(const std::string& action, const store::ModelRecord& m, bool as_json) {
  if (as_json) {
    std::cout << m.to_json().dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} {} ({}, status {}, {} {})\n", action, m.model_id, m.version, store::to_string(m.status),
                           m.gate_metric, gate_value(m));
}

void list_models(const ModelsOptions& o) {
  auto ws = open(o);
  auto models = ws.registry().list();
  if (o.json) {
    auto out = json::array();
    for (const auto& m : models) out.push_back(m.to_json());
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : models)
    rows.push_back({m.model_id, store::to_string(m.status), m.created_at, m.model_type,
                    m.gate_metric + "=" + gate_value(m), m.run_id ? m.run_id->substr(0, 12) : "-", last_deployment(m)});
  std::cout << render_table({"MODEL", "STATUS", "CREATED", "TYPE", "GATE METRIC", "RUN", "LAST DEPLOYMENT"}, rows);
}

void flatten(const json& value, const std::string& prefix, std::vector<std::vector<std::string>>& rows) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, rows);
  } else {
    rows.push_back({prefix, value.is_number_float() ? format_number(value.get<double>())
                                                    : (value.is_string() ? value.get<std::string>() : value.dump())});
  }
}

void show_model(const ModelsOptions& o) {
  auto ws = open(o);
  auto m = ws.registry().get(o.id);
  if (o.json) {
    auto j = m.to_json();
    auto events = json::array();
    for (const auto& e : ws.registry().events(m.model_id))
      events.push_back({{"event", e.event}, {"details", e.details}, {"occurred_at", e.occurred_at}});
    j["events"] = events;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("model       {}\nversion     {}\nstatus      {}\ncreated     {}\ntype        {}\nrun         {}\n"
                           "artifacts   {}\ngate        {} = {}\n",
                           m.model_id, m.version, store::to_string(m.status), m.created_at, m.model_type,
                           m.run_id.value_or("-"), (ws.root() / m.artifact_path).string(), m.gate_metric,
                           gate_value(m));
  std::vector<std::vector<std::string>> rows;
  flatten(m.hyperparameters, "", rows);
  std::cout << "\nHyperparameters\n" << render_table({"NAME", "VALUE"}, rows);
  rows.clear();
  flatten(m.metrics, "", rows);
  std::cout << "\nMetrics\n" << render_table({"METRIC", "VALUE"}, rows);
  rows.clear();
  flatten(m.training_data, "", rows);
  std::cout << "\nTraining data\n" << render_table({"FIELD", "VALUE"}, rows);
  std::cout << "\nInput features: " << m.features.dump() << "\n";
  rows.clear();
  for (const auto& d : m.deployment_history)
    rows.push_back({d.environment, format_number(d.traffic_percentage) + "%", d.deployed_at, d.reason});
  std::cout << "\nDeployment history\n" << render_table({"ENVIRONMENT", "TRAFFIC", "DEPLOYED AT", "REASON"}, rows);
  rows.clear();
  for (const auto& e : ws.registry().events(m.model_id)) rows.push_back({e.occurred_at, e.event, e.details.dump()});
  std::cout << "\nEvents\n" << render_table({"AT", "EVENT", "DETAILS"}, rows);
  rows.clear();
  for (const auto& f : m.files) rows.push_back({f.path, std::to_string(f.size), f.sha256.substr(0, 16)});
  std::cout << "\nFiles\n" << render_table({"PATH", "BYTES", "SHA256"}, rows);
}

// Registration says when a model could never be promoted without --force.
void print_registration_gate(const store::ModelRecord& m, const json& registered_event) {
  if (!registered_event.contains("gate")) return;
  const auto& g = registered_event["gate"];
  if (g.value("below_baseline", false))
    std::cout << fmt::format("note: {} scores below the best baseline on {} ({} {:.4f} < {} {:.4f}): it will not be "
                             "promoted without --force\n",
                             m.model_id, m.gate_metric, m.model_id, g["value"].get<double>(),
                             g["best_baseline"].get<std::string>(), g["baseline_value"].get<double>());
}

// Promote and rollback print the comparison whenever the gate does not pass,
// before refusing (without --force) or going ahead (with it).
void print_gate(const store::GateCheck& gate, bool force, const std::string& action) {
  if (gate.passes()) return;
  std::cerr << fmt::format("{}: {}\n", force ? "warning (--force)" : "refused", gate.failure());
  if (force) std::cerr << fmt::format("{} anyway, as --force asks\n", action);
}

void register_model(const ModelsOptions& o) {
  auto ws = store::Workspace::open(o.workspace, o.store_url);
  auto req = store::register_request_from_model_dir(
      o.artifacts, o.run.empty() ? std::nullopt : std::optional<std::string>(ws.tracking().resolve_run_id(o.run)));
  if (!o.version.empty()) req.version = o.version;
  if (!o.gate_metric.empty()) req.gate_metric = o.gate_metric;
  auto m = ws.registry().register_model(req);
  auto events = ws.registry().events(m.model_id);
  if (!o.json && !events.empty()) {
    const auto& d = events.front().details;
    std::string why = d.value("bump", "") == "explicit" ? "version given with --version"
                      : d["base_model"].is_null()       ? "first model"
                                                        : d.value("bump", "") + " bump vs " + d["base_model"].get<std::string>();
    std::cout << fmt::format("registered {} ({}; {}) as challenger, {} files\n", m.model_id, m.version, why,
                             m.files.size());
    print_registration_gate(m, events.front().details);
    return;
  }
  print_summary("registered", m, o.json);
}

// Online A/B results from the serving event log (serve/online_metrics.h): the same
// counters and two-proportion z-tests as GET /v1/experiments, offline.
void compare_online(const ModelsOptions& o, store::Workspace& ws) {
  const std::string a = ws.registry().get(o.id).model_id, b = ws.registry().get(o.other).model_id;
  serve::OnlineMetrics metrics;
  const auto log = ws.root() / "serving" / "events.jsonl";
  const std::size_t skipped = metrics.replay(log);
  auto cmp = metrics.compare(a, b);
  cmp["events_log"] = log.string();
  cmp["lines_skipped"] = skipped;
  if (o.json) {
    std::cout << cmp.dump(2) << "\n";
    return;
  }
  const auto& ca = cmp["counters"][a];
  const auto& cb = cmp["counters"][b];
  std::vector<std::vector<std::string>> rows;
  for (const char* k : {"impressions", "clicks", "add_to_carts", "conversions"})
    rows.push_back({k, std::to_string(ca[k].get<std::uint64_t>()), std::to_string(cb[k].get<std::uint64_t>()), ""});
  for (const auto& [name, test] : {std::pair<std::string, json>{"ctr", cmp["ctr"]}, {"conversion_rate", cmp["conversion"]}})
    rows.push_back({name, fmt::format("{:.4f}", test["a"].get<double>()), fmt::format("{:.4f}", test["b"].get<double>()),
                    fmt::format("lift {:+.1f}%, z {:.2f}, p {:.4f}{}", 100 * test["relative_lift"].get<double>(),
                                test["z"].get<double>(), test["p_value"].get<double>(),
                                test["significant_at_0.05"].get<bool>() ? " (significant)" : "")});
  std::cout << render_table({"online (" + log.string() + ")", a, b, "B vs A"}, rows);
}

void compare_models(const ModelsOptions& o) {
  auto ws = open(o);
  if (o.online) return compare_online(o, ws);
  const auto cmp = report::compare_subjects({report::subject_from_model(ws.registry().get(o.id), ws.artifacts()),
                                             report::subject_from_model(ws.registry().get(o.other), ws.artifacts())},
                                            o.all);
  std::cout << (o.json ? report::comparison_json(cmp).dump(2) + "\n" : report::comparison_text(cmp));
}

}  // namespace

void register_models(CLI::App& app) {
  auto* models = app.add_subcommand("models", "Model registry: versions, champion/challenger, deployments");
  models->require_subcommand(1);

  auto o_list = std::make_shared<ModelsOptions>();
  auto* list = models->add_subcommand("list", "List registered models by version");
  add_workspace_options(list, *o_list);
  list->callback([o_list] { list_models(*o_list); });

  auto o_show = std::make_shared<ModelsOptions>();
  auto* show = models->add_subcommand("show", "Everything the registry knows about a model");
  add_workspace_options(show, *o_show);
  show->add_option("id", o_show->id, "Model id (rec-model-v1.2.3) or version (v1.2.3)")->required();
  show->callback([o_show] { show_model(*o_show); });

  auto o_reg = std::make_shared<ModelsOptions>();
  auto* reg = models->add_subcommand("register", "Register a trained model directory as a challenger");
  add_workspace_options(reg, *o_reg);
  reg->add_option("--artifacts", o_reg->artifacts, "Model directory written by `hybridrec train`")->required();
  reg->add_option("--run", o_reg->run, "Tracking run the model came from");
  reg->add_option("--version", o_reg->version, "Explicit version vX.Y.Z (default: proposed from the champion)");
  reg->add_option("--gate-metric", o_reg->gate_metric, "Metric promote compares (default: the config's, else ndcg@10)");
  reg->callback([o_reg] { register_model(*o_reg); });

  auto o_promote = std::make_shared<ModelsOptions>();
  auto* promote = models->add_subcommand("promote", "Make a model the champion (the old one is archived)");
  add_workspace_options(promote, *o_promote);
  promote->add_option("id", o_promote->id, "Model id or version")->required();
  promote->add_flag("--force", o_promote->force,
                    "Promote even if worse than the champion or below the best baseline on the gate metric");
  promote->callback([o_promote] {
    auto ws = open(*o_promote);
    const auto gate = ws.registry().gate(o_promote->id);
    if (gate.model_id != (ws.registry().champion() ? ws.registry().champion()->model_id : ""))
      print_gate(gate, o_promote->force, "promoting");
    print_summary("promoted", ws.registry().promote(o_promote->id, o_promote->force), o_promote->json);
  });

  auto o_deploy = std::make_shared<ModelsOptions>();
  auto* deploy = models->add_subcommand("deploy", "Record a (canary) deployment step");
  add_workspace_options(deploy, *o_deploy);
  deploy->add_option("id", o_deploy->id, "Model id or version")->required();
  deploy->add_option("--env", o_deploy->env, "Environment")->capture_default_str();
  deploy->add_option("--traffic", o_deploy->traffic, "Traffic percentage (0, 100]")->capture_default_str();
  deploy->callback([o_deploy] {
    auto ws = open(*o_deploy);
    auto m = ws.registry().deploy(o_deploy->id, o_deploy->env, o_deploy->traffic);
    if (o_deploy->json) return print_summary("deployed", m, true);
    std::cout << fmt::format("deployed {} to {} at {}% traffic\n", m.model_id, o_deploy->env,
                             format_number(o_deploy->traffic));
  });

  auto o_rollback = std::make_shared<ModelsOptions>();
  auto* rollback = models->add_subcommand("rollback", "Restore the previous champion");
  add_workspace_options(rollback, *o_rollback);
  rollback->add_option("--env", o_rollback->env, "Environment")->capture_default_str();
  rollback->add_flag("--force", o_rollback->force,
                     "Roll back even to a model that scored worse than the champion or below its best baseline");
  rollback->callback([o_rollback] {
    auto ws = open(*o_rollback);
    print_gate(ws.registry().rollback_gate(), o_rollback->force, "rolling back");
    print_summary("rolled back to", ws.registry().rollback(o_rollback->env, o_rollback->force), o_rollback->json);
  });

  auto o_cmp = std::make_shared<ModelsOptions>();
  auto* cmp = models->add_subcommand("compare", "The models' own metrics, then only the settings, features and data that differ");
  add_workspace_options(cmp, *o_cmp);
  cmp->add_option("a", o_cmp->id, "First model")->required();
  cmp->add_option("b", o_cmp->other, "Second model")->required();
  cmp->add_flag("--all", o_cmp->all, "Also the identical settings and the baselines' metrics");
  cmp->add_flag("--online", o_cmp->online, "Online A/B metrics (CTR, conversion, z-tests) from `hybridrec serve`'s event log");
  cmp->callback([o_cmp] { compare_models(*o_cmp); });

  auto o_verify = std::make_shared<ModelsOptions>();
  auto* verify = models->add_subcommand("verify", "Re-hash a model's files; fails naming a corrupt or missing file");
  add_workspace_options(verify, *o_verify, false);
  verify->add_option("id", o_verify->id, "Model id or version")->required();
  verify->callback([o_verify] {
    auto ws = open(*o_verify);
    auto m = ws.registry().get(o_verify->id);
    ws.registry().verify_artifacts(m.model_id);
    std::cout << fmt::format("{}: {} files intact\n", m.model_id, m.files.size());
  });
}

}  // namespace hybridrec::cli
