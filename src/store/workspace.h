#pragma once
// A workspace is a folder holding the artifact store (artifacts/) and, by
// default, the tracking + registry database (workspace.db, SQLite). A team
// points store_url at PostgreSQL (postgresql://...) instead; the folder still
// holds the artifacts. Opening applies schema migrations and marks runs whose
// process died on this host as killed.
//
//   auto ws = hybridrec::store::Workspace::open("hybridrec-workspace");
//   auto run = ws.tracking().start_run("recommendation-model", "ncf-1", params, tags, {{"seed", 42}});
//   ws.tracking().log_metrics(run, {{"train_loss", 0.45}, {"val_ndcg@10", 0.48}}, epoch);
//   ws.tracking().end_run(run, RunStatus::finished);
//   auto model = ws.registry().register_model(register_request_from_model_dir(dir, run));
#include <filesystem>
#include <memory>
#include <string>

#include "store/artifact_store.h"
#include "store/registry.h"
#include "store/sql_database.h"
#include "store/tracking.h"

namespace hybridrec::store {

class Workspace {
 public:
  static Workspace open(const std::filesystem::path& dir, const std::string& store_url = "");
  // For read-only commands (serve, models list, runs list, ...): refuses (Error)
  // a folder that is not a workspace instead of creating it, so a mistyped
  // --workspace is reported rather than answered with an empty new workspace.
  static Workspace open_existing(const std::filesystem::path& dir, const std::string& store_url = "");

  Tracker& tracking() { return *tracker_; }
  Registry& registry() { return *registry_; }
  ArtifactStore& artifacts() { return *artifacts_; }
  SqlDatabase& database() { return *db_; }
  const std::filesystem::path& root() const { return root_; }
  int schema_version() const { return schema_version_; }
  int runs_reaped_on_open() const { return reaped_; }

 private:
  Workspace() = default;
  std::filesystem::path root_;
  std::unique_ptr<SqlDatabase> db_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Tracker> tracker_;
  std::unique_ptr<Registry> registry_;
  int schema_version_ = 0;
  int reaped_ = 0;
};

// The default workspace folder of the CLI.
inline constexpr const char* kDefaultWorkspace = "hybridrec-workspace";

}  // namespace hybridrec::store
