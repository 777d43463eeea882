#pragma once
// Model registry (the specification's "Model Registry Schema"): every registered
// model gets a semantic version proposed against the current champion, its files
// in the content-addressed artifact store, and an append-only event trail.
// Exactly one champion exists at any time (enforced by a write transaction and by
// a partial unique index); promote demotes the old champion in the same
// transaction; rollback restores the previous champion; nothing is deleted.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/artifact_store.h"
#include "store/sql_database.h"

namespace hybridrec::store {

enum class ModelStatus { champion, challenger, archived };
std::string to_string(ModelStatus status);
ModelStatus parse_model_status(const std::string& text);

struct Deployment {
  std::string environment;
  std::string deployed_at;
  double traffic_percentage = 0;
  std::string reason;  // "deploy", "rollback from rec-model-v2.0.0"
};

struct ModelEvent {
  std::string model_id;
  std::string event;  // registered | promoted | demoted | deployed | rolled_back | restored
  nlohmann::json details;
  std::string occurred_at;
};

struct ModelRecord {
  std::string model_id;  // "rec-model-v2.3.1"
  std::string version;   // "v2.3.1"
  std::string created_at;
  ModelStatus status = ModelStatus::challenger;
  std::string artifact_path;  // manifest, relative to the workspace: "artifacts/manifests/rec-model-v2.3.1.json"
  std::optional<std::string> run_id;
  std::string model_type;
  nlohmann::json hyperparameters, architecture, features, metrics, training_data;
  std::string gate_metric;
  std::vector<Deployment> deployment_history;
  std::vector<ArtifactFile> files;

  nlohmann::json to_json() const;  // the specification's registry document
};

struct RegisterRequest {
  std::filesystem::path artifact_dir;      // copied into the artifact store
  std::optional<std::string> run_id;       // must exist in this workspace
  std::string model_type = "hybrid";
  nlohmann::json hyperparameters = nlohmann::json::object();
  nlohmann::json architecture = nlohmann::json::object();  // type, layer sizes, embedding dims: change => MAJOR
  nlohmann::json features = nlohmann::json::array();       // input feature names: change => MINOR
  nlohmann::json metrics = nlohmann::json::object();       // the evaluation result ("ranking": {"ndcg@10": ...})
  nlohmann::json training_data = nlohmann::json::object(); // start_date, end_date, num_samples
  std::optional<std::string> version;      // "vX.Y.Z" overrides the proposal; must be unique
  std::string gate_metric = "ndcg@10";     // promote refuses a challenger worse on this
};

struct VersionProposal {
  std::string version;
  std::string bump;                      // "initial", "major", "minor", "patch"
  std::optional<std::string> base_model;  // the champion (or latest model) compared against
};

// Finds a metric by name in a flat or sectioned metrics object ("ndcg@10" is
// found in {"ranking": {"ndcg@10": 0.48}}); nullopt if absent or not a number.
std::optional<double> find_metric(const nlohmann::json& metrics, const std::string& name);

// The best baseline of a result report on `metric`: the highest value among
// metrics["baselines"][name] (the popularity, category and random baselines
// evaluated on the same split); nullopt when the report holds none.
struct BaselineScore {
  std::string name;
  double value = 0;
};
std::optional<BaselineScore> best_baseline(const nlohmann::json& metrics, const std::string& metric);

// What the promotion gate sees for one model: its gate metric beside the
// champion's and the best baseline's. Promote and rollback refuse, unless
// forced, a model that is worse than the champion, below the best baseline, or
// without the metric to compare.
struct GateCheck {
  std::string metric;
  std::string model_id;
  std::optional<double> value;
  std::optional<std::string> champion;
  std::optional<double> champion_value;
  std::optional<BaselineScore> baseline;

  bool missing_metric() const { return !value && (champion || baseline); }
  bool worse_than_champion() const { return value && champion_value && *value < *champion_value; }
  bool below_baseline() const { return value && baseline && *value < baseline->value; }
  bool passes() const { return !missing_metric() && !worse_than_champion() && !below_baseline(); }
  // "ndcg@10: rec-model-v1.0.1 0.0312, champion rec-model-v1.0.0 0.3411, best baseline popularity 0.3396"
  std::string comparison() const;
  // Why it does not pass ("" when it does): "scores below the best baseline ...".
  std::string failure() const;
  nlohmann::json to_json() const;  // recorded in the registry's events
};

// `candidate` (its metrics and gate metric) against the champion's metrics (if any).
GateCheck check_gate(const std::string& model_id, const nlohmann::json& metrics, const std::string& gate_metric,
                     const std::optional<std::string>& champion_id, const nlohmann::json& champion_metrics);

class Registry {
 public:
  Registry(SqlDatabase& db, ArtifactStore& artifacts, std::filesystem::path workspace_root)
      : db_(db), artifacts_(artifacts), root_(std::move(workspace_root)) {}

  ModelRecord register_model(const RegisterRequest& request);
  // What register_model would choose now (vs the champion, else the latest model).
  VersionProposal propose_version(const nlohmann::json& architecture, const nlohmann::json& features);

  // Makes the model champion and archives the old one, atomically. Refuses, unless
  // force, a model worse than the champion on its gate metric, below the best
  // baseline evaluated with it, or without the metric; the event records the check.
  ModelRecord promote(const std::string& model_id, bool force = false);
  // The gate as promote would apply it to this model now (for printing).
  GateCheck gate(const std::string& model_id);
  // Records a (canary) deployment step: environment + traffic percentage in (0, 100].
  ModelRecord deploy(const std::string& model_id, const std::string& environment, double traffic_percentage);
  // Restores the previous champion (archives the current one) and records it as
  // deployed at 100% in environment. Throws Error if there is no previous champion,
  // and, unless force, if the previous one scored worse than the current champion
  // or below its best baseline (the message holds the comparison).
  ModelRecord rollback(const std::string& environment = "production", bool force = false);
  // The model rollback would restore, and its gate against the current champion.
  GateCheck rollback_gate();

  std::vector<ModelRecord> list();
  ModelRecord get(const std::string& model_id_or_version);  // throws Error if unknown
  std::optional<ModelRecord> champion();
  std::vector<ModelEvent> events(const std::string& model_id = "");
  // {"a": id, "b": id, "hyperparameters": {k: [a, b]} (differing only), "architecture": ...,
  //  "features_changed": bool, "metrics": {k: {"a": x, "b": y, "delta": y - x}}}
  nlohmann::json compare(const std::string& a, const std::string& b);

  // Re-hashes every file of the model; throws Error naming a corrupt or missing file.
  void verify_artifacts(const std::string& model_id);
  // verify_artifacts, then copies the model's files into dest (original names). Returns dest.
  std::filesystem::path checkout(const std::string& model_id, const std::filesystem::path& dest);

 private:
  std::optional<ModelRecord> load(const std::string& model_id_or_version, bool with_details);
  // The champion before `champion_id` (the promoted/rolled_back trail); throws Error if none.
  std::string previous_champion(const std::string& champion_id);
  SqlDatabase& db_;
  ArtifactStore& artifacts_;
  std::filesystem::path root_;
};

}  // namespace hybridrec::store
