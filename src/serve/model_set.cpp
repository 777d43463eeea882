#include "serve/model_set.h"

#include <spdlog/spdlog.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "serve/traffic_split.h"
#include "store/sha256.h"

namespace hybridrec::serve {

nlohmann::json DeploymentPlan::to_json() const {
  return {{"champion", champion},
          {"challenger", challenger ? nlohmann::json(*challenger) : nlohmann::json()},
          {"challenger_traffic_percent", challenger ? challenger_percent : 0.0}};
}

DeploymentPlan read_deployment_plan(store::Registry& registry, const std::string& environment) {
  DeploymentPlan plan;
  std::string latest;  // deployed_at of the challenger chosen so far
  bool has_champion = false;
  for (const auto& m : registry.list()) {
    if (m.status == store::ModelStatus::champion) {
      plan.champion = m.model_id;
      has_champion = true;
    }
    if (m.status != store::ModelStatus::challenger) continue;
    for (const auto& d : m.deployment_history) {  // oldest first
      if (d.environment != environment || d.deployed_at < latest) continue;
      latest = d.deployed_at;
      plan.challenger = m.model_id;
      plan.challenger_percent = d.traffic_percentage;
    }
  }
  if (!has_champion)
    throw Error("the registry has no champion to serve (train with --promote or run `hybridrec models promote ID`)");
  return plan;
}

const ServedModel& ModelSet::for_user(const std::string& user_id, const char** role) const {
  if (challenger && assigned_to_challenger(user_id, plan.challenger_percent)) {
    *role = "challenger";
    return *challenger;
  }
  *role = "champion";
  return *champion;
}

ModelHub::ModelHub(store::Workspace& workspace, ServingOptions options, std::string environment)
    : workspace_(workspace), options_(std::move(options)), environment_(std::move(environment)) {
  reload();
}

std::shared_ptr<const ModelSet> ModelHub::current() const {
  std::lock_guard<std::mutex> lock(current_mutex_);
  return current_;
}

std::uint64_t ModelHub::swaps() const {
  std::lock_guard<std::mutex> lock(current_mutex_);
  return swaps_;
}

std::shared_ptr<const ServedModel> ModelHub::load_model(const std::string& model_id) {
  if (auto now = current()) {
    if (now->champion && now->champion->model_id() == model_id) return now->champion;
    if (now->challenger && now->challenger->model_id() == model_id) return now->challenger;
  }
  // A model's files never change, so a complete checkout is reused across restarts
  // (and keeps the candidate index built beside it).
  const auto dir = workspace_.root() / "serving" / "models" / model_id;
  const auto marker = dir / ".checked-out";
  auto record = workspace_.registry().get(model_id);
  const bool checked_out = std::filesystem::exists(marker);
  // The serving copy is hashed at every load: a file changed after checkout (a
  // damaged disk, a hand edit) is never served. The copy is made again from the
  // artifact store, whose checkout verifies every object; if the store is damaged
  // too, the load fails and the previous models keep serving (see reload()).
  if (!checked_out || !serving_copy_intact(dir, record.files)) {
    if (checked_out) {
      spdlog::warn("serving copy of {} differs from its registered sha256; checking it out again", model_id);
      std::lock_guard<std::mutex> lock(current_mutex_);
      ++health_.repaired_copies;
    }
    std::filesystem::remove_all(dir);
    workspace_.registry().checkout(model_id, dir);
    write_file_atomic(marker, model_id + "\n");
  }
  return std::make_shared<ServedModel>(model_id, record.version, dir, options_);
}

bool ModelHub::serving_copy_intact(const std::filesystem::path& dir, const std::vector<store::ArtifactFile>& files) {
  for (const auto& f : files) {
    const auto path = dir / f.path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || store::sha256_file(path) != f.sha256) return false;
  }
  return true;
}

ModelHub::LoadHealth ModelHub::load_health() const {
  std::lock_guard<std::mutex> lock(current_mutex_);
  return health_;
}

bool ModelHub::reload() {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  try {
    DeploymentPlan plan = read_deployment_plan(workspace_.registry(), environment_);
    if (auto now = current(); now && now->plan == plan) return false;
    auto next = std::make_shared<ModelSet>();
    next->plan = plan;
    next->champion = load_model(plan.champion);
    if (plan.challenger) next->challenger = load_model(*plan.challenger);
    std::lock_guard<std::mutex> swap(current_mutex_);
    current_ = std::move(next);
    ++swaps_;
    health_.last_error.clear();
    return true;
  } catch (const std::exception& e) {
    // The models already loaded keep serving; /healthz says degraded until a good reload.
    std::lock_guard<std::mutex> swap(current_mutex_);
    health_.last_error = e.what();
    ++health_.failures;
    throw;
  }
}

}  // namespace hybridrec::serve
