// `runs export --format mlflow`: the folder must be what MLflow's FileStore
// (mlflow/store/tracking/file_store.py) reads. MLflow cannot be installed here, so
// each check below is a rule of that layout, read back with an independent YAML
// parser: meta.yaml fields and types, one file per param/metric/tag, metric lines
// "<unix ms> <value> <step>", names MLflow's validation accepts, artifacts copied.
#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "store/mlflow_export.h"
#include "store/mlflow_names.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

using store::RunStatus;

// MLflow's _VALID_PARAM_AND_METRIC_NAMES, plus its rule that a name is its own normalised path.
bool mlflow_accepts(const std::string& name) {
  static const std::regex allowed(R"(^[/\w.\- ]*$)");
  if (!std::regex_match(name, allowed) || name.empty() || name.size() > 250) return false;
  return fs::path(name).lexically_normal().generic_string() == name && name.front() != '/' && name.back() != '/';
}

// Every file below `folder` as a name relative to it ("val/ndcg" for a nested one).
std::set<std::string> files_below(const fs::path& folder) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), folder).generic_string());
  return out;
}

TEST(MlflowNames, FollowTheDocumentedRule) {
  EXPECT_EQ(store::mlflow_safe_name("test_ndcg@10"), "test_ndcg_at_10");
  EXPECT_EQ(store::mlflow_safe_name("hit:rate"), "hit_rate");
  EXPECT_EQ(store::mlflow_safe_name("/val//ndcg/"), "val/ndcg");
  EXPECT_EQ(store::mlflow_safe_name("a/../b"), "a/__/b");
  EXPECT_EQ(store::mlflow_safe_name("é"), "__");  // two UTF-8 bytes, neither allowed
  EXPECT_EQ(store::mlflow_safe_name(""), "_");
  EXPECT_EQ(store::mlflow_safe_name(std::string(300, 'x')).size(), 250u);
  for (const char* kept : {"train_loss", "model.hidden_layers", "val/ndcg", "a b-c"})
    EXPECT_EQ(store::mlflow_safe_name(kept), kept);

  // Collisions: sorted originals, the first keeps the name, later ones get _2, _3 or go flat.
  const auto names = store::mlflow_names({"ndcg_at_10", "ndcg@10", "ndcg:at:10", "loss", "loss/train"});
  EXPECT_EQ(names.at("ndcg:at:10"), "ndcg_at_10");  // ':' sorts before '@' and '_'
  EXPECT_EQ(names.at("ndcg@10"), "ndcg_at_10_2");
  EXPECT_EQ(names.at("ndcg_at_10"), "ndcg_at_10_3");
  EXPECT_EQ(names.at("loss"), "loss");
  EXPECT_EQ(names.at("loss/train"), "loss_train") << "a file cannot also be the folder loss/";
  // The reverse order of the same clash, and a flat name that is taken too.
  const auto reverse = store::mlflow_names({"a/b", "a", "a_b"});
  EXPECT_EQ(reverse.at("a"), "a");
  EXPECT_EQ(reverse.at("a/b"), "a_b");    // sorted: a, a/b, a_b ('/' before '_'); a/b goes flat
  EXPECT_EQ(reverse.at("a_b"), "a_b_2");  // and takes a_b first
  std::set<std::string> distinct;
  for (const auto& [from, to] : names) {
    EXPECT_TRUE(mlflow_accepts(to)) << to;
    EXPECT_TRUE(store::is_valid_mlflow_name(to)) << to;
    distinct.insert(to);
  }
  EXPECT_EQ(distinct.size(), names.size());
  EXPECT_FALSE(store::is_valid_mlflow_name("ndcg@10"));
  EXPECT_FALSE(store::is_valid_mlflow_name("a//b"));
}

TEST(MlflowExport, TimesBecomeUnixMilliseconds) {
  EXPECT_EQ(store::iso_to_epoch_ms("1970-01-01T00:00:01.250Z"), 1250);
  EXPECT_EQ(store::iso_to_epoch_ms("2026-12-01T23:22:20.5Z"), 1796167340500);
  EXPECT_EQ(store::iso_to_epoch_ms("2026-12-01T23:22:20Z"), 1796167340000);
  EXPECT_THROW(store::iso_to_epoch_ms("yesterday"), Error);
}

class MlflowExportTest : public StoreBackendTest {};
INSTANTIATE_TEST_SUITE_P(Sqlite, MlflowExportTest, ::testing::Values("sqlite"));

