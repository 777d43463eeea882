#include "store/text_table.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace hybridrec::store {

std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(headers.size(), 0);
  for (std::size_t c = 0; c < headers.size(); ++c) width[c] = headers[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      out += c + 1 == width.size() ? cell : fmt::format("{:<{}}  ", cell, width[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string format_number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
  // Learning rates and weight decays (1e-05) would print as 0.0000 with fixed decimals.
  if (value != 0 && std::fabs(value) < 0.001) return fmt::format("{:.3g}", value);
  return fmt::format("{:.4f}", value);
}

}  // namespace hybridrec::store
