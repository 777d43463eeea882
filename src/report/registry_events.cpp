#include "report/registry_events.h"

#include <algorithm>
#include <iterator>
#include <regex>

#include <fmt/format.h>

namespace hybridrec::report {

namespace {

using nlohmann::json;

std::string text_of(const json& details, const char* key) {
  if (!details.is_object() || !details.contains(key)) return "";
  const json& v = details[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  return v.dump();
}

bool flag(const json& details, const char* key) {
  return details.is_object() && details.contains(key) && details[key].is_boolean() && details[key].get<bool>();
}

std::string value_text(const json& v) { return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : "none"; }

// The gate as the registry checked it: "ndcg@10 0.3600 vs champion m-v1 0.3400, best baseline popularity 0.3348".
std::string gate_text(const json& gate) {
  if (!gate.is_object()) return "";
  std::string out = gate.value("gate_metric", std::string("gate metric")) + " " + value_text(gate.value("value", json()));
  if (gate.contains("champion") && gate["champion"].is_string())
    out += " vs champion " + gate["champion"].get<std::string>() + " " + value_text(gate.value("champion_value", json()));
  if (gate.contains("best_baseline") && gate["best_baseline"].is_string())
    out += (out.find(" vs ") == std::string::npos ? " vs " : ", ") + std::string("best baseline ") +
           gate["best_baseline"].get<std::string>() + " " + value_text(gate.value("baseline_value", json()));
  return out;
}

// The registry's version proposal: initial | explicit | major | minor | patch.
std::string bump_text(const std::string& bump) {
  if (bump.empty()) return "";
  if (bump == "initial") return "first version";
  if (bump == "explicit") return "version given by hand";
  return bump + " version bump";
}

bool gate_failed(const json& gate) { return flag(gate, "below_baseline") || flag(gate, "worse_than_champion"); }

// "gate passed: ...", "forced past the gate (below the best baseline): ...".
std::string gate_verdict(const json& details) {
  const json gate = details.is_object() ? details.value("gate", json()) : json();
  if (!gate.is_object()) return flag(details, "forced") ? "forced" : "";
  std::string why;
  if (flag(gate, "below_baseline")) why = "below the best baseline";
  if (flag(gate, "worse_than_champion")) why += std::string(why.empty() ? "" : ", ") + "worse than the champion";
  std::string verdict = !gate_failed(gate) ? "gate passed"
                        : flag(details, "forced") ? "forced past the gate (" + why + ")"
                                                  : "gate not passed (" + why + ")";
  return verdict + ": " + gate_text(gate);
}

constexpr const char* kWhoKeys[] = {"by", "user", "actor"};

bool is_who(const std::string& key) {
  return std::find(std::begin(kWhoKeys), std::end(kWhoKeys), key) != std::end(kWhoKeys);
}

// Unknown events: every detail as "key value", nested objects flattened with dots.
void flatten(const json& v, const std::string& prefix, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.items())
      if (!prefix.empty() || !is_who(k)) flatten(child, prefix.empty() ? k : prefix + "." + k, out);
  } else if (!v.is_null()) {
    out.push_back(prefix + " " + (v.is_string() ? v.get<std::string>() : v.dump()));
  }
}

std::string version_in_id(const std::string& model_id) {
  static const std::regex version(R"(v\d+\.\d+\.\d+$)");
  std::smatch m;
  return std::regex_search(model_id, m, version) ? m.str() : "";
}

}  // namespace

std::string readable_time(const std::string& iso) {
  static const std::regex stamp(R"((\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z)");
  std::smatch m;
  return std::regex_match(iso, m, stamp) ? m.str(1) + " " + m.str(2) + " UTC" : iso;
}

std::string event_reason(const store::ModelEvent& e) {
  const json& d = e.details;
  std::string reason;
  if (e.event == "registered") {
    reason = bump_text(text_of(d, "bump"));
    const std::string verdict = gate_verdict(d);
    if (!verdict.empty()) reason += (reason.empty() ? "" : "; ") + verdict;
    if (!text_of(d, "source").empty()) reason += (reason.empty() ? "" : "; ") + std::string("from ") + text_of(d, "source");
  } else if (e.event == "promoted" || e.event == "restored") {
    reason = gate_verdict(d);
    if (e.event == "restored" && !text_of(d, "environment").empty())
      reason = "rollback in " + text_of(d, "environment") + (reason.empty() ? "" : "; " + reason);
  } else if (e.event == "demoted") {
    reason = "replaced as champion by " + text_of(d, "replaced_by");
  } else if (e.event == "rolled_back") {
    reason = "rolled back in " + text_of(d, "environment") + "; " + text_of(d, "restored") + " restored";
  } else if (e.event == "deployed") {
    reason = fmt::format("deployed to {} with {}% of the traffic", text_of(d, "environment"), text_of(d, "traffic_percentage"));
  } else {
    std::vector<std::string> parts;
    flatten(d, "", parts);
    for (const auto& p : parts) reason += (reason.empty() ? "" : "; ") + p;
  }
  // Whoever the event names (a later writer may record it) comes first.
  for (const char* who : kWhoKeys)
    if (!text_of(d, who).empty()) return "by " + text_of(d, who) + (reason.empty() ? "" : "; " + reason);
  return reason;
}

std::vector<RegistryEventRow> registry_event_rows(const std::vector<store::ModelEvent>& events,
                                                  const std::map<std::string, std::string>& model_versions) {
  std::vector<RegistryEventRow> rows;
  rows.reserve(events.size());
  for (const auto& e : events) {
    RegistryEventRow row;
    row.time = readable_time(e.occurred_at);
    row.event = e.event;
    row.model_id = e.model_id;
    const auto known = model_versions.find(e.model_id);
    row.version = known != model_versions.end() ? known->second : version_in_id(e.model_id);
    const json& d = e.details;
    // from -> to: whose place changed hands (or where the model went).
    if (e.event == "registered") {
      row.from = text_of(d, "base_model");
      row.to = e.model_id;
    } else if (e.event == "promoted") {
      row.from = text_of(d, "previous");
      row.to = e.model_id;
    } else if (e.event == "demoted") {
      row.from = e.model_id;
      row.to = text_of(d, "replaced_by");
    } else if (e.event == "rolled_back") {
      row.from = e.model_id;
      row.to = text_of(d, "restored");
    } else if (e.event == "restored") {
      row.from = text_of(d, "replaced");
      row.to = e.model_id;
    } else if (e.event == "deployed") {
      row.to = text_of(d, "environment");
    }
    row.reason = event_reason(e);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace hybridrec::report
