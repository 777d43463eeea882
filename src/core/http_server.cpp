#include "core/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <thread>

#include "core/error.h"

namespace hybridrec::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    params.emplace(percent_decode(pair.substr(0, eq), true),
                   eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true));
  }
  return params;
}

// What libmicrohttpd keeps for one request between its calls of the handler:
// created from the raw request target (before the library unescapes it), the
// body gathered chunk by chunk.
struct PendingRequest {
  Request request;
  bool headers_seen = false;
  bool body_too_large = false;
};

struct Route {
  std::string method;
  std::regex pattern;
  Handler handler;
};

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

RequestTarget split_request_target(std::string_view target) {
  RequestTarget out;
  const auto query = target.find('?');
  out.path = percent_decode(target.substr(0, query), false);
  if (query != std::string_view::npos) out.params = parse_query(target.substr(query + 1));
  return out;
}

std::string Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

struct Server::Impl {
  ServerOptions options;
  std::vector<Route> routes;
  std::function<bool(const Request&, Response&)> pre_routing;
  Handler error_handler;
  MHD_Daemon* daemon = nullptr;

  void finish(Request& request, Response& response) const {
    if (error_handler) {
      try {
        error_handler(request, response);
      } catch (const std::exception& e) {
        spdlog::error("http error handler failed: {}", e.what());
      }
    }
    if (response.body.empty()) response.set_content("HTTP " + std::to_string(response.status) + "\n", "text/plain");
  }

  Response dispatch(Request& request) const {
    Response response;
    try {
      if (pre_routing && pre_routing(request, response)) return response;
      bool path_known = false;
      std::string allowed;
      for (const auto& route : routes) {
        std::smatch match;
        if (!std::regex_match(request.path, match, route.pattern)) continue;
        path_known = true;
        if (route.method != request.method) {
          allowed += (allowed.empty() ? "" : ", ") + route.method;
          continue;
        }
        request.matches.assign(match.begin(), match.end());
        route.handler(request, response);
        return response;
      }
      response.status = path_known ? 405 : 404;
      if (path_known) response.headers.emplace_back("Allow", allowed);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", request.method, request.path.substr(0, 200), e.what());
      response = Response{};
      response.status = 500;
    }
    finish(request, response);
    return response;
  }

  static MHD_Result send(MHD_Connection* connection, const Response& response) {
    MHD_Response* reply = MHD_create_response_from_buffer(response.body.size(), const_cast<char*>(response.body.data()),
                                                          MHD_RESPMEM_MUST_COPY);
    if (reply == nullptr) return MHD_NO;
    MHD_add_response_header(reply, "Content-Type", response.content_type.c_str());
    for (const auto& [key, value] : response.headers) MHD_add_response_header(reply, key.c_str(), value.c_str());
    const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
    MHD_destroy_response(reply);
    return queued;
  }

  MHD_Result refuse(MHD_Connection* connection, Request& request, int status) const {
    Response response;
    response.status = status;
    finish(request, response);
    return send(connection, response);
  }

