#include "store/mlflow_export.h"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <climits>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/timeparse.h"
#include "store/mlflow_names.h"
#include "store/process_info.h"

namespace hybridrec::store {

namespace fs = std::filesystem;

namespace {

// Marks a folder as ours, so a second export may replace it. MLflow lists only
// sub-folders of its root as experiments, so the file is invisible to it.
constexpr const char* kMarker = ".hybridrec-mlflow-export";

// mlflow.entities.RunStatus as the file store persists it (an integer enum).
int mlflow_status(RunStatus status) {
  switch (status) {
    case RunStatus::running: return 1;   // RUNNING
    case RunStatus::finished: return 3;  // FINISHED
    case RunStatus::failed: return 4;    // FAILED
    case RunStatus::killed: return 5;    // KILLED
  }
  return 1;
}
constexpr int kSourceTypeLocal = 4;  // mlflow.entities.SourceType.LOCAL

std::string file_uri(const fs::path& absolute) { return "file://" + absolute.generic_string(); }

// One meta.yaml: keys in sorted order as MLflow's write_yaml (yaml.safe_dump) puts them.
// Strings are quoted so that a run named "123" or "true" stays a string.
struct Meta {
  YAML::Emitter out;
  Meta() { out << YAML::BeginMap; }
  Meta& text(const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value << YAML::SingleQuoted << value;
    return *this;
  }
  Meta& number(const char* key, std::int64_t value) {
    out << YAML::Key << key << YAML::Value << value;
    return *this;
  }
  Meta& null(const char* key) {
    out << YAML::Key << key << YAML::Value << YAML::Null;
    return *this;
  }
  Meta& empty_list(const char* key) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
    return *this;
  }
  void write(const fs::path& folder) {
    out << YAML::EndMap;
    fs::create_directories(folder);
    write_file_atomic(folder / "meta.yaml", std::string(out.c_str()) + "\n");
  }
};

void write_experiment(const fs::path& folder, const fs::path& final_folder, const std::string& id,
                      const std::string& name, std::int64_t created_ms) {
  Meta()
      .text("artifact_location", file_uri(final_folder))
      .number("creation_time", created_ms)
      .text("experiment_id", id)
      .number("last_update_time", created_ms)
      .text("lifecycle_stage", "active")
      .text("name", name)
      .write(folder);
}

// Writes key -> value files under `folder`, keys renamed by the MLflow rule; returns the renames.
template <typename Map, typename WriteOne>
std::map<std::string, std::string> write_keyed(const fs::path& folder, const Map& entries, WriteOne write_one) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : entries) keys.push_back(k);
  const auto names = mlflow_names(keys);
  std::map<std::string, std::string> renamed;
  fs::create_directories(folder);
  for (const auto& [k, v] : entries) {
    const std::string& name = names.at(k);
    const fs::path file = folder / name;  // a '/' in a name is a sub-folder, as in MLflow
    fs::create_directories(file.parent_path());
    write_one(file, v);
    if (name != k) renamed[k] = name;
  }
  return renamed;
}

struct RunExport {
  int artifact_files = 0;
  std::map<std::string, std::string> renamed;
};

RunExport write_run(const RunRecord& run, const std::string& experiment_id, const fs::path& folder,
                    const fs::path& final_folder, const ArtifactStore& artifacts) {
  RunExport result;
  Meta meta;
  meta.text("artifact_uri", file_uri(final_folder / "artifacts"));
  if (run.end_time.empty()) meta.null("end_time");
  else meta.number("end_time", iso_to_epoch_ms(run.end_time));
  meta.text("entry_point_name", "")
      .text("experiment_id", experiment_id)
      .text("lifecycle_stage", "active")
      .text("run_id", run.run_id)
      .text("run_name", run.name)
      .text("run_uuid", run.run_id)
      .text("source_name", "")
      .number("source_type", kSourceTypeLocal)
      .text("source_version", run.git_commit.value_or(""))
      .number("start_time", iso_to_epoch_ms(run.start_time))
      .number("status", mlflow_status(run.status))
      .empty_list("tags")  // tags live in tags/; the list stays for old MLflow readers
      .text("user_id", "");  // the tracking store does not record a user
  meta.write(folder);

  auto write_text = [](const fs::path& file, const std::string& value) { write_file_atomic(file, value); };
  auto renamed_params = write_keyed(folder / "params", run.params, write_text);
  auto renamed_metrics = write_keyed(folder / "metrics", run.metrics, [](const fs::path& file, const auto& points) {
    std::string lines;
    for (const auto& p : points) lines += fmt::format("{} {} {}\n", iso_to_epoch_ms(p.timestamp), p.value, p.step);
    write_file_atomic(file, lines);
  });

  std::map<std::string, std::string> tags = run.tags;
  tags["mlflow.runName"] = run.name;
  tags["mlflow.source.type"] = "LOCAL";
  tags["mlflow.source.name"] = "hybridrec";
  if (run.git_commit) tags["mlflow.source.git.commit"] = *run.git_commit;
  tags["hybridrec.host"] = run.host;
  tags["hybridrec.pid"] = std::to_string(run.pid);
  tags["hybridrec.seeds"] = run.seeds.dump();
  tags["hybridrec.status"] = to_string(run.status);
  for (const auto* renames : {&renamed_params, &renamed_metrics}) result.renamed.insert(renames->begin(), renames->end());
  // The documented rule (test_ndcg@10 -> test_ndcg_at_10) needs no record; a name
  // moved further to avoid another (a suffix, a flattened path) is recorded, so
  // a reader in MLflow can tell which original it was. Short: within MLflow's tag limit.
  nlohmann::json moved = nlohmann::json::object();
  for (const auto& [from, to] : result.renamed)
    if (to != mlflow_safe_name(from)) moved[from] = to;
  if (!moved.empty()) tags["hybridrec.renamed_keys"] = moved.dump();
  auto renamed_tags = write_keyed(folder / "tags", tags, write_text);
  result.renamed.insert(renamed_tags.begin(), renamed_tags.end());

  fs::create_directories(folder / "artifacts");
  artifacts.materialize(run.artifacts, folder / "artifacts", "run '" + run.run_id + "'");
  result.artifact_files = static_cast<int>(run.artifacts.size());
  return result;
}

