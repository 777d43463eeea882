#include "store/registry.h"

#include <cmath>
#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "store/process_info.h"
#include "store/safe_names.h"
#include "store/semver.h"

namespace hybridrec::store {

using nlohmann::json;
namespace fs = std::filesystem;

std::string to_string(ModelStatus status) {
  switch (status) {
    case ModelStatus::champion: return "champion";
    case ModelStatus::challenger: return "challenger";
    case ModelStatus::archived: return "archived";
  }
  return "unknown";
}

ModelStatus parse_model_status(const std::string& text) {
  if (text == "champion") return ModelStatus::champion;
  if (text == "challenger") return ModelStatus::challenger;
  if (text == "archived") return ModelStatus::archived;
  throw Error("unknown model status '" + text + "'");
}

json ModelRecord::to_json() const {
  auto history = json::array();
  for (const auto& d : deployment_history)
    history.push_back({{"environment", d.environment},
                       {"deployed_at", d.deployed_at},
                       {"traffic_percentage", d.traffic_percentage},
                       {"reason", d.reason}});
  return {{"model_id", model_id},
          {"version", version},
          {"created_at", created_at},
          {"status", store::to_string(status)},
          {"artifact_path", artifact_path},
          {"run_id", run_id ? json(*run_id) : json()},
          {"model_type", model_type},
          {"hyperparameters", hyperparameters},
          {"architecture", architecture},
          {"features", features},
          {"metrics", metrics},
          {"training_data", training_data},
          {"gate_metric", gate_metric},
          {"deployment_history", history},
          {"files", store::to_json(files)}};
}

std::optional<double> find_metric(const json& metrics, const std::string& name) {
  if (!metrics.is_object()) return std::nullopt;
  if (auto it = metrics.find(name); it != metrics.end() && it->is_number()) return it->get<double>();
  // In the result format the model's own numbers are under "metrics"; "baselines"
  // and "segments" hold other models' and sub-populations' values with the same
  // names, so they must never answer for the model (a gate on a baseline's NDCG).
  if (auto it = metrics.find("metrics"); it != metrics.end())
    if (auto found = find_metric(*it, name)) return found;
  for (const auto& [key, section] : metrics.items())
    if (section.is_object() && key != "metrics" && key != "baselines" && key != "segments")
      if (auto found = find_metric(section, name)) return found;
  return std::nullopt;
}

std::optional<BaselineScore> best_baseline(const json& metrics, const std::string& metric) {
  if (!metrics.is_object()) return std::nullopt;
  const json* baselines = nullptr;
  if (auto it = metrics.find("baselines"); it != metrics.end() && it->is_object()) baselines = &*it;
  if (!baselines) return std::nullopt;
  std::optional<BaselineScore> best;
  for (const auto& [name, section] : baselines->items())
    if (auto v = find_metric(section, metric); v && (!best || *v > best->value)) best = BaselineScore{name, *v};
  return best;
}

namespace {
std::string format_gate_value(const std::optional<double>& v) {
  if (!v) return "none";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", *v);
  return buf;
}
}  // namespace

std::string GateCheck::comparison() const {
  std::string out = metric + ": " + model_id + " " + format_gate_value(value);
  if (champion) out += ", champion " + *champion + " " + format_gate_value(champion_value);
  if (baseline) out += ", best baseline " + baseline->name + " " + format_gate_value(baseline->value);
  return out;
}

std::string GateCheck::failure() const {
  if (missing_metric()) return model_id + " has no '" + metric + "' metric to compare (" + comparison() + ")";
  std::string why;
  if (below_baseline()) why = "scores below the best baseline (" + baseline->name + ")";
  if (worse_than_champion()) why += (why.empty() ? "" : " and ") + std::string("is worse than champion ") + *champion;
  return why.empty() ? "" : model_id + " " + why + " on " + metric + " (" + comparison() + ")";
}

json GateCheck::to_json() const {
  return {{"gate_metric", metric},
          {"value", value ? json(*value) : json()},
          {"champion", champion ? json(*champion) : json()},
          {"champion_value", champion_value ? json(*champion_value) : json()},
          {"best_baseline", baseline ? json(baseline->name) : json()},
          {"baseline_value", baseline ? json(baseline->value) : json()},
          {"below_baseline", below_baseline()},
          {"worse_than_champion", worse_than_champion()}};
}

GateCheck check_gate(const std::string& model_id, const json& metrics, const std::string& gate_metric,
                     const std::optional<std::string>& champion_id, const json& champion_metrics) {
  GateCheck g;
  g.metric = gate_metric;
  g.model_id = model_id;
  g.value = find_metric(metrics, gate_metric);
  g.baseline = best_baseline(metrics, gate_metric);
  if (champion_id && *champion_id != model_id) {
    g.champion = champion_id;
    g.champion_value = find_metric(champion_metrics, gate_metric);
  }
  return g;
}

namespace {

constexpr const char* kModelColumns =
    "model_id, version, created_at, status, artifact_path, run_id, model_type, hyperparameters, architecture,"
    " features, metrics, training_data, gate_metric";

json parse_stored(const std::string& text) { return json::parse(text, nullptr, false); }

ModelRecord row_to_model(const Row& row) {
  ModelRecord m;
  m.model_id = row.text(0);
  m.version = row.text(1);
  m.created_at = row.text(2);
  m.status = parse_model_status(row.text(3));
  m.artifact_path = row.text(4);
  if (!row.is_null(5)) m.run_id = row.text(5);
  m.model_type = row.text(6);
  m.hyperparameters = parse_stored(row.text(7));
  m.architecture = parse_stored(row.text(8));
  m.features = parse_stored(row.text(9));
  m.metrics = parse_stored(row.text(10));
  m.training_data = parse_stored(row.text(11));
  m.gate_metric = row.text(12);
  return m;
}

void add_event(SqlDatabase& db, const std::string& model_id, const std::string& event, const json& details) {
  db.query("INSERT INTO model_events (model_id, event, details, occurred_at) VALUES ($1, $2, $3, $4)",
           {model_id, event, details.dump(), now_utc_iso()});
}

void flatten_numbers(const json& value, const std::string& prefix, std::map<std::string, double>& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) flatten_numbers(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (value.is_number()) {
    out[prefix] = value.get<double>();
  }
}

}  // namespace

std::optional<ModelRecord> Registry::load(const std::string& id, bool with_details) {
  auto rows = db_.query(std::string("SELECT ") + kModelColumns + " FROM models WHERE model_id = $1 OR version = $1", {id});
  if (rows.empty()) return std::nullopt;
  ModelRecord m = row_to_model(rows[0]);
  if (with_details) {
    for (const auto& d : db_.query(
             "SELECT environment, deployed_at, traffic_percentage, reason FROM deployments WHERE model_id = $1"
             " ORDER BY deployment_id",
             {m.model_id}))
      m.deployment_history.push_back({d.text(0), d.text(1), d.real(2), d.text(3)});
    for (const auto& f : db_.query("SELECT path, sha256, size FROM model_files WHERE model_id = $1 ORDER BY path",
                                   {m.model_id}))
      m.files.push_back({f.text(0), f.text(1), f.integer(2)});
  }
  return m;
}

ModelRecord Registry::get(const std::string& id) {
  auto m = load(id, true);
  if (!m) throw Error("no model '" + id + "' in the registry (see `hybridrec models list`)");
  return *m;
}

std::optional<ModelRecord> Registry::champion() {
  auto rows = db_.query("SELECT model_id FROM models WHERE status = 'champion'");
  if (rows.empty()) return std::nullopt;
  return load(rows[0].text(0), true);
}

std::vector<ModelRecord> Registry::list() {
  std::vector<ModelRecord> out;
  for (const auto& row :
       db_.query(std::string("SELECT ") + kModelColumns + " FROM models ORDER BY major, minor, patch"))
    out.push_back(row_to_model(row));
  for (auto& m : out)
    for (const auto& d : db_.query(
             "SELECT environment, deployed_at, traffic_percentage, reason FROM deployments WHERE model_id = $1"
             " ORDER BY deployment_id",
             {m.model_id}))
      m.deployment_history.push_back({d.text(0), d.text(1), d.real(2), d.text(3)});
  return out;
}

VersionProposal Registry::propose_version(const json& architecture, const json& features) {
  // The base is the champion; without one, the most recently registered model,
  // so a series of challengers before any promotion still versions sensibly.
  auto base_rows = db_.query(
      "SELECT version, architecture, features, model_id FROM models"
      " ORDER BY CASE WHEN status = 'champion' THEN 0 ELSE 1 END, created_at DESC, major DESC, minor DESC, patch DESC"
      " LIMIT 1");
  if (base_rows.empty()) return {"v1.0.0", "initial", std::nullopt};
  std::vector<SemVer> taken;
  for (const auto& row : db_.query("SELECT version FROM models")) taken.push_back(SemVer::parse(row.text(0)));
  const auto& base = base_rows[0];
  auto bump = classify_change(parse_stored(base.text(1)), parse_stored(base.text(2)), architecture, features);
  return {next_version(SemVer::parse(base.text(0)), bump, taken).str(), to_string(bump), base.text(3)};
}

ModelRecord Registry::register_model(const RegisterRequest& req) {
  validate_name("model type", req.model_type);
  if (req.gate_metric.empty()) throw Error("gate metric must not be empty");
  if (req.version) SemVer::parse(*req.version);  // fail fast, before copying files
  if (req.run_id && !db_.query("SELECT 1 FROM runs WHERE run_id = $1", {*req.run_id}).size())
    throw Error("no run '" + *req.run_id + "' in this workspace to link the model to");
  // Objects are content-addressed and idempotent, so copying before the
  // transaction is safe: a failed registration leaves only unreferenced objects.
  auto files = artifacts_.put_directory(req.artifact_dir);
  if (files.empty()) throw Error("artifact directory " + req.artifact_dir.string() + " holds no files");

  std::string model_id;
  db_.write_transaction([&] {
    VersionProposal proposal;
    if (req.version) {
      auto clash = db_.query("SELECT model_id FROM models WHERE version = $1", {*req.version});
      if (!clash.empty()) throw Error("version " + *req.version + " is already registered as " + clash[0].text(0));
      proposal = {*req.version, "explicit", std::nullopt};
    } else {
      proposal = propose_version(req.architecture, req.features);
    }
    auto version = SemVer::parse(proposal.version);
    model_id = model_id_for(version);
    auto manifest_rel = fs::path("artifacts") / "manifests" / (model_id + ".json");
    db_.query(
        "INSERT INTO models (model_id, version, major, minor, patch, created_at, status, artifact_path, run_id,"
        " model_type, hyperparameters, architecture, features, metrics, training_data, gate_metric)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'challenger', $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        {model_id, proposal.version, std::int64_t{version.major}, std::int64_t{version.minor},
         std::int64_t{version.patch}, now_utc_iso(), manifest_rel.generic_string(),
         req.run_id ? SqlValue(*req.run_id) : SqlValue(), req.model_type, req.hyperparameters.dump(),
         req.architecture.dump(), req.features.dump(), req.metrics.dump(), req.training_data.dump(), req.gate_metric});
    for (const auto& f : files)
      db_.query("INSERT INTO model_files (model_id, path, sha256, size) VALUES ($1, $2, $3, $4)",
                {model_id, f.path, f.sha256, f.size});
    // Registration says whether the model could be promoted: below the best
    // baseline it never is without --force.
    const GateCheck gate = check_gate(model_id, req.metrics, req.gate_metric, std::nullopt, json());
    add_event(db_, model_id, "registered",
              {{"bump", proposal.bump},
               {"base_model", proposal.base_model ? json(*proposal.base_model) : json()},
               {"source", fs::absolute(req.artifact_dir).string()},
               {"gate", gate.to_json()}});
    // Inside the transaction: if the commit fails and retries, the manifest is
    // simply rewritten (atomically) under the id finally chosen.
    write_json_atomic(root_ / manifest_rel, {{"model_id", model_id}, {"version", proposal.version}, {"files", to_json(files)}});
  });
  return get(model_id);
}

