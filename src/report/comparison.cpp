#include "report/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/atomic_file.h"
#include "store/text_table.h"

namespace hybridrec::report {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxCell = 40;  // wider values (vocabularies, long lists) are cut in the text view

std::string text_of(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// Objects become "a.b" rows and lists of objects "a[0].b" rows, so no cell holds a
// JSON document; a list of plain values ([128, 64, 32]) stays one cell.
void flatten(const json& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (value.is_array() && std::any_of(value.begin(), value.end(), [](const json& v) { return v.is_structured(); })) {
    for (std::size_t i = 0; i < value.size(); ++i) flatten(value[i], prefix + "[" + std::to_string(i) + "]", out);
  } else {
    out[prefix] = text_of(value);
  }
}

// A headline metric: one at the primary cut-off (ndcg@10, not ndcg@5) or without
// one (map, rmse, coverage), and not a count (pairs, users, k).
bool headline_metric(const std::string& name, int k) {
  static const std::set<std::string> counts = {"k",     "pairs", "positives", "negatives", "negatives_per_positive",
                                               "users", "users_without_group", "users_evaluated", "primary_k"};
  if (counts.count(name)) return false;
  const auto at = name.find('@');
  return at == std::string::npos || name.substr(at + 1) == std::to_string(k);
}

void flatten_numbers(const json& value, const std::string& prefix, std::map<std::string, double>& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) flatten_numbers(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (value.is_number()) {
    out[prefix] = value.get<double>();
  }
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The saved configuration's sections, sorted into what a reader compares separately.
void add_config(CompareSubject& s, const json& config) {
  for (const auto& [section, value] : config.items()) {
    // Identity, not configuration: they differ for every model and the label already says which.
    if (section == "run_id" || section == "model_version") continue;
    std::map<std::string, std::string>* target = &s.settings;
    if (section == "data" || section == "training_data" || section == "num_users" || section == "num_items")
      target = &s.data;
    else if (section == "features" || section == "content_features")
      target = &s.features;
    std::map<std::string, std::string> rows;
    flatten(value, section, rows);
    for (auto& [key, text] : rows) {
      // How long an automatic choice took to measure differs from run to run and is not a setting.
      const std::string leaf = key.substr(key.find_last_of('.') + 1);
      if (leaf == "seconds" || (leaf.size() > 8 && leaf.compare(leaf.size() - 8, 8, "_seconds") == 0)) continue;
      (*target)[key] = std::move(text);
    }
  }
}

std::optional<json> saved_config(const store::ModelRecord& model, const store::ArtifactStore& artifacts) {
  for (const auto& f : model.files) {
    if (f.path != "config.json") continue;
    try {
      return read_json(artifacts.object_path(f.sha256));
    } catch (const std::exception&) {
      return std::nullopt;  // a missing object: compare what the registry indexed instead
    }
  }
  return std::nullopt;
}

std::string cell(const json& value, bool metric) {
  if (value.is_null()) return "-";
  if (metric && value.is_number()) return store::format_number(value.get<double>());
  std::string text = text_of(value);
  if (text.size() > kMaxCell) text = text.substr(0, kMaxCell - 3) + "...";
  return text;
}

std::string column_letter(std::size_t i) {
  return i < 26 ? std::string(1, static_cast<char>('A' + i)) : "#" + std::to_string(i + 1);
}

template <typename Value>
ComparisonSection build_section(const std::string& name, const std::vector<const std::map<std::string, Value>*>& maps,
                                bool keep_identical) {
  ComparisonSection section{name, {}, 0};
  std::set<std::string> keys;
  for (const auto* m : maps)
    for (const auto& [k, v] : *m) keys.insert(k);
  for (const auto& key : keys) {
    ComparisonRow row{key, {}, false, std::nullopt};
    for (const auto* m : maps) {
      auto it = m->find(key);
      row.values.push_back(it == m->end() ? json() : json(it->second));
    }
    row.differs = std::any_of(row.values.begin(), row.values.end(), [&](const json& v) { return v != row.values[0]; });
    if (maps.size() == 2 && row.values[0].is_number() && row.values[1].is_number())
      row.delta = row.values[1].template get<double>() - row.values[0].template get<double>();
    if (row.differs || keep_identical) section.rows.push_back(std::move(row));
    else ++section.hidden;
  }
  return section;
}

// A top-level section that only some subjects have (a model that fell back to a
// baseline has a "fallback" section, the other not) differs in every row; one row
// saying how many settings it holds reads better than forty rows against "-".
std::vector<std::map<std::string, std::string>> collapse_one_sided(
    const std::vector<const std::map<std::string, std::string>*>& maps) {
  auto top = [](const std::string& key) { return key.substr(0, key.find_first_of(".[")); };
  std::map<std::string, std::vector<int>> counts;  // section -> rows per subject
  for (std::size_t i = 0; i < maps.size(); ++i)
    for (const auto& [key, value] : *maps[i]) {
      auto& c = counts[top(key)];
      c.resize(maps.size());
      ++c[i];
    }
  std::vector<std::map<std::string, std::string>> out(maps.size());
  for (std::size_t i = 0; i < maps.size(); ++i)
    for (const auto& [key, value] : *maps[i]) {
      const std::string section = top(key);
      const auto& c = counts[section];
      const bool one_sided = std::count(c.begin(), c.end(), 0) > 0 && *std::max_element(c.begin(), c.end()) > 1;
      if (!one_sided) out[i][key] = value;
      else out[i][section] = fmt::format("({} rows)", c[i]);
    }
  return out;
}

}  // namespace

CompareSubject subject_from_model(const store::ModelRecord& model, const store::ArtifactStore& artifacts) {
  CompareSubject s;
  s.label = model.model_id;
  s.status = store::to_string(model.status);
  // The registry keeps the evaluation report: its "metrics" sections (or, in older
  // records, the sections at the top) hold the model's own results; segments,
  // baselines, fallback and training records are there under --all.
  const json& own = model.metrics.contains("metrics") && model.metrics["metrics"].is_object() ? model.metrics["metrics"]
                                                                                             : model.metrics;
  int k = 10;
  if (model.metrics.contains("evaluation") && model.metrics["evaluation"].is_object())
    k = model.metrics["evaluation"].value("primary_k", 10);
  std::map<std::string, double> all;
  flatten_numbers(model.metrics, "", all);
  for (const auto& [key, value] : all) s.other_metrics[key] = value;
  for (const char* section : {"ranking", "prediction", "business", "fairness"}) {
    if (!own.contains(section) || !own[section].is_object()) continue;
    for (const auto& [name, value] : own[section].items()) {
      if (!value.is_number() || !headline_metric(name, k)) continue;
      // Read as ndcg@10, as everywhere else the metric is named.
      const std::string shown = s.metrics.count(name) ? std::string(section) + "." + name : name;
      s.metrics[shown] = value.get<double>();
      const std::string full = (&own == &model.metrics ? "" : "metrics.") + std::string(section) + "." + name;
      s.other_metrics.erase(full);
    }
  }
  if (auto config = saved_config(model, artifacts)) {
    add_config(s, *config);
  } else {
    flatten(model.hyperparameters, "", s.settings);
    flatten(model.architecture, "architecture", s.settings);
    flatten(model.features, "features", s.features);
    flatten(model.training_data, "training_data", s.data);
  }
  if (!s.settings.count("model.type")) s.settings["model.type"] = model.model_type;
  return s;
}

CompareSubject subject_from_run(const store::RunRecord& run) {
  CompareSubject s;
  s.label = run.run_id.substr(0, 12) + " " + run.name;
  s.status = store::to_string(run.status);
  int k = 10;
  if (auto it = run.params.find("evaluation.primary_k"); it != run.params.end()) k = std::atoi(it->second.c_str());
  for (const auto& [key, value] : run.latest_metrics) {
    // A run's own results are its test and validation metrics at the primary
    // cut-off; other cut-offs, counts, losses, timings and learning rates per
    // epoch are there under --all.
    const bool split_metric = starts_with(key, "test_") || starts_with(key, "val_");
    if (split_metric && headline_metric(key.substr(key.find('_') + 1), k)) s.metrics[key] = value;
    else s.other_metrics[key] = value;
  }
  for (const auto& [key, value] : run.params) {
    const std::string section = key.substr(0, key.find('.'));
    if (section == "data") s.data[key] = value;
    else if (section == "features" || section == "content_features") s.features[key] = value;
    else s.settings[key] = value;
  }
  if (run.seeds.is_object())
    for (const auto& [k, v] : run.seeds.items()) s.settings["seeds." + k] = text_of(v);
  s.tags = run.tags;
  return s;
}

Comparison compare_subjects(const std::vector<CompareSubject>& subjects, bool all) {
  Comparison c;
  c.all = all;
  for (const auto& s : subjects) c.labels.push_back(s.label), c.statuses.push_back(s.status);
  auto maps = [&](auto member) {
    std::vector<const std::decay_t<decltype(subjects[0].*member)>*> out;
    for (const auto& s : subjects) out.push_back(&(s.*member));
    return out;
  };
  c.sections.push_back(build_section("metrics", maps(&CompareSubject::metrics), true));
  for (const auto& [name, member] : {std::pair{"settings", &CompareSubject::settings},
                                     {"features", &CompareSubject::features},
                                     {"data", &CompareSubject::data},
                                     {"tags", &CompareSubject::tags}}) {
    if (all) {
      c.sections.push_back(build_section(name, maps(member), true));
      continue;
    }
    const auto collapsed = collapse_one_sided(maps(member));
    std::vector<const std::map<std::string, std::string>*> pointers;
    for (const auto& m : collapsed) pointers.push_back(&m);
    c.sections.push_back(build_section(name, pointers, false));
  }
  auto other = build_section("other metrics", maps(&CompareSubject::other_metrics), true);
  if (!all) other.hidden = static_cast<int>(other.rows.size()), other.rows.clear();
  c.sections.push_back(std::move(other));
  return c;
}

std::string comparison_text(const Comparison& c) {
  std::string out;
  for (std::size_t i = 0; i < c.labels.size(); ++i)
    out += fmt::format("{}  {}  ({})\n", column_letter(i), c.labels[i], c.statuses[i]);
  std::vector<std::string> hidden_notes;
  for (const auto& section : c.sections) {
    const bool metric = section.name == "metrics" || section.name == "other metrics";
    if (section.rows.empty()) {
      if (section.hidden > 0 && section.name != "other metrics")
        out += fmt::format("\n{}: the same ({} rows)\n", section.name, section.hidden);
      if (section.hidden > 0)
        hidden_notes.push_back(fmt::format("{} {}", section.hidden,
                                           section.name == "other metrics" ? "other metrics (other cut-offs, segments, baselines, per epoch)"
                                                                           : "identical " + section.name));
      continue;
    }
    std::vector<std::string> headers{section.name == "metrics" ? "METRIC" : section.name == "other metrics" ? "OTHER METRIC"
                                                                                                            : "SETTING"};
    if (section.name == "features") headers[0] = "FEATURE";
    if (section.name == "data") headers[0] = "DATA";
    if (section.name == "tags") headers[0] = "TAG";
    for (std::size_t i = 0; i < c.labels.size(); ++i) headers.push_back(column_letter(i));
    const bool with_delta = metric && c.labels.size() == 2;
    if (with_delta) headers.push_back("B - A");
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : section.rows) {
      std::vector<std::string> r{row.key};
      for (const auto& v : row.values) r.push_back(cell(v, metric));
      if (with_delta) r.push_back(row.delta ? fmt::format("{:+.4f}", *row.delta) : "");
      rows.push_back(std::move(r));
    }
    std::string title = section.name;
    title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    if (!metric && !c.all) title += " that differ";
    if (section.hidden > 0) {
      title += fmt::format(" ({} identical hidden)", section.hidden);
      hidden_notes.push_back(fmt::format("{} identical {}", section.hidden, section.name));
    }
    out += "\n" + title + "\n" + store::render_table(headers, rows);
  }
  if (!hidden_notes.empty()) {
    // Wrapped at about 100 columns, like the tables, so the note reads in a terminal.
    std::string line = "\n--all also shows";
    for (std::size_t i = 0; i < hidden_notes.size(); ++i) {
      const std::string item = " " + hidden_notes[i] + (i + 1 < hidden_notes.size() ? "," : ";");
      if (line.size() + item.size() > 100) out += line + "\n", line = " ";
      line += item;
    }
    out += line + "\n--json prints every row unabridged\n";
  }
  return out;
}

json comparison_json(const Comparison& c) {
  json subjects = json::array();
  for (std::size_t i = 0; i < c.labels.size(); ++i) subjects.push_back({{"label", c.labels[i]}, {"status", c.statuses[i]}});
  json sections = json::object(), hidden = json::object();
  for (const auto& section : c.sections) {
    json rows = json::array();
    for (const auto& row : section.rows) {
      json r = {{"key", row.key}, {"values", row.values}, {"differs", row.differs}};
      if (row.delta) r["delta"] = *row.delta;
      rows.push_back(std::move(r));
    }
    sections[section.name] = std::move(rows);
    hidden[section.name] = section.hidden;
  }
  return {{"subjects", subjects}, {"all", c.all}, {"sections", sections}, {"hidden", hidden}};
}

}  // namespace hybridrec::report
