#include "train/checkpoint.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/safetensors.h"

namespace hybridrec {

namespace {
constexpr const char* kOptimizerPrefix = "optimizer/";

std::filesystem::path state_file(const std::filesystem::path& dir, int epoch) {
  return dir / ("state-" + std::to_string(epoch) + ".safetensors");
}
}  // namespace

void save_checkpoint(const std::filesystem::path& dir, int epoch, const Network& network, const nlohmann::json& trainer_state,
                     bool is_best) {
  std::filesystem::create_directories(dir);
  std::vector<NamedTensor> tensors = network.state_dict();
  if (is_best) save_safetensors(dir / "best.safetensors", tensors);
  for (auto& t : network.optimizer_state()) {
    t.name = kOptimizerPrefix + t.name;
    tensors.push_back(std::move(t));
  }
  save_safetensors(state_file(dir, epoch), tensors);
  nlohmann::json state = trainer_state;
  state["epoch"] = epoch;
  state["state_file"] = state_file(dir, epoch).filename().string();
  write_json_atomic(dir / "trainer.json", state);
  // Older states are no longer referenced by trainer.json.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("state-", 0) == 0 && name != state["state_file"].get<std::string>())
      std::filesystem::remove(entry.path());
  }
}

std::optional<nlohmann::json> load_checkpoint(const std::filesystem::path& dir, Network& network) {
  if (!std::filesystem::exists(dir / "trainer.json")) return std::nullopt;
  nlohmann::json state = read_json(dir / "trainer.json");
  auto file = dir / state.at("state_file").get<std::string>();
  std::vector<NamedTensor> params, optimizer;
  for (auto& t : load_safetensors(file)) {
    if (t.name.rfind(kOptimizerPrefix, 0) == 0) {
      t.name.erase(0, std::string(kOptimizerPrefix).size());
      optimizer.push_back(std::move(t));
    } else {
      params.push_back(std::move(t));
    }
  }
  network.load_state_dict(params);
  network.load_optimizer_state(optimizer);
  return state;
}

bool load_best_parameters(const std::filesystem::path& dir, Network& network) {
  auto file = dir / "best.safetensors";
  if (!std::filesystem::exists(file)) return false;
  network.load_state_dict(load_safetensors(file));
  return true;
}

}  // namespace hybridrec
