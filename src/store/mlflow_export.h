#pragma once
// `hybridrec runs export --format mlflow DIR`: the tracking store written in
// MLflow's file-store layout, so `mlflow ui --backend-store-uri DIR` (or
// MlflowClient with tracking URI file:DIR) reads the runs without a server:
//
//   DIR/0/meta.yaml                          the "Default" experiment MLflow expects
//   DIR/<experiment id>/meta.yaml            artifact_location, creation_time, experiment_id,
//                                            last_update_time, lifecycle_stage, name
//   DIR/<experiment id>/<run id>/meta.yaml   artifact_uri, end_time, entry_point_name, experiment_id,
//                                            lifecycle_stage, run_id, run_name, run_uuid, source_name,
//                                            source_type, source_version, start_time, status, tags, user_id
//                          .../params/<key>  the value, no newline
//                          .../metrics/<key> one line per point: "<unix ms> <value> <step>"
//                          .../tags/<key>    the value (mlflow.runName, mlflow.source.*, hybridrec.*)
//                          .../artifacts/    the run's logged files, verified against their sha256
//
// Names go through store/mlflow_names.h (test_ndcg@10 -> test_ndcg_at_10); a run
// with a name moved further to avoid a collision (a _2 suffix, a flattened path)
// has {original: exported} for those in its hybridrec.renamed_keys tag. The
// export is built in a sibling folder and renamed into place, so DIR is never
// half written; an earlier export in DIR is replaced, any other non-empty DIR is refused.
// artifact_uri and artifact_location are absolute file:// URIs of DIR, as MLflow writes them.
#include <filesystem>
#include <string>
#include <vector>

#include "store/artifact_store.h"
#include "store/tracking.h"

namespace hybridrec::store {

struct MlflowExportSummary {
  std::filesystem::path root;  // absolute
  int experiments = 0;         // exported ones, without the Default experiment
  int runs = 0;
  int artifact_files = 0;
  std::vector<std::string> renamed;   // "test_ndcg@10 -> test_ndcg_at_10", each name once
  std::vector<std::string> collided;  // those of them moved beyond the rule to avoid another name
};

// experiment "" exports every experiment. Throws Error when DIR holds something
// other than an earlier export, or a run's artifact is corrupt or missing.
MlflowExportSummary export_mlflow(Tracker& tracker, const ArtifactStore& artifacts, const std::filesystem::path& dir,
                                  const std::string& experiment = "");

// "2026-12-01T23:22:20.123Z" (how the tracking store records times) -> milliseconds since the epoch.
std::int64_t iso_to_epoch_ms(const std::string& iso);

}  // namespace hybridrec::store
