#include "store/mlflow_names.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace hybridrec::store {

namespace {

constexpr std::size_t kMaxKeyLength = 250;  // MLflow's MAX_ENTITY_KEY_LENGTH

bool allowed_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ' ' || c == '/';
}

std::vector<std::string> split_components(const std::string& name) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : name) {
    if (c == '/') {
      parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(part);
  return parts;
}

// Whether `a` and `b` cannot both be files under one folder: equal, or one is a
// folder on the other's path ("loss" and "loss/train").
bool clash(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const std::string& shorter = a.size() < b.size() ? a : b;
  const std::string& longer = a.size() < b.size() ? b : a;
  return longer.compare(0, shorter.size(), shorter) == 0 && longer[shorter.size()] == '/';
}

}  // namespace

std::string mlflow_safe_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '@') out += "_at_";
    else out += allowed_character(c) ? c : '_';
  }
  if (out.size() > kMaxKeyLength) out.resize(kMaxKeyLength);  // before the path clean-up, which never lengthens
  std::string joined;
  for (std::string part : split_components(out)) {
    if (part.empty()) continue;  // doubled, leading or trailing '/'
    if (part == "." || part == "..") part = std::string(part.size(), '_');
    joined += (joined.empty() ? "" : "/") + part;
  }
  return joined.empty() ? "_" : joined;
}

std::map<std::string, std::string> mlflow_names(const std::vector<std::string>& originals) {
  std::vector<std::string> sorted(originals);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::map<std::string, std::string> out;
  std::vector<std::string> taken;
  auto clashing = [&](const std::string& candidate) -> const std::string* {
    for (const auto& t : taken)
      if (clash(t, candidate)) return &t;
    return nullptr;
  };
  for (const auto& original : sorted) {
    std::string base = mlflow_safe_name(original);
    std::string candidate = base;
    int n = 1;
    while (const std::string* other = clashing(candidate)) {
      if (*other != candidate && candidate.find('/') != std::string::npos) {
        // A file where a folder is needed (or the reverse): the name goes flat. Done
        // once; a name without '/' is freed by a suffix, as only finitely many are taken.
        std::replace(base.begin(), base.end(), '/', '_');
        candidate = base;
        n = 1;
        continue;
      }
      const std::string suffix = fmt::format("_{}", ++n);  // not "_" + to_string: GCC 12 warns falsely (-Wrestrict)
      candidate = base.substr(0, std::min(base.size(), kMaxKeyLength - suffix.size())) + suffix;
    }
    taken.push_back(candidate);
    out[original] = candidate;
  }
  return out;
}

bool is_valid_mlflow_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxKeyLength) return false;
  if (!std::all_of(name.begin(), name.end(), allowed_character)) return false;
  for (const auto& part : split_components(name))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

}  // namespace hybridrec::store
