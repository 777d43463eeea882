#include "store/workspace.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "store/schema.h"

namespace hybridrec::store {

Workspace Workspace::open(const std::filesystem::path& dir, const std::string& store_url) {
  if (dir.empty()) throw Error("workspace directory must not be empty");
  if (dir.string().find('\0') != std::string::npos) throw Error("workspace directory contains a NUL byte");
  Workspace ws;
  ws.root_ = std::filesystem::absolute(dir);
  std::filesystem::create_directories(ws.root_);
  // Objects a killed run was writing (write_file_atomic temporaries whose writer is
  // gone) would otherwise stay in the store forever, unreferenced.
  remove_stale_temp_files(ws.root_ / "artifacts");
  ws.db_ = open_database(store_url.empty() ? (ws.root_ / "workspace.db").string() : store_url);
  ws.schema_version_ = migrate(*ws.db_);
  ws.artifacts_ = std::make_unique<ArtifactStore>(ws.root_ / "artifacts");
  ws.tracker_ = std::make_unique<Tracker>(*ws.db_, *ws.artifacts_);
  ws.registry_ = std::make_unique<Registry>(*ws.db_, *ws.artifacts_, ws.root_);
  ws.reaped_ = ws.tracker_->reap_dead_runs();
  return ws;
}

Workspace Workspace::open_existing(const std::filesystem::path& dir, const std::string& store_url) {
  if (dir.empty()) throw Error("workspace directory must not be empty");
  std::error_code ec;
  const bool folder = std::filesystem::is_directory(dir, ec);
  const bool database = !store_url.empty() || std::filesystem::is_regular_file(dir / "workspace.db", ec);
  if (!folder || !database)
    throw Error("no workspace at " + dir.string() + (folder ? " (the folder has no workspace.db)" : "") +
                ": check --workspace (`hybridrec train` creates a workspace; this command only reads one)");
  return open(dir, store_url);
}

}  // namespace hybridrec::store
