#include "core/error.h"

namespace hybridrec {

static std::string format_location(const std::string& file, std::size_t line, const std::string& field,
                                   const std::string& message) {
  // Built with append() only: GCC 12 warns (-Wrestrict, a known false positive)
  // on chains of operator+ here.
  std::string out;
  out.append(file);
  if (line > 0) out.append(":").append(std::to_string(line));
  out.append(": ");
  if (!field.empty()) out.append("field '").append(field).append("': ");
  out.append(message);
  return out;
}

DataError::DataError(std::string file, std::size_t line, std::string field, const std::string& message)
    : Error(format_location(file, line, field, message)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      message_(message) {}

}  // namespace hybridrec
