// Fuzz target: what a client sends the recommendation server, through the same
// parsers the server uses - a request target's path and query
// (GET /v1/recommendations/{user}?...), a POST /v1/events body checked event by
// event against a signed request id, a POST /v1/users/{id} attributes body, and
// a bare request id. The first byte picks which. Only a RequestError (4xx, a
// hybridrec::Error) may leave a parser: anything else is a finding.
//
// Mutation alone never forges an HMAC, so the literal "$RID" in an events body is
// replaced by a genuine id (user "u1", items "i1" and "i2") before parsing: the
// checks behind the signature - user, item, timestamp - get explored too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "serve/event_validation.h"
#include "serve/request_parsing.h"
#include "serve/request_signing.h"

using namespace hybridrec;
using namespace hybridrec::serve;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

const RequestSigner& signer() {
  static const RequestSigner s("fuzz-secret-0123456789abcdef0123");
  return s;
}

// "/v1/recommendations/<user>?a=b&c" -> parse_recommend_query, as the router and
// libmicrohttpd hand it over (path segment and decoded key/value pairs).
void request_target(std::string_view target) {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  constexpr std::string_view kRoute = "/v1/recommendations/";
  const std::string user(path.substr(0, kRoute.size()) == kRoute ? path.substr(kRoute.size()) : path);
  QueryParams params;
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const auto eq = pair.find('=');
      params.emplace(std::string(pair.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  (void)parse_recommend_query(user, params);
}

void events_body(std::string body) {
  static const std::string genuine = signer().issue("rec-model-v1.0.0", "u1", {"i1", "i2"}, kNow - 10);
  for (auto at = body.find("$RID"); at != std::string::npos; at = body.find("$RID", at + genuine.size()))
    body.replace(at, 4, genuine);
  const nlohmann::json parsed = parse_json_body(body);
  const nlohmann::json* list = parsed.is_object() && parsed.contains("events") ? &parsed["events"] : &parsed;
  if (!list->is_array()) {
    (void)validate_event(*list, signer(), kNow, 86400, "");
    return;
  }
  for (std::size_t i = 0; i < list->size() && i < 1000; ++i) (void)validate_event((*list)[i], signer(), kNow, 86400, "event: ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::split_input(data, size);
  try {
    switch (input.options % 4) {
      case 0: request_target(input.main); break;
      case 1: events_body(std::string(input.main)); break;
      case 2: (void)parse_attributes(parse_json_body(std::string(input.main)), {"age_group", "location", "segment"}); break;
      default: (void)signer().verify(input.main, kNow, 86400); break;
    }
  } catch (const hybridrec::Error&) {
  }
  return 0;
}
