#pragma once
// Plain-text tables for the `runs` and `models` commands: columns padded to the
// widest cell, so output reads well in a terminal and diffs cleanly.
#include <string>
#include <vector>

namespace hybridrec::store {

std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);
std::string format_number(double value);  // "0.4812", integers without decimals

}  // namespace hybridrec::store
