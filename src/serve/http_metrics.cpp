#include "serve/http_metrics.h"

#include <fmt/format.h>

namespace hybridrec::serve {

const char* route_name(Route route) {
  switch (route) {
    case Route::recommendations: return "recommendations";
    case Route::users: return "users";
    case Route::user_history: return "user_history";
    case Route::events: return "events";
    case Route::experiments: return "experiments";
    case Route::healthz: return "healthz";
    case Route::metrics: return "metrics";
    case Route::admin_reload: return "admin_reload";
    case Route::unmatched: return "unmatched";
  }
  return "unmatched";
}

void HttpMetrics::observe(Route route, int status, double seconds) {
  Histogram& h = latency_[static_cast<std::size_t>(route)];
  for (std::size_t b = 0; b < kBuckets.size(); ++b)
    if (seconds <= kBuckets[b]) h.buckets[b].fetch_add(1, std::memory_order_relaxed);
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_micros.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
}

void HttpMetrics::count_recommendation(const std::string& model_id, const std::string& role,
                                       const std::string& served_by) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++recommendations_[{model_id, role, served_by}];
}

void HttpMetrics::count_refused_event(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++refused_events_[reason];
}

void HttpMetrics::render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  out += "# HELP hybridrec_http_requests_total HTTP requests by route and status code.\n";
  out += "# TYPE hybridrec_http_requests_total counter\n";
  std::uint64_t client_errors = 0, server_errors = 0;
  for (const auto& [key, n] : requests_) {
    out += fmt::format("hybridrec_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", route_name(key.first),
                       key.second, n);
    if (key.second >= 500) server_errors += n;
    else if (key.second >= 400) client_errors += n;
  }
  out += "# HELP hybridrec_http_errors_total Responses with a 4xx (client) or 5xx (server) status.\n";
  out += "# TYPE hybridrec_http_errors_total counter\n";
  out += fmt::format("hybridrec_http_errors_total{{kind=\"client\"}} {}\n", client_errors);
  out += fmt::format("hybridrec_http_errors_total{{kind=\"server\"}} {}\n", server_errors);
  out += "# HELP hybridrec_http_request_duration_seconds Time from routing to response, by route.\n";
  out += "# TYPE hybridrec_http_request_duration_seconds histogram\n";
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    const Histogram& h = latency_[r];
    const char* name = route_name(static_cast<Route>(r));
    for (std::size_t b = 0; b < kBuckets.size(); ++b)
      out += fmt::format("hybridrec_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", name,
                         kBuckets[b], h.buckets[b].load());
    out += fmt::format("hybridrec_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", name,
                       h.count.load());
    out += fmt::format("hybridrec_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n", name,
                       static_cast<double>(h.sum_micros.load()) / 1e6);
    out += fmt::format("hybridrec_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", name, h.count.load());
  }
  out += "# HELP hybridrec_recommendations_total Recommendation responses by model, role and serving path.\n";
  out += "# TYPE hybridrec_recommendations_total counter\n";
  for (const auto& [key, n] : recommendations_)
    out += fmt::format("hybridrec_recommendations_total{{model_id=\"{}\",role=\"{}\",served_by=\"{}\"}} {}\n", key[0],
                       key[1], key[2], n);
  out += "# HELP hybridrec_events_refused_total Feedback events refused (4xx), by reason.\n";
  out += "# TYPE hybridrec_events_refused_total counter\n";
  std::map<std::string, std::uint64_t> refused(refused_events_);
  for (const char* reason : kEventRefusalReasons) refused.emplace(reason, 0);
  for (const auto& [reason, n] : refused)
    out += fmt::format("hybridrec_events_refused_total{{reason=\"{}\"}} {}\n", reason, n);
}

}  // namespace hybridrec::serve
