#pragma once
// `hybridrec serve`: the recommendation service over HTTP (cpp-httplib).
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
  // Request threads; 0: 8 per core, at least 32. httplib keeps a thread per open
  // keep-alive connection, so this bounds the concurrent clients served at once.
  int threads = 0;
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
