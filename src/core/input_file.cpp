#include "core/input_file.h"

#include <lzma.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/error.h"

namespace hybridrec {

struct InputFile::Xz {
  lzma_stream stream = LZMA_STREAM_INIT;
  std::unique_ptr<std::uint8_t[]> in = std::make_unique<std::uint8_t[]>(1 << 16);
  bool input_done = false, finished = false;
  ~Xz() { lzma_end(&stream); }
};

InputFile::Compression detect_compression(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return InputFile::Compression::None;
  unsigned char magic[6] = {};
  const std::size_t got = std::fread(magic, 1, sizeof magic, f);
  std::fclose(f);
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return InputFile::Compression::Gzip;
  if (got == 6 && std::memcmp(magic, "\xFD" "7zXZ\0", 6) == 0) return InputFile::Compression::Xz;
  return InputFile::Compression::None;
}

InputFile::InputFile(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw DataError(path.string(), 0, "", "is a directory, expected a file");
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw DataError(path.string(), 0, "", std::string("cannot open: ") + std::strerror(errno));
  compression_ = detect_compression(path);
  if (compression_ == Compression::Gzip) {
    std::fclose(file_);
    file_ = nullptr;
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) throw DataError(path.string(), 0, "", "cannot open gzip file");
    gzbuffer(gz, 1 << 17);
    gz_ = gz;
  } else if (compression_ == Compression::Xz) {
    xz_ = std::make_unique<Xz>();
    if (lzma_stream_decoder(&xz_->stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
      throw DataError(path.string(), 0, "", "cannot start the xz decoder");
  }
}

InputFile::~InputFile() {
  if (file_) std::fclose(file_);
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

std::size_t InputFile::read(char* out, std::size_t size) {
  switch (compression_) {
    case Compression::None:
      return std::fread(out, 1, size, file_);
    case Compression::Gzip: {
      const int got = gzread(static_cast<gzFile>(gz_), out, static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30)));
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(static_cast<gzFile>(gz_), &code);
        throw DataError(path_.string(), 0, "", std::string("corrupt gzip data: ") + message);
      }
      return static_cast<std::size_t>(got);
    }
    case Compression::Xz:
      return read_xz(out, size);
  }
  return 0;
}

std::size_t InputFile::read_xz(char* out, std::size_t size) {
  Xz& x = *xz_;
  if (x.finished) return 0;
  x.stream.next_out = reinterpret_cast<std::uint8_t*>(out);
  x.stream.avail_out = size;
  while (x.stream.avail_out > 0) {
    if (x.stream.avail_in == 0 && !x.input_done) {
      x.stream.next_in = x.in.get();
      x.stream.avail_in = std::fread(x.in.get(), 1, 1 << 16, file_);
      if (x.stream.avail_in == 0) x.input_done = true;
    }
    const lzma_ret ret = lzma_code(&x.stream, x.input_done ? LZMA_FINISH : LZMA_RUN);
    if (ret == LZMA_STREAM_END) {
      x.finished = true;
      break;
    }
    if (ret != LZMA_OK) throw DataError(path_.string(), 0, "", "corrupt or truncated xz data (liblzma code " + std::to_string(ret) + ")");
  }
  return size - x.stream.avail_out;
}

LineReader::LineReader(const std::filesystem::path& path, std::size_t buffer_size) : file_(path) {
  buffer_.resize(std::max<std::size_t>(buffer_size, 64));
}

bool LineReader::refill() {
  if (eof_) return false;
  const std::size_t pending = end_ - begin_;
  if (begin_ == 0 && pending == buffer_.size()) {
    buffer_.resize(buffer_.size() * 2);  // one line longer than the buffer
  } else if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, pending);
  }
  begin_ = 0;
  end_ = pending;
  const std::size_t got = file_.read(buffer_.data() + end_, buffer_.size() - end_);
  end_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

bool LineReader::next(std::string_view& line) {
  while (true) {
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl || (eof_ && end_ > begin_)) {
      const char* stop = nl ? static_cast<const char*>(nl) : buffer_.data() + end_;
      std::size_t length = static_cast<std::size_t>(stop - start);
      begin_ += length + (nl ? 1 : 0);
      if (length > 0 && start[length - 1] == '\r') --length;
      ++line_;
      line = std::string_view(start, length);
      return true;
    }
    if (eof_) return false;
    refill();
  }
}

}  // namespace hybridrec
