#include "store/schema.h"

#include "core/error.h"
#include "store/process_info.h"

namespace hybridrec::store {

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "experiments, runs, params, metrics, tags, run artifacts",
       {
           "CREATE TABLE experiments (experiment_id {pk}, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)",
           "CREATE TABLE runs (run_id TEXT PRIMARY KEY,"
           " experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id), name TEXT NOT NULL,"
           " status TEXT NOT NULL CHECK (status IN ('running','finished','failed','killed')),"
           " start_time TEXT NOT NULL, end_time TEXT, git_commit TEXT, host TEXT NOT NULL, pid BIGINT NOT NULL,"
           " process_start TEXT, seeds TEXT NOT NULL)",
           "CREATE INDEX runs_by_experiment ON runs(experiment_id, start_time)",
           "CREATE INDEX runs_by_status ON runs(status, host)",
           "CREATE TABLE run_params (run_id TEXT NOT NULL REFERENCES runs(run_id), key TEXT NOT NULL,"
           " value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
           "CREATE TABLE run_metrics (metric_id {pk}, run_id TEXT NOT NULL REFERENCES runs(run_id),"
           " key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, step BIGINT NOT NULL, recorded_at TEXT NOT NULL)",
           "CREATE INDEX run_metrics_by_key ON run_metrics(run_id, key, step)",
           "CREATE TABLE run_tags (run_id TEXT NOT NULL REFERENCES runs(run_id), key TEXT NOT NULL,"
           " value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
           "CREATE TABLE run_artifacts (run_id TEXT NOT NULL REFERENCES runs(run_id), path TEXT NOT NULL,"
           " sha256 TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (run_id, path))",
       }},
      {2,
       "model registry: models, files, deployments, events; one champion",
       {
           "CREATE TABLE models (model_id TEXT PRIMARY KEY, version TEXT NOT NULL UNIQUE,"
           " major BIGINT NOT NULL, minor BIGINT NOT NULL, patch BIGINT NOT NULL, created_at TEXT NOT NULL,"
           " status TEXT NOT NULL CHECK (status IN ('champion','challenger','archived')),"
           " artifact_path TEXT NOT NULL, run_id TEXT REFERENCES runs(run_id), model_type TEXT NOT NULL,"
           " hyperparameters TEXT NOT NULL, architecture TEXT NOT NULL, features TEXT NOT NULL,"
           " metrics TEXT NOT NULL, training_data TEXT NOT NULL, gate_metric TEXT NOT NULL)",
           // The database itself refuses a second champion, whatever the code does.
           "CREATE UNIQUE INDEX models_one_champion ON models(status) WHERE status = 'champion'",
           "CREATE TABLE model_files (model_id TEXT NOT NULL REFERENCES models(model_id), path TEXT NOT NULL,"
           " sha256 TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (model_id, path))",
           "CREATE TABLE deployments (deployment_id {pk}, model_id TEXT NOT NULL REFERENCES models(model_id),"
           " environment TEXT NOT NULL, deployed_at TEXT NOT NULL, traffic_percentage DOUBLE PRECISION NOT NULL,"
           " reason TEXT NOT NULL)",
           "CREATE INDEX deployments_by_model ON deployments(model_id, deployment_id)",
           // Audit trail: rows are only ever inserted.
           "CREATE TABLE model_events (event_id {pk}, model_id TEXT NOT NULL REFERENCES models(model_id),"
           " event TEXT NOT NULL, details TEXT NOT NULL, occurred_at TEXT NOT NULL)",
       }},
      {3,
       "hyperparameter tuning: studies and their trials",
       {
           "CREATE TABLE studies (study_id {pk}, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
           " status TEXT NOT NULL CHECK (status IN ('open','finished')), settings TEXT NOT NULL, best_model_id TEXT)",
           // heartbeat_ms: unix milliseconds of the worker's last sign of life; a
           // lost trial (lost = 1) is failed and its parameters run again as retry_of.
           "CREATE TABLE trials (trial_id {pk}, study_id BIGINT NOT NULL REFERENCES studies(study_id),"
           " number BIGINT NOT NULL,"
           " status TEXT NOT NULL CHECK (status IN ('running','completed','stopped_early','failed')),"
           " params TEXT NOT NULL, objective DOUBLE PRECISION, history TEXT NOT NULL, result TEXT NOT NULL,"
           " run_id TEXT, worker TEXT NOT NULL, host TEXT NOT NULL, pid BIGINT NOT NULL, process_start TEXT,"
           " started_at TEXT NOT NULL, ended_at TEXT, heartbeat_ms BIGINT NOT NULL, error TEXT,"
           " lost BIGINT NOT NULL DEFAULT 0, retry_of BIGINT, UNIQUE (study_id, number))",
           "CREATE INDEX trials_by_status ON trials(study_id, status)",
       }},
  };
  return migrations;
}

int latest_schema_version() { return schema_migrations().back().version; }

int applied_schema_version(SqlDatabase& db) {
  auto rows = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return static_cast<int>(rows.at(0).integer(0));
}

int migrate(SqlDatabase& db) {
  int version = 0;
  db.write_transaction([&] {
    db.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)");
    version = applied_schema_version(db);
    if (version > latest_schema_version())
      throw Error("store " + db.location() + " has schema version " + std::to_string(version) +
                  ", newer than this hybridrec understands (" + std::to_string(latest_schema_version()) +
                  "); upgrade hybridrec");
    for (const auto& m : schema_migrations()) {
      if (m.version <= version) continue;
      for (std::string sql : m.statements) {
        for (auto pos = sql.find("{pk}"); pos != std::string::npos; pos = sql.find("{pk}"))
          sql.replace(pos, 4, db.autoincrement_primary_key());
        db.query(sql);
      }
      db.query("INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
               {std::int64_t{m.version}, m.description, now_utc_iso()});
      version = m.version;
    }
  });
  return version;
}

}  // namespace hybridrec::store