TEST_P(MlflowExportTest, WritesMlflowsFileStoreLayout) {
  auto ws = open();
  auto& t = ws.tracking();
  const auto finished = t.start_run("movielens", "hybrid-seed42", {{"model", {{"embedding_dim", 50}}}, {"loss", "bce"}},
                                    {{"model_type", "hybrid"}}, {{"seed", 42}});
  for (int epoch = 1; epoch <= 3; ++epoch)
    t.log_metrics(finished, {{"train_loss", 1.0 / epoch}, {"val_ndcg@10", 0.1 * epoch}}, epoch);
  t.log_metrics(finished, {{"test_ndcg@10", 0.123456789012345678}, {"test_ndcg_at_10", 0.5}}, 3);
  write_json_atomic(dir() / "out" / "metrics.json", {{"ndcg@10", 0.3}});
  t.log_artifact(finished, dir() / "out" / "metrics.json");
  t.end_run(finished, RunStatus::finished);
  const auto running = t.start_run("ciao", "still-going");
  t.log_metric(running, "train_loss", 0.7, 1);

  const fs::path dest = dir() / "mlruns";
  const auto summary = store::export_mlflow(t, ws.artifacts(), dest);
  EXPECT_EQ(summary.runs, 2);
  EXPECT_EQ(summary.experiments, 2);
  EXPECT_EQ(summary.artifact_files, 1);

  // The Default experiment 0 and one folder per experiment, each with its meta.yaml.
  const YAML::Node default_meta = YAML::LoadFile((dest / "0" / "meta.yaml").string());
  EXPECT_EQ(default_meta["name"].as<std::string>(), "Default");
  std::map<std::string, fs::path> experiment_folders;  // name -> folder
  for (const auto& e : fs::directory_iterator(dest)) {
    if (!e.is_directory() || e.path().filename() == ".trash") continue;
    const YAML::Node meta = YAML::LoadFile((e.path() / "meta.yaml").string());
    for (const char* key : {"artifact_location", "creation_time", "experiment_id", "last_update_time", "lifecycle_stage", "name"})
      EXPECT_TRUE(meta[key].IsDefined()) << e.path() << " lacks " << key;
    // experiment_id is a string equal to the folder name (MLflow warns and skips otherwise).
    EXPECT_EQ(meta["experiment_id"].Tag(), "!") << "experiment_id must be a quoted string";
    EXPECT_EQ(meta["experiment_id"].as<std::string>(), e.path().filename().string());
    EXPECT_EQ(meta["lifecycle_stage"].as<std::string>(), "active");
    EXPECT_EQ(meta["artifact_location"].as<std::string>(), "file://" + fs::absolute(e.path()).generic_string());
    EXPECT_GT(meta["creation_time"].as<std::int64_t>(), 1'600'000'000'000) << "milliseconds since the epoch";
    experiment_folders[meta["name"].as<std::string>()] = e.path();
  }
  ASSERT_EQ(experiment_folders.size(), 3u);
  ASSERT_TRUE(experiment_folders.count("movielens"));

  const fs::path run_dir = experiment_folders["movielens"] / finished;
  const YAML::Node meta = YAML::LoadFile((run_dir / "meta.yaml").string());
  for (const char* key : {"artifact_uri", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage", "run_id",
                          "run_name", "run_uuid", "source_name", "source_type", "source_version", "start_time", "status",
                          "tags", "user_id"})
    EXPECT_TRUE(meta[key].IsDefined()) << "run meta.yaml lacks " << key;
  EXPECT_EQ(meta["run_id"].as<std::string>(), finished);
  EXPECT_EQ(meta["run_uuid"].as<std::string>(), finished);
  EXPECT_EQ(meta["experiment_id"].as<std::string>(), experiment_folders["movielens"].filename().string());
  EXPECT_EQ(meta["run_name"].as<std::string>(), "hybrid-seed42");
  EXPECT_EQ(meta["status"].as<int>(), 3) << "RunStatus.FINISHED";
  EXPECT_EQ(meta["source_type"].as<int>(), 4) << "SourceType.LOCAL";
  EXPECT_EQ(meta["lifecycle_stage"].as<std::string>(), "active");
  EXPECT_TRUE(meta["tags"].IsSequence());
  const auto run = t.get_run(finished);
  EXPECT_EQ(meta["start_time"].as<std::int64_t>(), store::iso_to_epoch_ms(run.start_time));
  EXPECT_EQ(meta["end_time"].as<std::int64_t>(), store::iso_to_epoch_ms(run.end_time));
  EXPECT_LE(meta["start_time"].as<std::int64_t>(), meta["end_time"].as<std::int64_t>());
  EXPECT_EQ(meta["artifact_uri"].as<std::string>(), "file://" + fs::absolute(run_dir / "artifacts").generic_string());

  // params/<key>: the value with no newline.
  EXPECT_EQ(read_file(run_dir / "params" / "model.embedding_dim"), "50");
  EXPECT_EQ(read_file(run_dir / "params" / "loss"), "bce");
  // metrics/<key>: every name MLflow accepts; one "<ms> <value> <step>" line per point, in step order.
  const auto metric_files = files_below(run_dir / "metrics");
  for (const auto& name : metric_files) EXPECT_TRUE(mlflow_accepts(name)) << name;
  EXPECT_EQ(metric_files, (std::set<std::string>{"test_ndcg_at_10", "test_ndcg_at_10_2", "train_loss", "val_ndcg_at_10"}));
  std::istringstream lines(read_file(run_dir / "metrics" / "val_ndcg_at_10"));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::int64_t timestamp = 0, step = 0;
    double value = 0;
    std::string extra;
    ASSERT_TRUE(fields >> timestamp >> value >> step) << line;
    EXPECT_FALSE(fields >> extra) << "three fields only: " << line;
    const auto& point = run.metrics.at("val_ndcg@10").at(count);
    EXPECT_EQ(timestamp, store::iso_to_epoch_ms(point.timestamp));
    EXPECT_DOUBLE_EQ(value, point.value);
    EXPECT_EQ(step, point.step);
    ++count;
  }
  EXPECT_EQ(count, 3);
  // The two test metrics that collide keep their values apart: sorted originals, so test_ndcg@10 keeps the name.
  EXPECT_NE(read_file(run_dir / "metrics" / "test_ndcg_at_10").find(" 0.12345678901234568 3"), std::string::npos);
  EXPECT_NE(read_file(run_dir / "metrics" / "test_ndcg_at_10_2").find(" 0.5 3"), std::string::npos);

  // tags/<key>: the run's own tags and MLflow's system tags.
  EXPECT_EQ(read_file(run_dir / "tags" / "mlflow.runName"), "hybrid-seed42");
  EXPECT_EQ(read_file(run_dir / "tags" / "mlflow.source.type"), "LOCAL");
  EXPECT_EQ(read_file(run_dir / "tags" / "model_type"), "hybrid");
  const json renamed = json::parse(read_file(run_dir / "tags" / "hybridrec.renamed_keys"));
  EXPECT_EQ(renamed, (json{{"test_ndcg_at_10", "test_ndcg_at_10_2"}})) << "only names moved beyond the rule";
  EXPECT_EQ(summary.collided, (std::vector<std::string>{"test_ndcg_at_10 -> test_ndcg_at_10_2"}));
  EXPECT_NE(std::find(summary.renamed.begin(), summary.renamed.end(), "val_ndcg@10 -> val_ndcg_at_10"),
            summary.renamed.end());
  for (const auto& name : files_below(run_dir / "tags")) EXPECT_TRUE(mlflow_accepts(name)) << name;
  for (const auto& name : files_below(run_dir / "params")) EXPECT_TRUE(mlflow_accepts(name)) << name;

  // artifacts/: the logged file, byte for byte.
  EXPECT_EQ(read_file(run_dir / "artifacts" / "metrics.json"), read_file(dir() / "out" / "metrics.json"));

  // A run still going: RUNNING, no end time.
  const YAML::Node running_meta = YAML::LoadFile((experiment_folders["ciao"] / running / "meta.yaml").string());
  EXPECT_EQ(running_meta["status"].as<int>(), 1) << "RunStatus.RUNNING";
  EXPECT_TRUE(running_meta["end_time"].IsNull());
}

