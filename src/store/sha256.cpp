#include "store/sha256.h"

#include "core/atomic_file.h"
#include "core/error.h"

// cpp-httplib, already a project dependency, is built against OpenSSL and exports
// its SHA-256 helper. Calling it avoids both a hand-written digest and a new link
// dependency (the library does not link libcrypto directly). The declaration
// matches the one compiled into libcpp-httplib.
namespace httplib::detail {
std::string SHA_256(const std::string& s);
}

namespace hybridrec::store {

std::string sha256_hex(const std::string& bytes) { return httplib::detail::SHA_256(bytes); }

std::string sha256_file(const std::filesystem::path& file) {
  // Model artifacts are read whole anyway when loaded; one read keeps this simple.
  return sha256_hex(read_file(file));
}

}  // namespace hybridrec::store