  static MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
    static_cast<Request*>(cls)->headers.emplace_back(key ? key : "", value ? value : "");
    return MHD_YES;
  }

  // A request whose Content-Length headers disagree could be read two ways by
  // two parsers on its path (request smuggling): refuse it.
  static bool conflicting_lengths(const Request& request) {
    std::string first;
    for (const auto& [key, value] : request.headers) {
      if (!iequals(key, "Content-Length")) continue;
      if (first.empty()) first = value;
      else if (value != first) return true;
    }
    return false;
  }

  MHD_Result on_request(MHD_Connection* connection, const char* url, const char* method, const char* upload_data,
                        std::size_t* upload_size, void** context) {
    auto* pending = static_cast<PendingRequest*>(*context);
    if (pending == nullptr) {  // no URI callback ran (should not happen): fall back to the unescaped url
      pending = new PendingRequest;
      pending->request.target = url ? url : "";
      *context = pending;
    }
    Request& request = pending->request;
    if (!pending->headers_seen) {
      pending->headers_seen = true;
      request.method = method ? method : "";
      RequestTarget target = split_request_target(request.target);
      request.path = std::move(target.path);
      request.params = std::move(target.params);
      MHD_get_connection_values(connection, MHD_HEADER_KIND, &Impl::collect_header, &request);
      if (conflicting_lengths(request)) return refuse(connection, request, 400);
      const std::string length = request.header("Content-Length");
      if (!length.empty()) {
        char* end = nullptr;
        const unsigned long long declared = std::strtoull(length.c_str(), &end, 10);
        if (end != length.c_str() + length.size()) return refuse(connection, request, 400);
        if (declared > options.max_body_bytes) return refuse(connection, request, 413);
      }
      return MHD_YES;  // the body (if any) arrives in the next calls
    }
    if (*upload_size > 0) {
      if (request.body.size() + *upload_size > options.max_body_bytes) pending->body_too_large = true;
      else request.body.append(upload_data, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    if (pending->body_too_large) return refuse(connection, request, 413);
    return send(connection, dispatch(request));
  }

  static MHD_Result access_handler(void* cls, MHD_Connection* connection, const char* url, const char* method,
                                   const char*, const char* upload_data, std::size_t* upload_size, void** context) {
    return static_cast<Impl*>(cls)->on_request(connection, url, method, upload_data, upload_size, context);
  }

  static void* remember_target(void*, const char* uri, MHD_Connection*) {
    auto* pending = new PendingRequest;
    pending->request.target = uri ? uri : "";
    return pending;
  }

  static void forget_request(void*, MHD_Connection*, void** context, MHD_RequestTerminationCode) {
    delete static_cast<PendingRequest*>(*context);
    *context = nullptr;
  }

  static void log_library_message(void*, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    spdlog::debug("http: {}", line);
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }

Server::~Server() { stop(); }

void Server::route(std::string method, const std::string& path_pattern, Handler handler) {
  impl_->routes.push_back({std::move(method), std::regex(path_pattern), std::move(handler)});
}

void Server::set_pre_routing(std::function<bool(const Request&, Response&)> check) { impl_->pre_routing = std::move(check); }

void Server::set_error_handler(Handler handler) { impl_->error_handler = std::move(handler); }

int Server::start() {
  Impl& s = *impl_;
  const ServerOptions& o = s.options;
  const std::string where = o.host + ":" + std::to_string(o.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &found) != 0 || found == nullptr)
    throw Error("cannot listen on " + where + ": not an address of this machine");
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  const bool ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);

  const unsigned workers =
      o.worker_threads > 0 ? static_cast<unsigned>(o.worker_threads) : std::max(2u, std::thread::hardware_concurrency());
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (ipv6) flags |= MHD_USE_IPv6;
  s.daemon = MHD_start_daemon(
      flags, static_cast<std::uint16_t>(o.port), nullptr, nullptr, &Impl::access_handler, &s,
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
      MHD_OPTION_THREAD_POOL_SIZE, workers,
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(o.max_connections),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(o.idle_timeout_seconds),
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
      MHD_OPTION_URI_LOG_CALLBACK, &Impl::remember_target, nullptr,
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::forget_request, nullptr,
      MHD_OPTION_EXTERNAL_LOGGER, &Impl::log_library_message, nullptr,
      MHD_OPTION_END);
  if (s.daemon == nullptr) throw Error("cannot listen on " + where + " (address in use?)");
  const MHD_DaemonInfo* info = MHD_get_daemon_info(s.daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info != nullptr && info->port != 0 ? info->port : o.port;
}

void Server::stop() {
  if (impl_ && impl_->daemon != nullptr) {
    MHD_stop_daemon(impl_->daemon);
    impl_->daemon = nullptr;
  }
}

bool Server::running() const { return impl_->daemon != nullptr; }

}  // namespace hybridrec::http