TEST_P(MlflowExportTest, IsAtomicReplacesItsOwnExportAndRefusesForeignFolders) {
  auto ws = open();
  auto& t = ws.tracking();
  const auto first = t.start_run("exp", "one");
  t.end_run(first, RunStatus::finished);
  const fs::path dest = dir() / "mlruns";
  store::export_mlflow(t, ws.artifacts(), dest);
  const auto second = t.start_run("exp", "two");
  t.end_run(second, RunStatus::finished);
  const auto summary = store::export_mlflow(t, ws.artifacts(), dest);  // replaces the earlier export
  EXPECT_EQ(summary.runs, 2);
  // Nothing left beside it: the build folder was renamed into place, the old one removed.
  for (const auto& e : fs::directory_iterator(dir()))
    EXPECT_EQ(e.path().filename().string().find("mlruns."), std::string::npos) << e.path();

  const fs::path foreign = dir() / "mine";
  write_file_atomic(foreign / "notes.txt", "keep me");
  EXPECT_THROW(store::export_mlflow(t, ws.artifacts(), foreign), Error);
  EXPECT_EQ(read_file(foreign / "notes.txt"), "keep me");
  EXPECT_FALSE(fs::exists(foreign / "0"));

  // A corrupt artifact fails the export and leaves the earlier one whole.
  write_json_atomic(dir() / "out" / "m.json", {{"x", 1}});
  const auto third = t.start_run("exp", "three");
  const auto logged = t.log_artifact(third, dir() / "out" / "m.json");
  t.end_run(third, RunStatus::finished);
  write_file_atomic(ws.artifacts().object_path(logged[0].sha256), "tampered");
  EXPECT_THROW(store::export_mlflow(t, ws.artifacts(), dest), Error);
  std::size_t runs_in_dest = 0;
  for (const auto& e : fs::directory_iterator(dest / std::to_string(t.experiment_records().at(0).id)))
    runs_in_dest += e.is_directory();
  EXPECT_EQ(runs_in_dest, 2u) << "the earlier export (two runs) stays";
  for (const auto& e : fs::directory_iterator(dir()))
    EXPECT_EQ(e.path().filename().string().find("mlruns."), std::string::npos) << e.path();
}

}  // namespace
}  // namespace hybridrec::testing
