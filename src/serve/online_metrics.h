#pragma once
// Online metrics per model version from feedback events, and the champion vs
// challenger significance test. A recommendation response is the unit: it counts
// as impressed once any event names its request_id (a click implies it was
// shown), clicked once a click names it, converted once a purchase names it. So
// CTR and conversion rate are proportions of responses, always in [0, 1], and
// repeated clicks on one response do not inflate them.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace hybridrec::serve {

enum class FeedbackType { impression, click, add_to_cart, purchase };
std::optional<FeedbackType> parse_feedback_type(const std::string& name);
const char* to_string(FeedbackType type);

struct ModelCounters {
  std::uint64_t impressions = 0, clicks = 0, add_to_carts = 0, conversions = 0;  // distinct responses
  std::uint64_t events = 0;                                                      // every event received
  double ctr() const { return impressions ? static_cast<double>(clicks) / impressions : 0.0; }
  double conversion_rate() const { return impressions ? static_cast<double>(conversions) / impressions : 0.0; }
};

// Two-proportion z-test (pooled), two-sided.
struct ProportionTest {
  double p_a = 0, p_b = 0, z = 0, p_value = 1;
  double relative_lift = 0;  // (p_b - p_a) / p_a, 0 when p_a is 0
  bool significant = false;  // p_value < alpha
};
ProportionTest two_proportion_z_test(std::uint64_t successes_a, std::uint64_t trials_a, std::uint64_t successes_b,
                                     std::uint64_t trials_b, double alpha = 0.05);

class OnlineMetrics {
 public:
  void record(const std::string& model_id, const std::string& request_id, FeedbackType type);
  // Replays an event log written by the server (serve/event_log.h records).
  // Returns the number of lines skipped as torn or invalid.
  std::size_t replay(const std::filesystem::path& events_file);

  ModelCounters counters(const std::string& model_id) const;
  bool knows(const std::string& model_id) const;
  std::map<std::string, ModelCounters> all() const;
  // {"a": id, "b": id, "counters": {...}, "ctr": test, "conversion": test}
  nlohmann::json compare(const std::string& model_a, const std::string& model_b) const;

 private:
  struct PerModel {
    ModelCounters counters;
    std::unordered_set<std::string> impressed, clicked, carted, converted;
  };
  mutable std::mutex mutex_;
  std::map<std::string, PerModel> models_;
};

nlohmann::json to_json(const ModelCounters& c);
nlohmann::json to_json(const ProportionTest& t);

}  // namespace hybridrec::serve
