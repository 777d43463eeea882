#include "report/run_sections.h"

#include <set>

#include <fmt/format.h>

#include "eval/result_report.h"
#include "report/html.h"

namespace hybridrec::report::detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string note(const std::string& text) { return "<p class=\"note\">" + escape(text) + "</p>\n"; }

// The improvement cell: "+12.5%" green when it is better for this metric.
Cell improvement_cell(const std::string& metric, double value, double reference) {
  Cell cell = text_cell(format_improvement(value, reference));
  cell.css_class = "num";
  if (std::isfinite(value) && std::isfinite(reference) && value != reference)
    cell.css_class = (value > reference) != lower_is_better(metric) ? "better" : "worse";
  return cell;
}

// Bars of one result section (`business`, ...) for the model and every baseline.
BarChart model_vs_baselines(const nlohmann::json& result, const std::string& title, const std::string& y_label,
                            const std::vector<std::pair<std::string, std::string>>& metrics) {
  BarChart chart{title, y_label, {result.value("model_version", std::string("model"))}, {}};
  const nlohmann::json& baselines = result.contains("baselines") ? result["baselines"] : nlohmann::json::object();
  for (const auto& [name, unused] : baselines.items()) chart.series_names.push_back(name);
  for (const auto& [section, key] : metrics) {
    BarGroup group{key, {metric_value(result["metrics"], section, key)}};
    for (const auto& [name, m] : baselines.items()) group.values.push_back(metric_value(m, section, key));
    chart.groups.push_back(group);
  }
  return chart;
}

bool has_result(const RunData& run) { return run.result.is_object() && run.result.contains("metrics"); }

std::string missing_result(const RunData& run) {
  std::string out = note("No test results for this run (it logged no readable metrics.json).");
  for (const auto& n : run.notes) out += note(n);
  return out;
}

}  // namespace

double metric_value(const nlohmann::json& metrics, const std::string& section, const std::string& key) {
  if (!metrics.is_object() || !metrics.contains(section) || !metrics[section].is_object()) return kNaN;
  const auto& s = metrics[section];
  return s.contains(key) && s[key].is_number() ? s[key].get<double>() : kNaN;
}

Series history_series(const store::RunRecord& run, const std::string& key, const std::string& name) {
  Series s{name, {}, {}};
  if (auto it = run.metrics.find(key); it != run.metrics.end())
    for (const auto& point : it->second) {
      s.x.push_back(static_cast<double>(point.step));
      s.y.push_back(point.value);
    }
  return s;
}

std::string param(const store::RunRecord& run, const std::string& key, const std::string& fallback) {
  auto it = run.params.find(key);
  return it == run.params.end() ? fallback : it->second;
}

std::string short_id(const std::string& run_id) { return run_id.substr(0, 12); }

std::string run_label(const store::RunRecord& run) { return run.name + " (" + short_id(run.run_id) + ")"; }

int primary_k(const nlohmann::json& result) {
  return result.is_object() && result.contains("evaluation") ? result["evaluation"].value("primary_k", 10) : 10;
}

std::string summary_section(const std::vector<RunData>& runs) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& data : runs) {
    const auto& r = data.run;
    const nlohmann::json training = data.result.is_object() ? data.result.value("training", nlohmann::json::object())
                                                            : nlohmann::json::object();
    const int epochs = training.value("epochs_run", 0);
    const std::string model = r.tags.count("model_id") ? r.tags.at("model_id") : "-";
    Cell status = text_cell(store::to_string(r.status));
    status.css_class = "status-" + status.text;
    rows.push_back({text_cell(short_id(r.run_id)), text_cell(r.name), status, text_cell(param(r, "model.type", "-")),
                    text_cell(epochs ? std::to_string(epochs) : "-"),
                    text_cell(best_epoch(data) ? std::to_string(best_epoch(data)) : "-"),
                    text_cell(training.value("stop_reason", r.tags.count("stop_reason") ? r.tags.at("stop_reason") : "-")),
                    text_cell(model), text_cell(r.tags.count("data") ? r.tags.at("data") : "-")});
  }
  std::string out = html_table({"run", "name", "status", "model type", "epochs", "kept epoch", "stop reason",
                                "registered as", "data"},
                               rows);
  for (const auto& data : runs)
    for (const auto& n : data.notes) out += note(run_label(data.run) + ": " + n);
  return out;
}

