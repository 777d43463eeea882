#include "core/error.h"
#include "model/baselines.h"

namespace hybridrec {

const std::vector<std::string>& baseline_names() {
  static const std::vector<std::string> names{"popularity", "category", "random"};
  return names;
}

std::unique_ptr<Recommender> make_baseline(const std::string& name) {
  if (name == "popularity") return std::make_unique<PopularityBaseline>();
  if (name == "category") return std::make_unique<CategoryBaseline>();
  if (name == "random") return std::make_unique<RandomBaseline>();
  throw ConfigError("unknown baseline '" + name + "' (expected popularity, category or random)");
}

}  // namespace hybridrec
