#pragma once
// A file opened for reading whose compression is invisible to the caller: gzip
// (.gz) and xz (.xz) are recognised by their magic bytes, not the name, and read
// through zlib / liblzma; anything else is read as it is. Every reader of data
// files (CSV, JSON lines, line counting) goes through it, so a dataset may be
// compressed in any layout.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace hybridrec {

class InputFile {
 public:
  enum class Compression { None, Gzip, Xz };

  // Throws DataError naming the path when it cannot be opened.
  explicit InputFile(const std::filesystem::path& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Up to `size` decompressed bytes; 0 at end of file. Throws DataError on a
  // corrupt or truncated compressed stream.
  std::size_t read(char* out, std::size_t size);

  Compression compression() const { return compression_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Xz;
  std::size_t read_xz(char* out, std::size_t size);

  std::filesystem::path path_;
  Compression compression_ = Compression::None;
  std::FILE* file_ = nullptr;  // plain and xz input
  void* gz_ = nullptr;         // zlib gzFile
  std::unique_ptr<Xz> xz_;
};

// The compression of a file from its first bytes (None when unreadable).
InputFile::Compression detect_compression(const std::filesystem::path& path);

// Reads a file line by line through InputFile (any compression). Lines exclude
// the '\n' and a trailing '\r'; line() is the 1-based number of the last one.
class LineReader {
 public:
  explicit LineReader(const std::filesystem::path& path, std::size_t buffer_size = 1 << 20);
  // The view is valid until the next call.
  bool next(std::string_view& line);
  std::size_t line() const { return line_; }

 private:
  bool refill();
  InputFile file_;
  std::string buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::size_t line_ = 0;
};

}  // namespace hybridrec
