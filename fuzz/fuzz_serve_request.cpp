// Fuzz target: what a client sends the recommendation server, through the
// parsers the server runs before any model is involved (no server is started).
// The first byte picks which:
//   0: a request target ("/v1/recommendations/u1?k=5&attr.age=25%2D34"): the
//      malformed-escape check, the split into decoded path and query
//      (core/http_server.h), then the route's capture into
//      parse_recommend_query (or check_id for /v1/users/{id});
//   1: a POST body (/v1/events, /v1/users/{id}/history) through parse_json_body;
//   2: a POST /v1/users/{id} body through parse_json_body and parse_attributes.
// Only a RequestError (a hybridrec::Error with a 4xx status) may leave a parser,
// and its message must still serialise as the server sends it.
#include <regex>
#include <string>
#include <string_view>

#include "core/http_server.h"
#include "fuzz_input.h"
#include "serve/request_error.h"
#include "serve/request_parsing.h"

using namespace hybridrec;
using namespace hybridrec::serve;

namespace {

// The capturing routes of serve/server.cpp.
void request_target(const std::string& target) {
  if (has_malformed_percent_escape(target)) return;  // answered 400 before routing
  const http::RequestTarget request = http::split_request_target(target);
  static const std::regex recommendations(R"(/v1/recommendations/([^/]+))");
  static const std::regex users(R"(/v1/users/([^/]+)(/history)?)");
  std::smatch match;
  if (std::regex_match(request.path, match, recommendations)) {
    (void)parse_recommend_query(match[1], request.params);
  } else if (std::regex_match(request.path, match, users)) {
    check_id("user id", match[1]);
  } else {
    (void)parse_recommend_query(request.path, request.params);  // the query checks on any path
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::split_input(data, size);
  const std::string main(input.main);
  try {
    switch (input.options % 3) {
      case 0: request_target(main); break;
      case 1: (void)parse_json_body(main); break;
      default: (void)parse_attributes(parse_json_body(main), {"age_group", "location", "segment"}); break;
    }
  } catch (const RequestError& e) {
    // The server's send_json: ids and values from the client may be invalid UTF-8.
    const nlohmann::json reply = {{"error", e.what()}, {"status", e.status()}};
    (void)reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
