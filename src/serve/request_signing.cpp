#include "serve/request_signing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace hybridrec::serve {

namespace {

constexpr std::string_view kPrefix = "r1.";
constexpr std::size_t kNonceBytes = 8, kTagBytes = 16, kSecretBytes = 32;

std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// False on any character outside the base64url alphabet, an impossible length or
// a non-canonical spelling.
bool from_base64url(std::string_view text, std::string& out) {
  if (text.size() % 4 == 1) return false;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  const std::size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');
  out.assign(3 * standard.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
  if (n < 0) return false;
  out.resize(static_cast<std::size_t>(n) - padding);
  // One spelling per byte string: the last character's unused low bits must be 0.
  // Otherwise one issued id could be posted as several strings that all verify,
  // and each would count as another response in the online metrics.
  return base64url(out) == text;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// Reads a signed payload; any overrun means the id was not one of ours.
struct Reader {
  std::string_view data;
  std::size_t pos = 0;
  bool ok = true;
  std::uint64_t be(int bytes) {
    if (pos + static_cast<std::size_t>(bytes) > data.size()) return ok = false, 0;
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[pos++]);
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= data.size()) return ok = false, 0;
      const auto byte = static_cast<unsigned char>(data[pos++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return ok = false, 0;
  }
  std::string text() {
    const std::uint64_t n = varint();
    if (!ok || n > data.size() - pos) return ok = false, "";
    std::string s(data.substr(pos, n));
    pos += n;
    return s;
  }
};

std::string to_hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

bool from_hex(std::string_view text, std::string& out) {
  if (text.size() % 2) return false;
  out.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    for (std::size_t j = i; j < i + 2; ++j) {
      const char c = text[j];
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
      value = value * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
    }
    out += static_cast<char>(value);
  }
  return true;
}

// Creates the secret if there is none: a private temporary (named as
// write_file_atomic names its own, so a kill leaves nothing a start does not
// clean), then link(2), which fails if another server created it meanwhile -
// then theirs is kept and read.
void create_secret_once(const std::filesystem::path& file) {
  unsigned char key[kSecretBytes];
  if (RAND_bytes(key, sizeof key) != 1) throw Error("cannot draw a random request-id secret (OpenSSL RAND_bytes failed)");
  const std::string content = to_hex({reinterpret_cast<const char*>(key), sizeof key}) + "\n";
  std::filesystem::create_directories(file.parent_path());
  const auto tmp = temp_path_beside(file);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw Error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  const bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  const int linked = written ? ::link(tmp.c_str(), file.c_str()) : -1;
  const int err = errno;
  ::unlink(tmp.c_str());
  if (!written) throw Error("cannot write " + tmp.string() + ": " + std::strerror(err));
  if (linked != 0 && err != EEXIST) throw Error("cannot create " + file.string() + ": " + std::strerror(err));
}

std::string read_secret(const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) throw Error("cannot read " + file.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(file.string() + " is not a regular file (the request-id secret must be one)");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw Error(fmt::format("{} has mode {:04o}: the request-id secret must be readable by its owner only (chmod 600 {})",
                            file.string(), st.st_mode & 07777, file.string()));
  if (st.st_uid != ::geteuid())
    throw Error(file.string() + " belongs to another user: the request-id secret must be owned by the user serving");
  std::string text = read_file(file);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::string key;
  if (!from_hex(text, key) || key.size() < 16)
    throw Error(file.string() + " is not a request-id secret (expected at least 32 hex digits); delete it to have a new one made "
                                "(ids issued with the old one are then refused)");
  return key;
}

}  // namespace

RequestSigner RequestSigner::for_workspace(const std::filesystem::path& serving_dir) {
  const auto file = serving_dir / "request_id_secret";
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(file, ec))) create_secret_once(file);
  return RequestSigner(read_secret(file));
}

RequestSigner::RequestSigner(std::string secret) : key_(std::move(secret)) {
  // A second key for the item fingerprints, so they say nothing usable about the first.
  const std::string derived = tag("hybridrec item fingerprint key");
  for (int i = 0; i < 8; ++i) fingerprint_key_ = (fingerprint_key_ << 8) | static_cast<unsigned char>(derived[i]);
}

