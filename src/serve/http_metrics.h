#pragma once
// The server's own numbers in Prometheus' text exposition format (GET /metrics):
// requests by route and status code, a latency histogram per route, errors
// (4xx/5xx), recommendations by model and serving path, and the loaded models.
// Routes are a fixed set, never raw paths, so label cardinality stays bounded
// whatever clients send.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace hybridrec::serve {

enum class Route { recommendations, users, user_history, events, experiments, healthz, metrics, admin_reload, unmatched };
inline constexpr std::size_t kRouteCount = 9;
const char* route_name(Route route);

// The reasons an event is refused, each a label of hybridrec_events_refused_total
// (listed up front so every one is exported, at 0 until it happens).
inline constexpr std::array<const char*, 9> kEventRefusalReasons{
    "invalid_event",  "malformed_request_id", "bad_signature", "expired",    "issued_in_future",
    "wrong_user",     "missing_item",         "item_not_in_response",         "unknown_item"};

class HttpMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                   0.05,   0.1,   0.25,  0.5,   1.0,  2.5};
  void observe(Route route, int status, double seconds);
  void count_recommendation(const std::string& model_id, const std::string& role, const std::string& served_by);
  // A POST /v1/events refused (issue #17), by one of kEventRefusalReasons.
  void count_refused_event(const std::string& reason);
  // Appends the request/latency/error/recommendation families.
  void render(std::string& out) const;

 private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_micros{0};
  };
  std::array<Histogram, kRouteCount> latency_;
  mutable std::mutex mutex_;
  std::map<std::pair<Route, int>, std::uint64_t> requests_;
  std::map<std::array<std::string, 3>, std::uint64_t> recommendations_;
  std::map<std::string, std::uint64_t> refused_events_;
};

}  // namespace hybridrec::serve
