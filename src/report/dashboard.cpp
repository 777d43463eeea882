#include "report/dashboard.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "report/html.h"
#include "report/online_events.h"
#include "report/registry_events.h"
#include "report/run_report.h"
#include "report/run_sections.h"
#include "store/workspace.h"

namespace hybridrec::report {

namespace {

// An unknown experiment, run or model: the page is a 404, not an error.
class NotFound : public Error {
 public:
  using Error::Error;
};

using Links = std::vector<std::pair<std::string, std::string>>;

Links navigation() {
  return {{"Experiments", "/"}, {"Runs", "/runs"}, {"Models", "/models"}, {"Online metrics", "/online"}};
}

HtmlPage dashboard_shell(const std::string& title, const std::string& subtitle) {
  HtmlPage page(title);
  page.set_navigation(navigation());
  page.add_subtitle(subtitle);
  return page;
}

std::string run_href(const std::string& run_id) { return "/runs/" + url_encode(run_id); }
std::string model_href(const std::string& model_id) { return "/models/" + url_encode(model_id); }
std::string experiment_href(const std::string& name) { return "/experiments/" + url_encode(name); }

Cell latest_cell(const store::RunRecord& r, const std::string& key) {
  auto it = r.latest_metrics.find(key);
  return it == r.latest_metrics.end() ? text_cell("-") : number_cell(it->second);
}

Cell status_cell(const std::string& status) {
  Cell c = text_cell(status);
  c.css_class = "status-" + status;
  return c;
}

std::string runs_table(const std::vector<store::RunRecord>& runs) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& r : runs)
    rows.push_back({link_cell(detail::short_id(r.run_id), run_href(r.run_id)), link_cell(r.experiment, experiment_href(r.experiment)),
                    text_cell(r.name), status_cell(store::to_string(r.status)), text_cell(r.start_time),
                    latest_cell(r, "train_loss"), latest_cell(r, "val_loss"), latest_cell(r, "val_ndcg@10"),
                    latest_cell(r, "test_ndcg@10"), latest_cell(r, "test_recall@10")});
  if (rows.empty()) return "<p class=\"note\">No runs yet: train one with <code>hybridrec train --workspace DIR</code>.</p>\n";
  return html_table({"run", "experiment", "name", "status", "started", "train loss", "val loss", "val ndcg@10",
                     "test ndcg@10", "test recall@10"},
                    rows, "runs") +
         "<p class=\"note\">train/val: the last epoch's values; test: the kept model on the test part.</p>\n";
}

DashboardPage home(store::Workspace& ws) {
  auto page = dashboard_shell("hybridrec dashboard", "workspace " + ws.root().string());
  std::vector<std::vector<Cell>> rows;
  for (const auto& name : ws.tracking().list_experiments()) {
    auto runs = ws.tracking().list_runs(name, 100000);
    const store::RunRecord* best = nullptr;
    for (const auto& r : runs)
      if (r.latest_metrics.count("test_ndcg@10") &&
          (!best || r.latest_metrics.at("test_ndcg@10") > best->latest_metrics.at("test_ndcg@10")))
        best = &r;
    const auto finished = std::count_if(runs.begin(), runs.end(), [](const auto& r) { return r.status == store::RunStatus::finished; });
    rows.push_back({link_cell(name, experiment_href(name)), text_cell(std::to_string(runs.size())),
                    text_cell(std::to_string(finished)), text_cell(runs.empty() ? "-" : runs.front().start_time),
                    best ? number_cell(best->latest_metrics.at("test_ndcg@10")) : text_cell("-"),
                    best ? link_cell(detail::run_label(*best), run_href(best->run_id)) : text_cell("-")});
  }
  page.add_section("experiments", "Experiments",
                   rows.empty() ? "<p class=\"note\">No experiments yet.</p>\n"
                                : html_table({"experiment", "runs", "finished", "latest run started", "best test ndcg@10",
                                              "best run"},
                                             rows, "experiments"));
  page.add_section("recent-runs", "Recent runs", runs_table(ws.tracking().list_runs("", 20)));
  auto champion = ws.registry().champion();
  page.add_section("champion", "Champion model",
                   champion ? html_table({"model", "version", "type", "gate metric"},
                                         {{link_cell(champion->model_id, model_href(champion->model_id)),
                                           text_cell(champion->version), text_cell(champion->model_type),
                                           text_cell(champion->gate_metric)}})
                            : "<p class=\"note\">No champion yet.</p>\n");
  return {200, page.render()};
}

DashboardPage experiment(store::Workspace& ws, const std::string& name) {
  const auto names = ws.tracking().list_experiments();
  if (std::find(names.begin(), names.end(), name) == names.end()) throw NotFound("no experiment '" + name + "'");
  auto runs = ws.tracking().list_runs(name, 100000);
  auto page = dashboard_shell("Experiment " + name, std::to_string(runs.size()) + " run(s), newest first");
  page.add_section("runs", "Runs", runs_table(runs));
  return {200, page.render()};
}

