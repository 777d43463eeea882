#include "store/safe_names.h"

#include "core/error.h"

namespace hybridrec::store {
namespace {

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

void validate_name(const std::string& kind, const std::string& name) {
  auto bad = [&](const std::string& why) { throw Error(kind + " '" + printable(name) + "' is invalid: " + why); };
  if (name.empty()) bad("it is empty");
  if (name.size() > 200) bad("it is longer than 200 bytes");
  if (has_control(name)) bad("it contains a NUL or control character");
  if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos) bad("it contains a path separator");
  if (name == "." || name == "..") bad("it is a relative directory");
}

std::filesystem::path resolve_inside(const std::filesystem::path& root, const std::string& relative) {
  auto bad = [&](const std::string& why) {
    throw Error("path '" + printable(relative) + "' is not allowed inside " + root.string() + ": " + why);
  };
  if (relative.empty()) bad("it is empty");
  if (has_control(relative)) bad("it contains a NUL or control character");
  if (relative.front() == '/' || relative.find('\\') != std::string::npos) bad("it is absolute or uses '\\'");
  std::filesystem::path rel(relative);
  if (rel.is_absolute() || rel.has_root_name()) bad("it is absolute");
  for (const auto& part : rel) {
    if (part == ".." || part == "." || part.empty()) bad("it has a '..', '.' or empty component");
  }
  return root / rel;
}

}  // namespace hybridrec::store
