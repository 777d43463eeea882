#pragma once
// Names and paths that come from users (experiment, run, environment and tag
// names, relative paths inside artifact manifests) are checked here before they
// are stored or joined to a workspace path, so none can escape the workspace.
#include <filesystem>
#include <string>

namespace hybridrec::store {

// A display name: 1..200 bytes, no NUL or control characters, no '/' or '\\',
// not "." or "..". kind names the field in the error ("experiment name").
void validate_name(const std::string& kind, const std::string& name);

// A relative path inside a directory: non-empty, not absolute, no "..", ".", or
// empty components, no NUL or control characters. Returns root / relative.
std::filesystem::path resolve_inside(const std::filesystem::path& root, const std::string& relative);

}  // namespace hybridrec::store
