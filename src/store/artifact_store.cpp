#include "store/artifact_store.h"

#include <algorithm>

#include "core/atomic_file.h"
#include "core/error.h"
#include "store/safe_names.h"
#include "store/sha256.h"

namespace hybridrec::store {

namespace fs = std::filesystem;

nlohmann::json to_json(const std::vector<ArtifactFile>& files) {
  auto out = nlohmann::json::array();
  for (const auto& f : files) out.push_back({{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}});
  return out;
}

std::vector<ArtifactFile> artifact_files_from_json(const nlohmann::json& manifest, const std::string& source) {
  std::vector<ArtifactFile> files;
  const auto& list = manifest.contains("files") ? manifest.at("files") : manifest;
  if (!list.is_array()) throw DataError(source, 0, "files", "expected an array of {path, sha256, size}");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    if (!e.is_object() || !e.contains("path") || !e.contains("sha256") || !e.contains("size") ||
        !e["path"].is_string() || !e["sha256"].is_string() || !e["size"].is_number_integer())
      throw DataError(source, 0, "files[" + std::to_string(i) + "]", "expected {path, sha256, size}");
    files.push_back({e["path"].get<std::string>(), e["sha256"].get<std::string>(), e["size"].get<std::int64_t>()});
  }
  return files;
}

ArtifactStore::ArtifactStore(fs::path root) : root_(std::move(root)) { fs::create_directories(root_); }

fs::path ArtifactStore::object_path(const std::string& sha256) const {
  bool hex = sha256.size() == 64 && std::all_of(sha256.begin(), sha256.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (!hex) throw Error("'" + sha256 + "' is not a sha256 digest");
  return root_ / sha256.substr(0, 2) / sha256;
}

ArtifactFile ArtifactStore::put_file(const fs::path& file, const std::string& name) {
  if (!fs::is_regular_file(file)) throw Error("artifact " + file.string() + " is not a regular file");
  // Hash the bytes we copy (not the file twice), so a file changing underneath
  // cannot give an object whose content differs from its name.
  std::string bytes = read_file(file);
  ArtifactFile entry{name, sha256_hex(bytes), static_cast<std::int64_t>(bytes.size())};
  auto object = object_path(entry.sha256);
  std::error_code ec;
  // Identical content is already stored; rewrite only if that copy went bad.
  bool intact = fs::exists(object, ec) && static_cast<std::int64_t>(fs::file_size(object, ec)) == entry.size &&
                sha256_file(object) == entry.sha256;
  if (!intact) write_file_atomic(object, bytes);
  return entry;
}

std::vector<ArtifactFile> ArtifactStore::put_directory(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw Error("artifact directory " + dir.string() + " does not exist");
  std::vector<ArtifactFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    files.push_back(put_file(entry.path(), fs::relative(entry.path(), dir).generic_string()));
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

std::vector<ArtifactFile> ArtifactStore::put(const fs::path& file_or_dir) {
  auto base = file_or_dir.filename().empty() ? file_or_dir.parent_path().filename() : file_or_dir.filename();
  if (fs::is_directory(file_or_dir)) {
    auto files = put_directory(file_or_dir);
    for (auto& f : files) f.path = (base / f.path).generic_string();
    return files;
  }
  return {put_file(file_or_dir, base.string())};
}

void ArtifactStore::verify(const std::vector<ArtifactFile>& files, const std::string& owner) const {
  for (const auto& f : files) {
    auto object = object_path(f.sha256);
    std::string where = owner + ": file '" + f.path + "' (" + object.string() + ")";
    std::error_code ec;
    if (!fs::is_regular_file(object, ec)) throw Error(where + " is missing");
    auto size = static_cast<std::int64_t>(fs::file_size(object, ec));
    if (ec || size != f.size)
      throw Error(where + " is corrupt: size " + std::to_string(size) + " bytes, expected " + std::to_string(f.size));
    auto actual = sha256_file(object);
    if (actual != f.sha256) throw Error(where + " is corrupt: sha256 " + actual + ", expected " + f.sha256);
  }
}

void ArtifactStore::materialize(const std::vector<ArtifactFile>& files, const fs::path& dest,
                                const std::string& owner) const {
  for (const auto& f : files) resolve_inside(dest, f.path);  // reject hostile paths before writing anything
  verify(files, owner);
  for (const auto& f : files) write_file_atomic(resolve_inside(dest, f.path), read_file(object_path(f.sha256)));
}

}  // namespace hybridrec::store
