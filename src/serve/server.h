#pragma once
// `hybridrec serve`: the recommendation service over HTTP (core/http_server.h:
// event-driven, so slow or idle clients cost a socket each, not a thread).
//
//   GET  /v1/recommendations/{user_id}?k=10&exclude_seen=true&diversity=0.3&category=...
//   POST /v1/users/{user_id}        {"attributes": {"age_group": "25-34", ...}}
//   POST /v1/events                 {"type": "click", "request_id": "...", "item_id": "..."} (or a list)
//   GET  /v1/experiments            online metrics per model + champion vs challenger tests
//   POST /v1/admin/reload           re-read the registry now (Authorization: Bearer <admin token>)
//   GET  /healthz, GET /metrics     liveness; Prometheus text format
//
// Every error is JSON {"error": "..."} with a 4xx status for the client's
// mistakes; a handler's exception becomes a 500 and never ends the process.
#include <memory>
#include <string>

#include "serve/service.h"

namespace hybridrec::serve {

struct ServerOptions {
  ServiceOptions service;
  std::string host = "127.0.0.1";
  int port = 8080;                       // 0: any free port (tests)
  std::string admin_token;               // empty: admin endpoints refuse (403)
  // Worker threads: each runs an event loop over its share of the connections
  // and scores their requests. 0: one per core, at least 2.
  int threads = 0;
  int max_connections = 4096;     // open connections at once (idle and slow ones included)
  int idle_timeout_seconds = 10;  // a connection silent this long is closed
  double poll_seconds = 2.0;             // registry poll for deployment changes; 0: only on admin reload
  std::size_t max_body_bytes = 64 * 1024;
};

class RecommendationServer {
 public:
  explicit RecommendationServer(const ServerOptions& options);  // loads the models; does not listen yet
  ~RecommendationServer();
  // Binds and serves on background threads; returns the port. Throws Error if the
  // address cannot be bound.
  int start();
  void stop();  // stops accepting, finishes in-flight requests, joins the threads
  void wait();  // blocks until stop() (from another thread or a signal handler's thread)
  int port() const;
  RecommendationService& service();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hybridrec::serve
