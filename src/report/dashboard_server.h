#pragma once
// `hybridrec ui` on HTTP (core/http_server.h, event-driven like `serve`): GET
// pages from dashboard_page(), read-only, bound to 127.0.0.1 by default. Every
// request reads the workspace afresh, so a run that finishes while the page is
// open shows on reload.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "report/dashboard.h"

namespace hybridrec::http {
class Server;
}

namespace hybridrec::report {

class DashboardServer {
 public:
  explicit DashboardServer(DashboardOptions options);
  ~DashboardServer();
  // Binds host:port (port 0 = any free port) and starts answering; returns the
  // bound port. Throws Error when it cannot bind.
  int bind(const std::string& host, int port);
  void serve();  // blocks until stop()
  void stop();

 private:
  DashboardOptions options_;
  std::unique_ptr<http::Server> http_;
  std::mutex mutex_;
  std::condition_variable stopped_signal_;
  bool stopped_ = false;
};

}  // namespace hybridrec::report