std::string RequestSigner::tag(std::string_view payload) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(payload.data()),
            payload.size(), mac, &length))
    throw Error("HMAC-SHA256 failed (OpenSSL)");
  return std::string(reinterpret_cast<const char*>(mac), kTagBytes);
}

std::uint32_t RequestSigner::fingerprint(std::string_view item_id) const {
  // FNV-1a from a secret offset, then the splitmix64 finalizer to spread the bits:
  // cheap enough for k = 1000 items per response, and unknown without the secret.
  std::uint64_t h = 0xcbf29ce484222325ULL ^ fingerprint_key_;
  for (unsigned char c : item_id) h = (h ^ c) * 0x100000001b3ULL;
  h += fingerprint_key_;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<std::uint32_t>((h ^ (h >> 31)) >> 32);
}

std::string RequestSigner::issue(const std::string& model_id, const std::string& user_id,
                                 const std::vector<std::string>& item_ids, std::int64_t issued_at) const {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  std::string payload;
  payload.reserve(kNonceBytes + 8 + model_id.size() + user_id.size() + 4 * item_ids.size() + 8);
  put_be(payload, rng(), kNonceBytes);
  put_be(payload, static_cast<std::uint64_t>(issued_at), 8);
  put_varint(payload, model_id.size());
  payload += model_id;
  put_varint(payload, user_id.size());
  payload += user_id;
  put_varint(payload, item_ids.size());
  for (const auto& item : item_ids) put_be(payload, fingerprint(item), 4);
  return std::string(kPrefix) + base64url(payload) + "." + base64url(tag(payload));
}

IssuedRequest RequestSigner::verify(std::string_view id, std::int64_t now, std::int64_t max_age_seconds) const {
  const std::string shown(id.substr(0, 60));
  auto malformed = [&] {
    return EventRefused(400, "malformed_request_id",
                        "field 'request_id' is not a request_id this server issued (expected the request_id of a "
                        "recommendation response, got '" + shown + (id.size() > 60 ? "...'" : "'") + ")");
  };
  if (id.size() > kMaxRequestIdBytes || id.substr(0, kPrefix.size()) != kPrefix) throw malformed();
  const std::string_view body = id.substr(kPrefix.size());
  const auto dot = body.find('.');
  std::string payload, given_tag;
  if (dot == std::string_view::npos || !from_base64url(body.substr(0, dot), payload) ||
      !from_base64url(body.substr(dot + 1), given_tag))
    throw malformed();
  const std::string expected = tag(payload);
  if (given_tag.size() != expected.size() || CRYPTO_memcmp(given_tag.data(), expected.data(), expected.size()) != 0)
    throw EventRefused(400, "bad_signature",
                       "field 'request_id': the signature does not match (forged or altered id, or issued with another "
                       "workspace's secret)");
  Reader r{payload};
  r.be(kNonceBytes);
  IssuedRequest out;
  out.issued_at = static_cast<std::int64_t>(r.be(8));
  out.model_id = r.text();
  out.user_id = r.text();
  const std::uint64_t count = r.varint();
  if (!r.ok || count > (payload.size() - r.pos) / 4) throw malformed();
  out.item_fingerprints.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) out.item_fingerprints.push_back(static_cast<std::uint32_t>(r.be(4)));
  if (!r.ok || r.pos != payload.size()) throw malformed();
  if (now - out.issued_at > max_age_seconds)
    throw EventRefused(410, "expired",
                       fmt::format("field 'request_id' expired: issued {} s ago, events are accepted for {} s "
                                   "(serve --request-id-max-age)",
                                   now - out.issued_at, max_age_seconds));
  // A little clock skew between servers of one workspace is fine; more is not ours.
  if (out.issued_at - now > 300)
    throw EventRefused(400, "issued_in_future",
                       fmt::format("field 'request_id' was issued {} s in the future (clock moved back?)", out.issued_at - now));
  return out;
}

bool RequestSigner::in_response(const IssuedRequest& request, std::string_view item_id) const {
  const std::uint32_t f = fingerprint(item_id);
  for (const std::uint32_t x : request.item_fingerprints)
    if (x == f) return true;
  return false;
}

}  // namespace hybridrec::serve
