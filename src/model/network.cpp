// Network factory and loss names.
#include "model/network.h"

#include "core/error.h"
#include "model/fusion_network.h"

namespace hybridrec {

Loss parse_loss(const std::string& name) {
  if (name == "MSELoss" || name == "mse") return Loss::MSE;
  if (name == "BCELoss" || name == "bce") return Loss::BCE;
  if (name == "BPRLoss" || name == "bpr") return Loss::BPR;
  throw ConfigError("training.loss_function '" + name + "' is not one of MSELoss, BCELoss, BPRLoss");
}

std::unique_ptr<Network> Network::create(const ModelConfig& config, std::size_t num_users, std::size_t num_items,
                                         const FeatureSet* features, std::uint64_t seed) {
  return std::make_unique<FusionNetwork>(config, num_users, num_items, features, seed);
}

}  // namespace hybridrec
