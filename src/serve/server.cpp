#include "serve/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "serve/request_error.h"

namespace hybridrec::serve {

namespace {

// '%' must be followed by two hex digits (RFC 3986, section 2.1).
bool has_malformed_percent_escape(const std::string& target) {
  for (std::size_t i = 0; i < target.size(); ++i)
    if (target[i] == '%' && (i + 2 >= target.size() || !std::isxdigit(static_cast<unsigned char>(target[i + 1])) ||
                             !std::isxdigit(static_cast<unsigned char>(target[i + 2]))))
      return true;
  return false;
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace invalid UTF-8 rather than throw: ids come from clients.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

}  // namespace

struct RecommendationServer::Impl {
  ServerOptions options;
  RecommendationService service;
  httplib::Server http;
  std::thread listener, poller;
  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopping = false, started = false;
  int port = 0;

  explicit Impl(const ServerOptions& o) : options(o), service(o.service) {}

  using Body = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Times the request, turns exceptions into JSON errors, counts it.
  httplib::Server::Handler handle(Route route, Body body) {
    return [this, route, body = std::move(body)](const httplib::Request& req, httplib::Response& res) {
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

  void require_admin(const httplib::Request& req) const {
    if (options.admin_token.empty())
      throw RequestError(403, "admin endpoints are disabled; start the server with --admin-token");
    std::string given = req.get_header_value("X-Admin-Token");
    const std::string auth = req.get_header_value("Authorization");
    if (given.empty() && auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
    if (given != options.admin_token)
      throw RequestError(401, "missing or wrong admin token (send 'Authorization: Bearer <token>')");
  }

  void routes() {
    http.Get(R"(/v1/recommendations/([^/]+))", handle(Route::recommendations, [this](const auto& req, auto& res) {
               send_json(res, 200, service.recommend(parse_recommend_query(req.matches[1].str(), req.params)));
             }));
    http.Post(R"(/v1/users/([^/]+))", handle(Route::users, [this](const auto& req, auto& res) {
                check_id("user id", req.matches[1].str());
                send_json(res, 200, service.put_user(req.matches[1].str(), parse_json_body(req.body)));
              }));
    http.Post(R"(/v1/users/([^/]+)/history)", handle(Route::user_history, [this](const auto& req, auto& res) {
                const std::string auth = req.get_header_value("Authorization");
                const std::string bearer = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
                send_json(res, 200, service.record_history(req.matches[1].str(), parse_json_body(req.body), bearer));
              }));
    http.Post("/v1/events", handle(Route::events, [this](const auto& req, auto& res) {
                send_json(res, 200, service.record_events(parse_json_body(req.body)));
              }));
    http.Get("/v1/experiments", handle(Route::experiments, [this](const auto&, auto& res) {
               send_json(res, 200, service.experiments());
             }));
    http.Post("/v1/admin/reload", handle(Route::admin_reload, [this](const auto& req, auto& res) {
                require_admin(req);
                send_json(res, 200, service.reload());
              }));
    http.Get("/healthz", handle(Route::healthz, [this](const auto&, auto& res) { send_json(res, 200, service.health()); }));
    http.Get("/metrics", handle(Route::metrics, [this](const auto&, auto& res) {
               res.set_content(service.prometheus(), "text/plain; version=0.0.4");
             }));
    // A broken percent-escape ("%zz") would otherwise reach the handlers as a
    // literal id and be served as an unknown user; say what is wrong instead.
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!has_malformed_percent_escape(req.target)) return httplib::Server::HandlerResponse::Unhandled;
      send_error(res, 400, "malformed percent-encoding in the request target");
      service.http_metrics().observe(Route::unmatched, 400, 0.0);
      return httplib::Server::HandlerResponse::Handled;
    });
    // Anything no handler answered (unknown path or method, a body over the
    // limit, a request line httplib could not parse) still gets a JSON reason.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message = res.status == 404   ? "no such endpoint: " + req.method + " " + req.path.substr(0, 200)
                            : res.status == 413 ? "request body larger than " + std::to_string(options.max_body_bytes) + " bytes"
                                                : "malformed HTTP request (request line, headers, or a POST without Content-Length)";
      send_error(res, res.status, message);
      service.http_metrics().observe(Route::unmatched, res.status, 0.0);
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_error(res, 500, "internal error");
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
  const std::size_t threads = s.options.threads > 0
                                  ? static_cast<std::size_t>(s.options.threads)
                                  : std::max<std::size_t>(32, 8 * std::max(1u, std::thread::hardware_concurrency()));
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // A keep-alive connection holds a request thread in httplib; let one serve many
  // requests (the default closes it after 5) but time idle ones out quickly.
  s.http.set_keep_alive_max_count(100000);
  // Headers and body go out in separate writes; with Nagle on, the body waits for
  // the client's delayed ACK (~40 ms) on every keep-alive request.
  s.http.set_tcp_nodelay(true);
  s.http.set_keep_alive_timeout(2);
  s.http.set_read_timeout(5, 0);
  s.http.set_write_timeout(5, 0);
  s.http.set_payload_max_length(s.options.max_body_bytes);
  if (s.options.port == 0) {
    s.port = s.http.bind_to_any_port(s.options.host);
  } else {
    s.port = s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1;
  }
  if (s.port <= 0)
    throw Error("cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) + " (address in use?)");
  s.started = true;
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  if (s.options.poll_seconds > 0) s.poller = std::thread([&s] { s.poll_loop(); });
  for (int i = 0; i < 2000 && !s.http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
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
  if (s.listener.joinable()) s.listener.join();
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