// Refuses a destination that is neither missing, empty, nor an earlier export.
void check_destination(const fs::path& dir) {
  if (!fs::exists(fs::symlink_status(dir))) return;
  if (!fs::is_directory(dir)) throw Error("export folder " + dir.string() + " exists and is not a folder");
  if (fs::is_empty(dir) || fs::exists(dir / kMarker)) return;
  throw Error("export folder " + dir.string() +
              " is not empty and not an earlier MLflow export of hybridrec; give a new folder");
}

}  // namespace

std::int64_t iso_to_epoch_ms(const std::string& iso) {
  std::string why;
  auto seconds = parse_timestamp(iso, &why);
  if (!seconds) throw Error("tracking store time '" + iso + "': " + why);
  std::int64_t ms = 0;
  const auto t = iso.find('T'), dot = iso.find('.', t == std::string::npos ? 0 : t);
  if (t != std::string::npos && dot != std::string::npos) {
    int digits = 0;
    for (std::size_t i = dot + 1; i < iso.size() && digits < 3 && std::isdigit(static_cast<unsigned char>(iso[i])); ++i)
      ms = ms * 10 + (iso[i] - '0'), ++digits;
    for (; digits > 0 && digits < 3; ++digits) ms *= 10;
  }
  return *seconds * 1000 + ms;
}

MlflowExportSummary export_mlflow(Tracker& tracker, const ArtifactStore& artifacts, const fs::path& dir,
                                  const std::string& experiment) {
  fs::path root = fs::absolute(dir).lexically_normal();
  if (!root.has_filename()) root = root.parent_path();  // "out/" -> "out"
  check_destination(root);
  std::vector<ExperimentRecord> experiments;
  for (auto& e : tracker.experiment_records())
    if (experiment.empty() || e.name == experiment) experiments.push_back(std::move(e));
  if (!experiment.empty() && experiments.empty()) throw Error("no experiment '" + experiment + "' in this workspace");

  MlflowExportSummary summary;
  summary.root = root;
  fs::create_directories(root.parent_path());
  const std::string suffix = fmt::format(".tmp{}", ::getpid());
  const fs::path building = root.parent_path() / (root.filename().string() + suffix);
  fs::remove_all(building);  // a stale one from a killed export of this pid
  std::set<std::string> renamed, collided;
  try {
    fs::create_directories(building / ".trash");  // FileStore creates it when missing; the root may be read-only
    write_file_atomic(building / kMarker, "written by hybridrec runs export --format mlflow\n");
    // MLflow creates experiment 0 only with a new root, and its UI opens it first.
    const std::int64_t now_ms = iso_to_epoch_ms(now_utc_iso());
    write_experiment(building / "0", root / "0", "0", "Default", now_ms);
    for (const auto& e : experiments) {
      // The database keys start at 1, so they never meet the Default experiment's 0.
      const std::string id = std::to_string(e.id);
      write_experiment(building / id, root / id, id, e.name, iso_to_epoch_ms(e.created_at));
      ++summary.experiments;
      for (const auto& listed : tracker.list_runs(e.name, INT_MAX)) {
        const RunRecord run = tracker.get_run(listed.run_id);
        const auto result = write_run(run, id, building / id / run.run_id, root / id / run.run_id, artifacts);
        summary.artifact_files += result.artifact_files;
        for (const auto& [from, to] : result.renamed) {
          renamed.insert(from + " -> " + to);
          if (to != mlflow_safe_name(from)) collided.insert(from + " -> " + to);
        }
        ++summary.runs;
      }
    }
    // Swap in: the old export moves aside first, so DIR is always a whole export or absent for a moment.
    const fs::path old = root.parent_path() / (root.filename().string() + ".old" + suffix.substr(4));
    const bool replacing = fs::exists(root);
    if (replacing) fs::rename(root, old);
    fs::rename(building, root);
    if (replacing) fs::remove_all(old);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    throw;
  }
  summary.renamed.assign(renamed.begin(), renamed.end());
  summary.collided.assign(collided.begin(), collided.end());
  return summary;
}

}  // namespace hybridrec::store
