#pragma once
// The models being served, as the registry's records decide them:
//   champion   the registry's champion (required);
//   challenger the challenger-status model deployed most recently to the serving
//              environment, taking the traffic share of that deployment record.
// A ModelSet is immutable. The ModelHub swaps in a new one when the records
// change (polled, or on an admin reload): requests hold a shared_ptr to the set
// they started with, so a swap never interrupts one, and the old models are freed
// when the last of those requests finishes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "serve/served_model.h"
#include "store/workspace.h"

namespace hybridrec::serve {

struct DeploymentPlan {
  std::string champion;                   // model id
  std::optional<std::string> challenger;  // model id
  double challenger_percent = 0;
  bool operator==(const DeploymentPlan&) const = default;
  nlohmann::json to_json() const;
};

// Reads the plan from the registry; throws Error when there is no champion.
DeploymentPlan read_deployment_plan(store::Registry& registry, const std::string& environment);

struct ModelSet {
  DeploymentPlan plan;
  std::shared_ptr<const ServedModel> champion, challenger;
  // The model a user sees (stable hash of the id); role is "champion" or "challenger".
  const ServedModel& for_user(const std::string& user_id, const char** role) const;
};

class ModelHub {
 public:
  ModelHub(store::Workspace& workspace, ServingOptions options, std::string environment);
  std::shared_ptr<const ModelSet> current() const;
  // Re-reads the registry and, if the plan changed, loads what is new (models
  // already loaded are reused) and swaps. Returns true when it swapped. Calls are
  // serialised; serving continues on the old set while new models load.
  bool reload();
  std::uint64_t swaps() const;

  // Loading since start, for /healthz and /metrics: the last failed reload's
  // reason (empty again after a good one), how many failed, and how many serving
  // copies were found changed (sha256 against the registry) and made again.
  struct LoadHealth {
    std::string last_error;
    std::uint64_t failures = 0, repaired_copies = 0;
  };
  LoadHealth load_health() const;

 private:
  std::shared_ptr<const ServedModel> load_model(const std::string& model_id);
  static bool serving_copy_intact(const std::filesystem::path& dir, const std::vector<store::ArtifactFile>& files);

  store::Workspace& workspace_;
  ServingOptions options_;
  std::string environment_;
  std::mutex reload_mutex_;  // one reload at a time (and the workspace's connection with it)
  mutable std::mutex current_mutex_;
  std::shared_ptr<const ModelSet> current_;
  std::uint64_t swaps_ = 0;
  LoadHealth health_;  // under current_mutex_
};

}  // namespace hybridrec::serve
