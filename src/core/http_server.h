#pragma once
// The HTTP transport that `serve` and `ui` share: an event-driven server
// (libmicrohttpd over epoll) so that a slow or idle client costs a socket, not a
// thread. A few worker threads each run their own event loop and call the
// handlers once a request has fully arrived; connections are bounded in number
// and dropped after an idle timeout.
//
// The handlers see one plain Request (path and query decoded here, from the raw
// request target, so "%00" stays a byte instead of cutting the path) and fill a
// Response. Routing is by method and a regular expression over the whole path;
// a path that some route matches under another method is answered 405.
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hybridrec::http {

struct Request {
  std::string method;
  std::string target;  // as sent: path?query, still percent-encoded
  std::string path;    // decoded
  std::multimap<std::string, std::string> params;  // decoded query parameters, repeats kept
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> matches;  // the route's captures; [0] is the whole path

  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;

  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
};

using Handler = std::function<void(const Request&, Response&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0: any free port (see Server::start)
  int worker_threads = 0;           // event loops that also run the handlers; 0: one per core, at least 2
  int max_connections = 4096;       // open connections at once; more are refused at accept
  int idle_timeout_seconds = 10;    // a connection with no traffic for this long is closed
  std::size_t max_body_bytes = 64 * 1024;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void route(std::string method, const std::string& path_pattern, Handler handler);
  // Runs before routing; returns true when it answered the request itself.
  void set_pre_routing(std::function<bool(const Request&, Response&)> check);
  // Fills in requests nobody answered: status 400 (bad request), 404 (no route),
  // 405 (another method), 413 (body over the limit) or 500 (a handler threw).
  // The default writes a plain-text reason.
  void set_error_handler(Handler handler);

  // Binds and starts serving on the worker threads; returns the bound port.
  // Throws hybridrec::Error when the address cannot be bound.
  int start();
  void stop();  // closes every connection and joins the workers; idempotent
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`); a malformed
// escape is kept as it is.
std::string percent_decode(std::string_view text, bool plus_is_space);

// A request target as sent ("/path?a=1&b", still percent-encoded) cut into the
// decoded path and the decoded query parameters ('+' is a space there, a
// parameter without '=' has an empty value): what the handlers see as
// Request::path and Request::params. Pure, so a fuzz target can reach it.
struct RequestTarget {
  std::string path;
  std::multimap<std::string, std::string> params;
};
RequestTarget split_request_target(std::string_view target);

}  // namespace hybridrec::http
