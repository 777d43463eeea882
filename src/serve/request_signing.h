#pragma once
// Signed request ids (issue #17): feedback events count only for responses this
// server gave, for the user it gave them to, and for items that were in them.
//
// Design: stateless. The id carries what the server needs to check an event -
// the model that answered, the user, the issue time, a random nonce (two answers
// in one second stay two responses) and a 32-bit fingerprint of each item of the
// response - and an HMAC-SHA256 tag (128 bits kept) over all of it, keyed by a
// per-workspace secret. So nothing is stored per response: ids survive a restart,
// every server of one workspace accepts each other's ids, and memory does not
// grow with traffic. The price is the id's length: about 50 bytes plus 4 per
// item (k = 10: ~130 characters; k = 1000: ~5.5 KB).
//
// The fingerprints are keyed too (derived from the secret), so a client cannot
// search the catalogue offline for an item whose fingerprint collides with one of
// its response's. An item outside the response passes only by such a collision:
// at most k / 2^32 per try, and only on a response the client really got for
// that user. Note what the id does not do: it binds an event to a response, it
// does not authenticate the user (anyone may ask for anyone's recommendations).
//
// Wire format: "r1." base64url(payload) "." base64url(tag), payload =
//   nonce (8 bytes) | issued_at (int64 unix seconds, big-endian) |
//   varint length + model id | varint length + user id | varint count + 4 bytes per item.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "serve/request_error.h"

namespace hybridrec::serve {

// Why an event was refused: the label of hybridrec_events_refused_total{reason}.
class EventRefused : public RequestError {
 public:
  EventRefused(int status, std::string reason, const std::string& message)
      : RequestError(status, message), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// What a valid id says about the response it came with.
struct IssuedRequest {
  std::string model_id, user_id;
  std::int64_t issued_at = 0;
  std::vector<std::uint32_t> item_fingerprints;
};

inline constexpr std::int64_t kDefaultRequestIdMaxAgeSeconds = 86400;
// Longest id accepted (k = 1000 items make ~5.5 KB); longer is malformed.
inline constexpr std::size_t kMaxRequestIdBytes = 8192;

class RequestSigner {
 public:
  // Reads the workspace's secret (serving/request_id_secret), creating it on first
  // use: 32 random bytes as hex, mode 0600, written to a temporary and linked into
  // place, so two servers starting at once agree on one secret. Throws Error when
  // the file is readable or writable by group or others, not owned by this user,
  // not a regular file, or not a secret of ours.
  static RequestSigner for_workspace(const std::filesystem::path& serving_dir);
  explicit RequestSigner(std::string secret);  // raw key bytes (tests)

  std::string issue(const std::string& model_id, const std::string& user_id, const std::vector<std::string>& item_ids,
                    std::int64_t issued_at) const;
  // The id's contents if it is well-formed, signed by this secret and not older
  // than max_age_seconds at `now`; else throws EventRefused (malformed_request_id,
  // bad_signature: 400; expired: 410; issued_in_future: 400).
  IssuedRequest verify(std::string_view request_id, std::int64_t now, std::int64_t max_age_seconds) const;
  bool in_response(const IssuedRequest& request, std::string_view item_id) const;

 private:
  std::uint32_t fingerprint(std::string_view item_id) const;
  std::string tag(std::string_view payload) const;

  std::string key_;
  std::uint64_t fingerprint_key_ = 0;
};

}  // namespace hybridrec::serve
