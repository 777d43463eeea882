#include "store/semver.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "core/error.h"

namespace hybridrec::store {

SemVer SemVer::parse(const std::string& text) {
  static const std::regex pattern(R"(v(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8}))");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    throw Error("version '" + text + "' is invalid: expected vMAJOR.MINOR.PATCH, e.g. v2.3.1");
  return {std::stol(m[1]), std::stol(m[2]), std::stol(m[3])};
}

std::string SemVer::str() const {
  return fmt::format("v{}.{}.{}", major, minor, patch);
}

std::string to_string(VersionBump bump) {
  switch (bump) {
    case VersionBump::major: return "major";
    case VersionBump::minor: return "minor";
    case VersionBump::patch: return "patch";
  }
  return "patch";
}

VersionBump classify_change(const nlohmann::json& base_architecture, const nlohmann::json& base_features,
                            const nlohmann::json& new_architecture, const nlohmann::json& new_features) {
  if (base_architecture != new_architecture) return VersionBump::major;
  if (base_features != new_features) return VersionBump::minor;
  return VersionBump::patch;
}

SemVer next_version(const SemVer& base, VersionBump bump, const std::vector<SemVer>& taken) {
  SemVer next = base;
  switch (bump) {
    case VersionBump::major: {
      long top = base.major;
      for (const auto& v : taken) top = std::max(top, v.major);
      next = {top + 1, 0, 0};
      break;
    }
    case VersionBump::minor: {
      long top = base.minor;
      for (const auto& v : taken)
        if (v.major == base.major) top = std::max(top, v.minor);
      next = {base.major, top + 1, 0};
      break;
    }
    case VersionBump::patch: {
      long top = base.patch;
      for (const auto& v : taken)
        if (v.major == base.major && v.minor == base.minor) top = std::max(top, v.patch);
      next = {base.major, base.minor, top + 1};
      break;
    }
  }
  return next;
}

std::string model_id_for(const SemVer& version) { return "rec-model-" + version.str(); }

}  // namespace hybridrec::store