ModelRecord Registry::promote(const std::string& id, bool force) {
  std::string model_id;
  db_.write_transaction([&] {
    auto candidate = load(id, true);
    if (!candidate) throw Error("no model '" + id + "' in the registry");
    model_id = candidate->model_id;
    if (candidate->status == ModelStatus::champion) return;  // already champion: nothing to do
    artifacts_.verify(candidate->files, "model '" + model_id + "'");  // never promote a broken model
    auto current = db_.query("SELECT model_id, metrics FROM models WHERE status = 'champion'");
    const GateCheck gate =
        check_gate(model_id, candidate->metrics, candidate->gate_metric,
                   current.empty() ? std::nullopt : std::optional<std::string>(current[0].text(0)),
                   current.empty() ? json() : parse_stored(current[0].text(1)));
    if (!force && !gate.passes()) throw Error("not promoted: " + gate.failure() + "; use --force to promote anyway");
    json details = {{"forced", force}, {"gate_metric", candidate->gate_metric}, {"gate", gate.to_json()}};
    if (!current.empty()) {
      details["previous"] = current[0].text(0);
      details["candidate_value"] = gate.value ? json(*gate.value) : json();
      details["champion_value"] = gate.champion_value ? json(*gate.champion_value) : json();
      db_.query("UPDATE models SET status = 'archived' WHERE model_id = $1", {current[0].text(0)});
      add_event(db_, current[0].text(0), "demoted", {{"replaced_by", model_id}});
    }
    db_.query("UPDATE models SET status = 'champion' WHERE model_id = $1", {model_id});
    add_event(db_, model_id, "promoted", details);
  });
  return get(model_id);
}