DashboardPage all_runs(store::Workspace& ws) {
  auto runs = ws.tracking().list_runs("", 500);
  auto page = dashboard_shell("Runs", "the newest 500 runs of every experiment");
  page.add_section("runs", "Runs", runs_table(runs));
  return {200, page.render()};
}

DashboardPage run_report_page(store::Workspace& ws, const std::string& id) {
  RunData data;
  try {
    data = load_run(ws, id);
  } catch (const Error& e) {
    throw NotFound(e.what());
  }
  Links links = navigation();
  links.emplace_back("Experiment " + data.run.experiment, experiment_href(data.run.experiment));
  if (data.run.tags.count("model_id")) links.emplace_back("Model " + data.run.tags.at("model_id"), model_href(data.run.tags.at("model_id")));
  return {200, render_run_report({data}, ReportOptions{links})};
}

std::string last_deployment(const store::ModelRecord& m) {
  if (m.deployment_history.empty()) return "-";
  const auto& d = m.deployment_history.back();
  return fmt::format("{} {}% at {}", d.environment, d.traffic_percentage, d.deployed_at);
}

Cell gate_cell(const store::ModelRecord& m) {
  auto v = store::find_metric(m.metrics, m.gate_metric);
  return v ? number_cell(*v) : text_cell("-");
}

// The audit trail in words (report/registry_events.h), one readable row per event.
std::string events_table(store::Workspace& ws, const std::vector<store::ModelEvent>& events, bool with_model) {
  if (events.empty()) return "<p class=\"note\">No events.</p>\n";
  std::map<std::string, std::string> versions;
  for (const auto& m : ws.registry().list()) versions[m.model_id] = m.version;
  auto or_dash = [](const std::string& text) { return text_cell(text.empty() ? "-" : text); };
  std::vector<std::vector<Cell>> rows;
  for (const auto& e : registry_event_rows(events, versions)) {
    std::vector<Cell> row{text_cell(e.time), text_cell(e.event)};
    if (with_model) row.push_back(link_cell(e.model_id, model_href(e.model_id)));
    for (const auto* text : {&e.version, &e.from, &e.to, &e.reason}) row.push_back(or_dash(*text));
    rows.push_back(row);
  }
  std::vector<std::string> headers{"when", "event"};
  if (with_model) headers.push_back("model");
  headers.insert(headers.end(), {"version", "from", "to", "who / reason"});
  return html_table(headers, rows, "events");
}

DashboardPage models(store::Workspace& ws) {
  auto page = dashboard_shell("Models", "the model registry: one champion, challengers, archived versions");
  std::vector<std::vector<Cell>> rows;
  for (const auto& m : ws.registry().list())
    rows.push_back({link_cell(m.model_id, model_href(m.model_id)), text_cell(m.version), status_cell(store::to_string(m.status)),
                    text_cell(m.created_at), text_cell(m.model_type), text_cell(m.gate_metric), gate_cell(m),
                    m.run_id ? link_cell(detail::short_id(*m.run_id), run_href(*m.run_id)) : text_cell("-"),
                    text_cell(last_deployment(m))});
  page.add_section("models", "Models",
                   rows.empty() ? "<p class=\"note\">No models registered yet.</p>\n"
                                : html_table({"model", "version", "status", "created", "type", "gate metric", "value",
                                              "run", "last deployment"},
                                             rows, "models"));
  auto events = ws.registry().events();
  std::reverse(events.begin(), events.end());  // newest first
  if (events.size() > 100) events.resize(100);
  page.add_section("events", "Registry events (newest 100)", events_table(ws, events, true));
  return {200, page.render()};
}

// "2024-01-01 .. 2024-09-28, 70000 training samples (shop)": the registry's training_data in words.
std::string training_data_text(const nlohmann::json& d) {
  if (!d.is_object() || !d.contains("start_date")) return d.dump();
  return fmt::format("{} .. {}, {} training samples ({})", d.value("start_date", "?"), d.value("end_date", "?"),
                     d.contains("num_samples") ? d["num_samples"].dump() : "?", d.value("path", std::string("?")));
}

