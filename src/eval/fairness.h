#pragma once
// Group fairness of per-user metric values: the largest gap between the mean
// value of any two user groups (the specification's |P(R|G=A) - P(R|G=B)|
// generalised to more than two groups). Which per-user values are used for
// demographic parity and equal opportunity: docs/metrics.md.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace hybridrec {

struct GroupGap {
  double gap = 0.0;              // max - min over groups with at least one user; 0 with < 2 such groups
  std::vector<double> means;     // per group (0 for empty groups)
  std::vector<std::size_t> users;  // per group
};

// group[u] in [0, num_groups) or negative (user excluded: attribute missing).
GroupGap group_gap(std::span<const std::int32_t> group, std::span<const double> value, std::size_t num_groups);

// Each user's group for the fairness metrics: a categorical user attribute's
// codes, or for a numeric one four quartile buckets of the users' values. The
// name `group_by` empty means the first categorical attribute. Returns false
// (and leaves the outputs empty) when there is no such attribute; throws
// ConfigError when a named attribute does not exist.
struct UserGroups {
  std::string attribute;
  std::vector<std::string> labels;   // per group
  std::vector<std::int32_t> group;   // per dataset user, -1 = missing
};
bool user_groups(const Dataset& dataset, const std::string& group_by, UserGroups& out);

}  // namespace hybridrec
