#pragma once
// Semantic model versions, v{MAJOR}.{MINOR}.{PATCH} (the specification's
// "Versioning Strategy"): MAJOR when the architecture changes, MINOR when the
// input features change, PATCH otherwise (retraining, tuning, fixes).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec::store {

struct SemVer {
  long major = 1, minor = 0, patch = 0;
  static SemVer parse(const std::string& text);  // "v2.3.1"; throws Error on anything else
  std::string str() const;                        // "v2.3.1"
  auto operator<=>(const SemVer&) const = default;
};

enum class VersionBump { major, minor, patch };
std::string to_string(VersionBump bump);

// Which part changes going from the base model to the candidate.
VersionBump classify_change(const nlohmann::json& base_architecture, const nlohmann::json& base_features,
                            const nlohmann::json& new_architecture, const nlohmann::json& new_features);

// The next version after base for this bump that is not in taken: MAJOR goes
// past the highest major taken, MINOR past the highest minor of base's major,
// PATCH past the highest patch of base's major.minor, so two challengers
// proposed against the same champion never collide.
SemVer next_version(const SemVer& base, VersionBump bump, const std::vector<SemVer>& taken);

std::string model_id_for(const SemVer& version);  // "rec-model-v2.3.1"

}  // namespace hybridrec::store
