#pragma once
// Content-addressed artifact store: each file is kept once, under
// <root>/<first two hex digits of its sha256>/<sha256>, whatever its name. A
// manifest (relative path -> sha256 + size) says which objects make up a model or
// a run's outputs; verify() re-hashes every object, so a corrupted or missing
// file is reported by name before anyone loads it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec::store {

struct ArtifactFile {
  std::string path;    // relative to the artifact directory it came from ("model.safetensors", "maps/users.json")
  std::string sha256;  // lowercase hex
  std::int64_t size = 0;
};

nlohmann::json to_json(const std::vector<ArtifactFile>& files);
std::vector<ArtifactFile> artifact_files_from_json(const nlohmann::json& manifest, const std::string& source);

class ArtifactStore {
 public:
  explicit ArtifactStore(std::filesystem::path root);  // created if missing
  const std::filesystem::path& root() const { return root_; }

  // Stores one file's bytes (temp + rename, so a crash leaves no half object) and
  // returns its entry, recorded under `name`.
  ArtifactFile put_file(const std::filesystem::path& file, const std::string& name);
  // Stores every regular file below dir; entries sorted by relative path.
  std::vector<ArtifactFile> put_directory(const std::filesystem::path& dir);
  // A file or a directory (then names are "<dir name>/<relative path>").
  std::vector<ArtifactFile> put(const std::filesystem::path& file_or_dir);

  std::filesystem::path object_path(const std::string& sha256) const;

  // Throws Error naming the first corrupt or missing file ("model 'rec-model-v1.0.0':
  // file 'model.safetensors' is corrupt: sha256 ... expected ...").
  void verify(const std::vector<ArtifactFile>& files, const std::string& owner) const;
  // verify(), then copies the files to dest under their relative paths (each
  // atomically). Paths are checked so a tampered manifest cannot write outside dest.
  void materialize(const std::vector<ArtifactFile>& files, const std::filesystem::path& dest,
                   const std::string& owner) const;

 private:
  std::filesystem::path root_;
};

}  // namespace hybridrec::store