std::string loss_section(const std::vector<RunData>& runs) {
  const RunData& main = runs.front();
  LineChart chart;
  chart.title = "Training and validation loss";
  chart.x_label = "epoch";
  chart.y_label = "loss (" + param(main.run, "training.loss_function", "loss") + ", mean per sample)";
  bool any_validation = false;
  for (const auto& data : runs) {
    const std::string prefix = runs.size() > 1 ? data.run.name + " " + short_id(data.run.run_id).substr(0, 6) + " " : "";
    chart.series.push_back(history_series(data.run, "train_loss", prefix + "training"));
    Series val = history_series(data.run, "val_loss", prefix + "validation");
    any_validation = any_validation || !val.y.empty();
    if (!val.y.empty()) chart.series.push_back(val);
  }
  if (int best = best_epoch(main)) {
    chart.marker_x = best;
    chart.marker_label = fmt::format("kept epoch {}", best);
  }
  std::vector<std::vector<Cell>> rows;
  const std::string metric = "val_" + param(main.run, "training.early_stopping_metric", "ndcg@10");
  const std::vector<std::string> keys{"train_loss", "val_loss", metric, "lr"};
  std::vector<Series> columns;
  for (const auto& key : keys) columns.push_back(history_series(main.run, key, key));
  for (std::size_t i = 0; i < columns[0].x.size(); ++i) {
    std::vector<Cell> row{text_cell(fmt::format("{}", columns[0].x[i]))};
    for (const auto& c : columns) row.push_back(i < c.y.size() && c.x[i] == columns[0].x[i] ? number_cell(c.y[i], c.name == "lr" ? 6 : 4) : text_cell("-"));
    rows.push_back(row);
  }
  std::vector<std::string> headers{"epoch"};
  headers.insert(headers.end(), keys.begin(), keys.end());
  std::string out = HtmlPage::chart_beside(render_svg(chart), "<div class=\"tall\">" + html_table(headers, rows, "epochs") + "</div>");
  out += note("Training loss: the mean over the epoch's samples (positives and sampled negatives). Validation loss: "
              "the same loss on validation pairs of trained users and items, negatives drawn once for all epochs.");
  if (!any_validation) out += note("This run recorded no validation loss (no validation part, or trained before "
                                   "validation loss was logged).");
  return out;
}

std::string validation_section(const std::vector<RunData>& runs) {
  const RunData& main = runs.front();
  const std::string metric = param(main.run, "training.early_stopping_metric", "ndcg@10");
  LineChart quality{"Validation " + metric + " (early-stopping metric)", "epoch", metric + " on validation (0-1)", {}};
  LineChart lr{"Learning rate (ReduceLROnPlateau)", "epoch", "learning rate (log scale)", {}};
  lr.log_y = true;
  for (const auto& data : runs) {
    const std::string name = runs.size() > 1 ? data.run.name + " " + short_id(data.run.run_id).substr(0, 6) : "";
    quality.series.push_back(history_series(data.run, "val_" + metric, name.empty() ? "validation " + metric : name));
    lr.series.push_back(history_series(data.run, "lr", name.empty() ? "learning rate" : name));
  }
  const int best = best_epoch(main);
  const std::string stop = main.result.is_object() && main.result.contains("training")
                               ? main.result["training"].value("stop_reason", std::string("-"))
                               : (main.run.tags.count("stop_reason") ? main.run.tags.at("stop_reason") : "-");
  const int epochs = static_cast<int>(quality.series.front().x.size());
  if (best) {
    const std::string label = fmt::format("kept epoch {}{}", best, stop == "early_stopping" ? " (early stopping)" : "");
    quality.marker_x = lr.marker_x = best;
    quality.marker_label = lr.marker_label = label;
  }
  std::string out = HtmlPage::chart_row({render_svg(quality), render_svg(lr)});
  out += note(best ? fmt::format("Training ran {} epoch(s) and stopped because of {}; the parameters of epoch {} "
                                 "(the best validation {}) are the ones kept.",
                                 epochs, stop, best, metric)
                   : std::string("No validation part: every epoch ran and the last one is kept."));
  return out;
}