DashboardPage model(store::Workspace& ws, const std::string& id) {
  store::ModelRecord m;
  try {
    m = ws.registry().get(id);
  } catch (const Error& e) {
    throw NotFound(e.what());
  }
  auto page = dashboard_shell("Model " + m.model_id, fmt::format("status {} · version {} · type {} · created {}",
                                                                   store::to_string(m.status), m.version, m.model_type,
                                                                   m.created_at));
  std::vector<std::vector<Cell>> kv{{text_cell("status"), status_cell(store::to_string(m.status))},
                                    {text_cell("version"), text_cell(m.version)},
                                    {text_cell("gate metric"), text_cell(m.gate_metric)},
                                    {text_cell("gate value"), text_cell(gate_cell(m).text)},
                                    {text_cell("training data"), text_cell(training_data_text(m.training_data))},
                                    {text_cell("artifacts"), text_cell(m.artifact_path)}};
  if (m.run_id) kv.push_back({text_cell("run"), link_cell(*m.run_id, run_href(*m.run_id))});
  page.add_section("summary", "Summary", html_table({"what", "value"}, kv, "kv"));
  RunData as_run;
  as_run.result = m.metrics;
  page.add_section("metrics", "Test metrics against the baselines", detail::metrics_section({as_run}));
  std::vector<std::vector<Cell>> deployments;
  for (const auto& d : m.deployment_history)
    deployments.push_back({text_cell(d.deployed_at), text_cell(d.environment), number_cell(d.traffic_percentage, 1),
                           text_cell(d.reason)});
  page.add_section("deployments", "Deployment history",
                   deployments.empty() ? "<p class=\"note\">Never deployed.</p>\n"
                                       : html_table({"deployed at", "environment", "traffic %", "reason"}, deployments));
  page.add_section("events", "Events", events_table(ws, ws.registry().events(m.model_id), false));
  std::vector<std::vector<Cell>> hyper;
  for (const auto& [k, v] : m.hyperparameters.items()) hyper.push_back({text_cell(k), text_cell(v.dump())});
  page.add_section("hyperparameters", "Hyperparameters", html_table({"parameter", "value"}, hyper, "kv"));
  return {200, page.render()};
}

DashboardPage online(store::Workspace& ws) {
  const auto file = online_events_path(ws.root());
  auto page = dashboard_shell("Online metrics: champion vs challenger",
                              "from the feedback events of hybridrec serve (" + file.string() + ")");
  const OnlineEvents events = read_online_events(file);
  if (events.by_model.empty()) {
    page.add_section("online", "Online metrics", "<p class=\"note\">no online events yet</p>\n");
    return {200, page.render()};
  }
  std::map<std::string, std::string> roles;
  for (const auto& m : ws.registry().list()) roles[m.model_id] = store::to_string(m.status);
  std::vector<std::vector<Cell>> rows;
  BarChart chart{"Click-through and conversion rate per model", "share of recommendation responses (0-1)",
                 {"CTR", "conversion rate"}, {}};
  for (const auto& [model_id, c] : events.by_model) {
    const std::string role = roles.count(model_id) ? roles[model_id] : "not in registry";
    rows.push_back({link_cell(model_id, model_href(model_id)), status_cell(role), text_cell(std::to_string(c.responses)),
                    text_cell(std::to_string(c.clicked)), number_cell(c.ctr()), text_cell(std::to_string(c.converted)),
                    number_cell(c.conversion_rate()), text_cell(std::to_string(c.events)),
                    text_cell(c.first_event + " .. " + c.last_event)});
    chart.groups.push_back({model_id + " (" + role + ")", {c.ctr(), c.conversion_rate()}});
  }
  std::string body = HtmlPage::chart_row({render_svg(chart)}) +
                     html_table({"model", "role", "responses with feedback", "clicked", "CTR", "converted",
                                 "conversion rate", "events", "period"},
                                rows, "online");
  body += "<p class=\"note\">A recommendation response counts once however many events name it: CTR = clicked / "
          "responses with feedback, conversion rate = responses with a purchase / responses with feedback.</p>\n";
  if (events.skipped_lines)
    body += "<p class=\"note\">" + std::to_string(events.skipped_lines) + " unreadable line(s) skipped.</p>\n";
  page.add_section("online", "Online metrics", body);
  return {200, page.render()};
}

DashboardPage error_page(int status, const std::string& title, const std::string& message) {
  auto page = dashboard_shell(title, "");
  page.add_section("error", title, "<p>" + escape(message) + "</p>\n<p><a href=\"/\">Back to the experiments</a></p>\n");
  return {status, page.render()};
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

DashboardPage dashboard_page(const DashboardOptions& options, const std::string& path) {
  const auto parts = split_path(path);
  try {
    auto ws = store::Workspace::open(options.workspace, options.store_url);
    if (parts.empty()) return home(ws);
    if (parts[0] == "runs" && parts.size() == 1) return all_runs(ws);
    if (parts[0] == "runs" && parts.size() == 2) return run_report_page(ws, parts[1]);
    if (parts[0] == "experiments" && parts.size() >= 2)  // a name may hold '/'
      return experiment(ws, path.substr(path.find("experiments/") + 12));
    if (parts[0] == "models" && parts.size() == 1) return models(ws);
    if (parts[0] == "models" && parts.size() == 2) return model(ws, parts[1]);
    if (parts[0] == "online" && parts.size() == 1) return online(ws);
    return error_page(404, "Not found", "There is no page " + path + ".");
  } catch (const NotFound& e) {
    return error_page(404, "Not found", e.what());
  } catch (const std::exception& e) {
    return error_page(500, "Error", e.what());
  }
}

}  // namespace hybridrec::report
