#include "serve/server.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "core/http_server.h"
#include "serve/request_error.h"
#include "serve/request_parsing.h"

namespace hybridrec::serve {

namespace {

void send_json(http::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace invalid UTF-8 rather than throw: ids come from clients.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(http::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

}  // namespace

struct RecommendationServer::Impl {
  ServerOptions options;
  RecommendationService service;
  http::Server http;
  std::thread poller;
  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopping = false, started = false;
  int port = 0;

  explicit Impl(const ServerOptions& o) : options(o), service(o.service), http(transport_options(o)) {}

  static http::ServerOptions transport_options(const ServerOptions& o) {
    http::ServerOptions t;
    t.host = o.host;
    t.port = o.port;
    t.worker_threads = o.threads;
    t.max_connections = o.max_connections;
    t.idle_timeout_seconds = o.idle_timeout_seconds;
    t.max_body_bytes = o.max_body_bytes;
    return t;
  }

  using Body = std::function<void(const http::Request&, http::Response&)>;
  // Times the request, turns exceptions into JSON errors, counts it.
  http::Handler handle(Route route, Body body) {
    return [this, route, body = std::move(body)](const http::Request& req, http::Response& res) {
      const auto start = std::chrono::steady_clock::now();
      try {
        body(req, res);
      } catch (const RequestError& e) {
        send_error(res, e.status(), e.what());
      } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", req.method, req.path, e.what());
        send_error(res, 500, std::string("internal error: ") + e.what());
      }
      service.http_metrics().observe(route, res.status,
                                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
  }

  void require_admin(const http::Request& req) const {
    if (options.admin_token.empty())
      throw RequestError(403, "admin endpoints are disabled; start the server with --admin-token");
    std::string given = req.header("X-Admin-Token");
    const std::string auth = req.header("Authorization");
    if (given.empty() && auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
    if (given != options.admin_token)
      throw RequestError(401, "missing or wrong admin token (send 'Authorization: Bearer <token>')");
  }

  void routes() {
    http.route("GET", R"(/v1/recommendations/([^/]+))", handle(Route::recommendations, [this](const auto& req, auto& res) {
               send_json(res, 200, service.recommend(parse_recommend_query(req.matches[1], req.params)));
             }));
    http.route("POST", R"(/v1/users/([^/]+))", handle(Route::users, [this](const auto& req, auto& res) {
                check_id("user id", req.matches[1]);
                send_json(res, 200, service.put_user(req.matches[1], parse_json_body(req.body)));
              }));
    http.route("POST", R"(/v1/users/([^/]+)/history)", handle(Route::user_history, [this](const auto& req, auto& res) {
                const std::string auth = req.header("Authorization");
                const std::string bearer = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
                send_json(res, 200, service.record_history(req.matches[1], parse_json_body(req.body), bearer));
              }));
    http.route("POST", "/v1/events", handle(Route::events, [this](const auto& req, auto& res) {
                send_json(res, 200, service.record_events(req.body));  // counts a refusal by reason
              }));
    http.route("GET", "/v1/experiments", handle(Route::experiments, [this](const auto&, auto& res) {
               send_json(res, 200, service.experiments());
             }));
    http.route("POST", "/v1/admin/reload", handle(Route::admin_reload, [this](const auto& req, auto& res) {
                require_admin(req);
                send_json(res, 200, service.reload());
              }));
    http.route("GET", "/healthz", handle(Route::healthz, [this](const auto&, auto& res) { send_json(res, 200, service.health()); }));
    http.route("GET", "/metrics", handle(Route::metrics, [this](const auto&, auto& res) {
               res.set_content(service.prometheus(), "text/plain; version=0.0.4");
             }));
    // A broken percent-escape ("%zz") would otherwise reach the handlers as a
    // literal id and be served as an unknown user; say what is wrong instead.
    http.set_pre_routing([this](const http::Request& req, http::Response& res) {
      if (!has_malformed_percent_escape(req.target)) return false;
      send_error(res, 400, "malformed percent-encoding in the request target");
      service.http_metrics().observe(Route::unmatched, 400, 0.0);
      return true;
    });
    // Anything no handler answered (unknown path or method, a body over the
    // limit, a malformed request) still gets a JSON reason.
    http.set_error_handler([this](const http::Request& req, http::Response& res) {
      const std::string what = req.method.substr(0, 20) + " " + req.path.substr(0, 200);
      const std::string message =
          res.status == 404   ? "no such endpoint: " + what
          : res.status == 405 ? "method not allowed: " + what
          : res.status == 413 ? "request body larger than " + std::to_string(options.max_body_bytes) + " bytes"
          : res.status == 500 ? std::string("internal error")
                              : "malformed HTTP request (headers, Content-Length)";
      send_error(res, res.status, message);
      service.http_metrics().observe(Route::unmatched, res.status, 0.0);
    });
  }

  void poll_loop() {
    std::unique_lock<std::mutex> lock(stop_mutex);
    const auto period = std::chrono::duration<double>(options.poll_seconds);
    while (!stop_signal.wait_for(lock, period, [this] { return stopping; })) {
      lock.unlock();
      try {
        if (service.reload()["swapped"].get<bool>())
          spdlog::info("deployment changed: now serving {}", service.models().current()->plan.to_json().dump());
      } catch (const std::exception& e) {
        spdlog::warn("registry poll failed (still serving the loaded models): {}", e.what());
      }
      lock.lock();
    }
  }
};

RecommendationServer::RecommendationServer(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {
  impl_->routes();
}

RecommendationServer::~RecommendationServer() { stop(); }

int RecommendationServer::start() {
  Impl& s = *impl_;
  s.port = s.http.start();
  s.started = true;
  if (s.options.poll_seconds > 0) s.poller = std::thread([&s] { s.poll_loop(); });
  return s.port;
}

void RecommendationServer::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.stop_mutex);
    s.stopping = true;
  }
  s.stop_signal.notify_all();
  if (s.started) s.http.stop();
  if (s.poller.joinable()) s.poller.join();
}

void RecommendationServer::wait() {
  Impl& s = *impl_;
  std::unique_lock<std::mutex> lock(s.stop_mutex);
  s.stop_signal.wait(lock, [&s] { return s.stopping; });
}

int RecommendationServer::port() const { return impl_->port; }
RecommendationService& RecommendationServer::service() { return impl_->service; }

}  // namespace hybridrec::serve