std::string metrics_section(const std::vector<RunData>& runs) {
  const RunData& main = runs.front();
  if (!has_result(main)) return missing_result(main);
  const nlohmann::json& result = main.result;
  const int k = primary_k(result);
  const nlohmann::json baselines = result.value("baselines", nlohmann::json::object());
  const nlohmann::json best_name =
      result.value("comparison_to_baseline", nlohmann::json::object()).value("baseline", nlohmann::json());
  const std::string best = best_name.is_string() && baselines.contains(best_name.get<std::string>())
                               ? best_name.get<std::string>()
                               : "";
  std::vector<std::string> headers{"metric", result.value("model_version", std::string("model"))};
  for (const auto& [name, unused] : baselines.items()) headers.push_back(name);
  if (!best.empty()) headers.push_back("vs " + best + " (best baseline)");
  std::vector<std::vector<Cell>> rows;
  for (const auto& [section, key] : headline_metrics(k)) {
    const double mine = metric_value(result["metrics"], section, key);
    std::vector<Cell> row{text_cell(key), number_cell(mine)};
    for (const auto& [name, m] : baselines.items()) row.push_back(number_cell(metric_value(m, section, key)));
    if (!best.empty()) row.push_back(improvement_cell(key, mine, metric_value(baselines[best], section, key)));
    rows.push_back(row);
  }
  std::string out = html_table(headers, rows, "metrics");
  out += note(fmt::format("Test part, {} users evaluated, K = {}. Improvement = relative change over the best "
                          "baseline (highest ndcg@{}); for rmse, mae and the fairness gaps lower is better.",
                          result.contains("evaluation") ? result["evaluation"].value("users_evaluated", 0) : 0, k, k));
  const auto headline = headline_metrics(k);
  const std::vector<std::pair<std::string, std::string>> ranking(headline.begin(), headline.begin() + 6);
  out += HtmlPage::chart_row({render_svg(model_vs_baselines(result, "Ranking metrics at K = " + std::to_string(k),
                                                            "value (0-1)", ranking))});

  if (runs.size() > 1) {  // --compare: every run's test metrics side by side, relative to the first
    std::vector<std::string> cmp_headers{"metric"};
    for (const auto& data : runs) cmp_headers.push_back(run_label(data.run));
    for (std::size_t i = 1; i < runs.size(); ++i) cmp_headers.push_back(short_id(runs[i].run.run_id) + " vs first");
    std::vector<std::vector<Cell>> cmp_rows;
    for (const auto& [section, key] : headline) {
      std::vector<Cell> row{text_cell(key)};
      std::vector<double> values;
      for (const auto& data : runs)
        values.push_back(has_result(data) ? metric_value(data.result["metrics"], section, key) : kNaN);
      for (double v : values) row.push_back(number_cell(v));
      for (std::size_t i = 1; i < values.size(); ++i) row.push_back(improvement_cell(key, values[i], values[0]));
      cmp_rows.push_back(row);
    }
    out += "<h3>Runs compared (test part)</h3>\n" + html_table(cmp_headers, cmp_rows, "compare");
  }
  return out;
}

std::string segments_section(const RunData& run) {
  if (!has_result(run)) return missing_result(run);
  const int k = primary_k(run.result);
  const nlohmann::json segments = run.result.value("segments", nlohmann::json::object());
  if (segments.empty()) return note("The evaluation reported no segments.");
  const std::vector<std::string> keys{fmt::format("hit_rate@{}", k), fmt::format("recall@{}", k),
                                      fmt::format("ndcg@{}", k), fmt::format("precision@{}", k)};
  BarChart chart{"Per segment at K = " + std::to_string(k), "value (0-1)", {keys[0], keys[1], keys[2]}, {}};
  std::vector<std::vector<Cell>> rows;
  for (const auto& [name, m] : segments.items()) {
    const nlohmann::json wrapped = {{"s", m}};
    BarGroup group{name, {}};
    std::vector<Cell> row{text_cell(name), text_cell(std::to_string(m.value("users", 0)))};
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const double v = metric_value(wrapped, "s", keys[i]);
      if (i < 3) group.values.push_back(v);
      row.push_back(number_cell(v));
    }
    chart.groups.push_back(group);
    rows.push_back(row);
  }
  std::vector<std::string> headers{"segment", "users"};
  headers.insert(headers.end(), keys.begin(), keys.end());
  std::string out = HtmlPage::chart_beside(render_svg(chart), html_table(headers, rows, "segments"));
  out += note("new_users: no training interactions; active_users: the rest; cold_items: relevant items unseen in "
              "training (hit rate and recall only count those items).");
  return out;
}