GateCheck Registry::gate(const std::string& id) {
  const ModelRecord candidate = get(id);
  const auto current = champion();
  return check_gate(candidate.model_id, candidate.metrics, candidate.gate_metric,
                    current ? std::optional<std::string>(current->model_id) : std::nullopt,
                    current ? current->metrics : json());
}

ModelRecord Registry::deploy(const std::string& id, const std::string& environment, double traffic) {
  validate_name("environment", environment);
  if (!std::isfinite(traffic) || traffic <= 0 || traffic > 100)
    throw Error("traffic percentage must be in (0, 100], got " + std::to_string(traffic));
  std::string model_id;
  db_.write_transaction([&] {
    auto model = load(id, false);
    if (!model) throw Error("no model '" + id + "' in the registry");
    if (model->status == ModelStatus::archived)
      throw Error("model " + model->model_id + " is archived; promote it (or roll back) before deploying it");
    model_id = model->model_id;
    db_.query(
        "INSERT INTO deployments (model_id, environment, deployed_at, traffic_percentage, reason)"
        " VALUES ($1, $2, $3, $4, 'deploy')",
        {model_id, environment, now_utc_iso(), traffic});
    add_event(db_, model_id, "deployed", {{"environment", environment}, {"traffic_percentage", traffic}});
  });
  return get(model_id);
}

