#pragma once
// Error types shared by every subsystem. Input problems carry their location
// (file, line, field) so a user can fix the exact cell that is wrong.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace hybridrec {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A problem in user-supplied input. what() reads "FILE:LINE: field 'F': MESSAGE".
// line is 1-based; 0 means the problem concerns the whole file.
class DataError : public Error {
 public:
  DataError(std::string file, std::size_t line, std::string field, const std::string& message);
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string field_;
  std::string message_;
};

// A configuration value that is missing, malformed or out of range.
class ConfigError : public Error {
 public:
  using Error::Error;
};

}  // namespace hybridrec