std::string fairness_section(const RunData& run) {
  if (!has_result(run)) return missing_result(run);
  const nlohmann::json f = run.result["metrics"].value("fairness", nlohmann::json::object());
  if (!f.contains("groups") || !f["groups"].is_object() || f["groups"].empty())
    return note("The evaluation reported no user groups (no attribute to group by).");
  const std::string dp = f.value("dp_metric", std::string("hit_rate@10"));
  const std::string eo = f.value("eo_metric", std::string("recall@10"));
  const std::string by = f.value("group_by", std::string("group"));
  BarChart chart{"Per " + by + " group", "value (0-1)", {dp, eo}, {}};
  std::vector<std::vector<Cell>> rows;
  for (const auto& [name, g] : f["groups"].items()) {
    const nlohmann::json wrapped = {{"g", g}};
    const double a = metric_value(wrapped, "g", dp), b = metric_value(wrapped, "g", eo);
    chart.groups.push_back({name, {a, b}});
    rows.push_back({text_cell(name), text_cell(std::to_string(g.value("users", 0))), number_cell(a), number_cell(b)});
  }
  std::vector<std::vector<Cell>> gaps{
      {text_cell("demographic_parity (largest gap in " + dp + ")"),
       number_cell(metric_value(run.result["metrics"], "fairness", "demographic_parity"))},
      {text_cell("equal_opportunity (largest gap in " + eo + ")"),
       number_cell(metric_value(run.result["metrics"], "fairness", "equal_opportunity"))}};
  return HtmlPage::chart_beside(render_svg(chart), html_table({by, "users", dp, eo}, rows, "fairness") +
                                                      html_table({"gap", "value"}, gaps, "fairness-gaps"));
}

std::string business_section(const RunData& run) {
  if (!has_result(run)) return missing_result(run);
  const std::vector<std::pair<std::string, std::string>> metrics{
      {"business", "coverage"}, {"business", "diversity"}, {"business", "novelty"}, {"business", "serendipity"}};
  BarChart chart = model_vs_baselines(run.result, "Catalogue coverage, diversity, novelty, serendipity", "value (0-1)", metrics);
  std::vector<std::string> headers{"metric"};
  headers.insert(headers.end(), chart.series_names.begin(), chart.series_names.end());
  std::vector<std::vector<Cell>> rows;
  for (const auto& g : chart.groups) {
    std::vector<Cell> row{text_cell(g.label)};
    for (double v : g.values) row.push_back(number_cell(v));
    rows.push_back(row);
  }
  std::string out = HtmlPage::chart_beside(render_svg(chart), html_table(headers, rows, "business"));
  out += note("coverage: share of the catalogue in someone's top-K; diversity: mean pairwise category distance in a "
              "list; novelty: mean popularity rank, 1 = least popular; serendipity: relevant items the popularity "
              "list would not show. See docs/metrics.md.");
  return out;
}

std::string parameters_section(const std::vector<RunData>& runs) {
  std::set<std::string> keys;
  for (const auto& data : runs)
    for (const auto& [k, v] : data.run.params) keys.insert(k);
  std::vector<std::string> headers{"parameter"};
  for (const auto& data : runs) headers.push_back(runs.size() > 1 ? run_label(data.run) : "value");
  std::vector<std::vector<Cell>> rows;
  for (const auto& key : keys) {
    std::vector<Cell> row{text_cell(key)};
    for (const auto& data : runs) row.push_back(text_cell(param(data.run, key, "-")));
    rows.push_back(row);
  }
  std::string out = html_table(headers, rows, "kv params");
  std::vector<std::vector<Cell>> meta;
  const auto& r = runs.front().run;
  meta.push_back({text_cell("seeds"), text_cell(r.seeds.dump())});
  meta.push_back({text_cell("git commit"), text_cell(r.git_commit.value_or("-"))});
  meta.push_back({text_cell("host / pid"), text_cell(r.host + " / " + std::to_string(r.pid))});
  for (const auto& [k, v] : r.tags) meta.push_back({text_cell("tag " + k), text_cell(v)});
  for (const auto& a : r.artifacts)
    meta.push_back({text_cell("artifact " + a.path), text_cell(fmt::format("{} bytes, sha256 {}", a.size, a.sha256))});
  out += "<h3>Reproducibility</h3>\n" + html_table({"what", "value"}, meta, "kv");
  return out;
}

}  // namespace hybridrec::report::detail