std::string Registry::previous_champion(const std::string& champion_id) {
  // Replay the audit trail: each promotion pushes a champion, each rollback pops
  // one, so the entry under the top is the champion before the current one.
  std::vector<std::string> history;
  for (const auto& e : db_.query(
           "SELECT model_id, event FROM model_events WHERE event IN ('promoted', 'rolled_back') ORDER BY event_id")) {
    if (e.text(1) == "promoted") history.push_back(e.text(0));
    else if (!history.empty()) history.pop_back();
  }
  if (history.size() < 2 || history.back() != champion_id)
    throw Error("champion " + champion_id + " has no previous champion to roll back to");
  return history[history.size() - 2];
}

GateCheck Registry::rollback_gate() {
  const auto current = champion();
  if (!current) throw Error("there is no champion to roll back");
  const ModelRecord previous = get(previous_champion(current->model_id));
  return check_gate(previous.model_id, previous.metrics, previous.gate_metric, current->model_id, current->metrics);
}

ModelRecord Registry::rollback(const std::string& environment, bool force) {
  validate_name("environment", environment);
  std::string restored;
  db_.write_transaction([&] {
    auto current = db_.query("SELECT model_id, metrics FROM models WHERE status = 'champion'");
    if (current.empty()) throw Error("there is no champion to roll back");
    std::string champion_id = current[0].text(0);
    restored = previous_champion(champion_id);
    auto previous = load(restored, true);
    // Restoring a model that scored worse is a decision, not a reflex.
    const GateCheck gate =
        check_gate(restored, previous->metrics, previous->gate_metric, champion_id, parse_stored(current[0].text(1)));
    if (!force && !gate.passes())
      throw Error("not rolled back: " + gate.failure() + "; use --force to roll back anyway");
    artifacts_.verify(previous->files, "model '" + restored + "'");  // do not restore a broken model
    db_.query("UPDATE models SET status = 'archived' WHERE model_id = $1", {champion_id});
    db_.query("UPDATE models SET status = 'champion' WHERE model_id = $1", {restored});
    db_.query(
        "INSERT INTO deployments (model_id, environment, deployed_at, traffic_percentage, reason)"
        " VALUES ($1, $2, $3, 100, $4)",
        {restored, environment, now_utc_iso(), "rollback from " + champion_id});
    add_event(db_, champion_id, "rolled_back", {{"environment", environment}, {"restored", restored}});
    add_event(db_, restored, "restored",
              {{"environment", environment}, {"replaced", champion_id}, {"forced", force}, {"gate", gate.to_json()}});
  });
  return get(restored);
}

