#include "report/dashboard_server.h"

#include "core/error.h"
#include "core/http_server.h"

namespace hybridrec::report {

DashboardServer::DashboardServer(DashboardOptions options) : options_(std::move(options)) {}

DashboardServer::~DashboardServer() { stop(); }

int DashboardServer::bind(const std::string& host, int port) {
  http::ServerOptions transport;
  transport.host = host;
  transport.port = port;
  transport.max_body_bytes = 1 << 16;  // a read-only dashboard takes no bodies
  http_ = std::make_unique<http::Server>(transport);
  http_->route("GET", R"(/.*)", [this](const http::Request& req, http::Response& res) {
    const DashboardPage page = dashboard_page(options_, req.path);
    res.status = page.status;
    res.set_content(page.html, "text/html; charset=utf-8");
  });
  // A page builder that throws, or a request no route takes, still gets a page, never a dropped connection.
  http_->set_error_handler([](const http::Request&, http::Response& res) {
    res.set_content("<!DOCTYPE html><title>Error " + std::to_string(res.status) + "</title><h1>Error " +
                        std::to_string(res.status) + "</h1>",
                    "text/html; charset=utf-8");
  });
  try {
    return http_->start();
  } catch (const Error& e) {
    throw Error(std::string("ui: ") + e.what());
  }
}

void DashboardServer::serve() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopped_signal_.wait(lock, [this] { return stopped_; });
}

void DashboardServer::stop() {
  if (http_) http_->stop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  stopped_signal_.notify_all();
}

}  // namespace hybridrec::report
