#include "core/error.h"

namespace hybridrec {

static std::string format_location(const std::string& file, std::size_t line, const std::string& field,
                                   const std::string& message) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += "field '" + field + "': ";
  return out + message;
}

DataError::DataError(std::string file, std::size_t line, std::string field, const std::string& message)
    : Error(format_location(file, line, field, message)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      message_(message) {}

}  // namespace hybridrec