std::vector<ModelEvent> Registry::events(const std::string& model_id) {
  std::vector<ModelEvent> out;
  for (const auto& row :
       db_.query("SELECT model_id, event, details, occurred_at FROM model_events WHERE ($1 = '' OR model_id = $1)"
                 " ORDER BY event_id",
                 {model_id}))
    out.push_back({row.text(0), row.text(1), parse_stored(row.text(2)), row.text(3)});
  return out;
}

json Registry::compare(const std::string& a_id, const std::string& b_id) {
  auto a = get(a_id), b = get(b_id);
  json hyper = json::object();
  for (const auto* src : {&a.hyperparameters, &b.hyperparameters})
    for (const auto& [k, v] : src->items()) {
      json va = a.hyperparameters.value(k, json()), vb = b.hyperparameters.value(k, json());
      if (va != vb) hyper[k] = {va, vb};
    }
  std::map<std::string, double> ma, mb;
  flatten_numbers(a.metrics, "", ma);
  flatten_numbers(b.metrics, "", mb);
  json metrics = json::object();
  for (const auto* src : {&ma, &mb})
    for (const auto& [k, v] : *src) {
      json entry = {{"a", ma.count(k) ? json(ma[k]) : json()}, {"b", mb.count(k) ? json(mb[k]) : json()}};
      if (ma.count(k) && mb.count(k)) entry["delta"] = mb[k] - ma[k];
      metrics[k] = entry;
    }
  return {{"a", a.model_id},
          {"b", b.model_id},
          {"status", {store::to_string(a.status), store::to_string(b.status)}},
          {"hyperparameters", hyper},
          {"architecture_changed", a.architecture != b.architecture},
          {"architecture", {a.architecture, b.architecture}},
          {"features_changed", a.features != b.features},
          {"metrics", metrics}};
}

void Registry::verify_artifacts(const std::string& id) {
  auto m = get(id);
  artifacts_.verify(m.files, "model '" + m.model_id + "'");
}

fs::path Registry::checkout(const std::string& id, const fs::path& dest) {
  auto m = get(id);
  artifacts_.materialize(m.files, dest, "model '" + m.model_id + "'");
  return dest;
}

}  // namespace hybridrec::store
