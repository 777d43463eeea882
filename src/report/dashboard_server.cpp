#include "report/dashboard_server.h"

#include <httplib.h>

namespace hybridrec::report {

DashboardServer::DashboardServer(DashboardOptions options)
    : options_(std::move(options)), http_(std::make_unique<httplib::Server>()) {
  http_->Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    const DashboardPage page = dashboard_page(options_, req.path);
    res.status = page.status;
    res.set_content(page.html, "text/html; charset=utf-8");
  });
  // A page builder that throws something unexpected still gets an answer, never a dropped connection.
  http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("<!DOCTYPE html><title>Error</title><h1>Internal error</h1>", "text/html; charset=utf-8");
  });
  http_->set_payload_max_length(1 << 16);  // a read-only dashboard takes no bodies
}

DashboardServer::~DashboardServer() { stop(); }

int DashboardServer::bind(const std::string& host, int port) {
  const int bound = port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) throw Error("ui: cannot listen on " + host + ":" + std::to_string(port) + " (in use, or not an address here)");
  return bound;
}

void DashboardServer::serve() { http_->listen_after_bind(); }

void DashboardServer::stop() {
  if (http_ && http_->is_running()) http_->stop();
}

}  // namespace hybridrec::report
