#include "serve/online_metrics.h"

#include <cmath>

#include "serve/durable_log.h"

namespace hybridrec::serve {

std::optional<FeedbackType> parse_feedback_type(const std::string& name) {
  if (name == "impression") return FeedbackType::impression;
  if (name == "click") return FeedbackType::click;
  if (name == "add_to_cart") return FeedbackType::add_to_cart;
  if (name == "purchase") return FeedbackType::purchase;
  return std::nullopt;
}

const char* to_string(FeedbackType type) {
  switch (type) {
    case FeedbackType::impression: return "impression";
    case FeedbackType::click: return "click";
    case FeedbackType::add_to_cart: return "add_to_cart";
    case FeedbackType::purchase: return "purchase";
  }
  return "?";
}

ProportionTest two_proportion_z_test(std::uint64_t sa, std::uint64_t na, std::uint64_t sb, std::uint64_t nb,
                                     double alpha) {
  ProportionTest t;
  if (na == 0 || nb == 0) return t;
  t.p_a = static_cast<double>(sa) / static_cast<double>(na);
  t.p_b = static_cast<double>(sb) / static_cast<double>(nb);
  t.relative_lift = t.p_a > 0 ? (t.p_b - t.p_a) / t.p_a : 0.0;
  const double pooled = static_cast<double>(sa + sb) / static_cast<double>(na + nb);
  const double se = std::sqrt(pooled * (1 - pooled) * (1.0 / static_cast<double>(na) + 1.0 / static_cast<double>(nb)));
  if (se <= 0) return t;
  t.z = (t.p_b - t.p_a) / se;
  t.p_value = std::erfc(std::fabs(t.z) / std::sqrt(2.0));
  t.significant = t.p_value < alpha;
  return t;
}

void OnlineMetrics::record(const std::string& model_id, const std::string& request_id, FeedbackType type) {
  std::lock_guard<std::mutex> lock(mutex_);
  PerModel& m = models_[model_id];
  ++m.counters.events;
  if (m.impressed.insert(request_id).second) ++m.counters.impressions;
  if (type == FeedbackType::click && m.clicked.insert(request_id).second) ++m.counters.clicks;
  if (type == FeedbackType::add_to_cart && m.carted.insert(request_id).second) ++m.counters.add_to_carts;
  if (type == FeedbackType::purchase && m.converted.insert(request_id).second) ++m.counters.conversions;
}

std::size_t OnlineMetrics::replay(const std::filesystem::path& events_file) {
  std::size_t invalid = 0;
  const std::size_t torn = DurableLog::read(events_file, [&](const nlohmann::json& e) {
    if (e.value("source", "") == "history") return;  // a user's history sent by the shop, not feedback on a response
    auto type = parse_feedback_type(e.value("type", ""));
    const std::string model = e.value("model_id", ""), request = e.value("request_id", "");
    if (!type || model.empty() || request.empty()) {
      ++invalid;
      return;
    }
    record(model, request, *type);
  });
  return torn + invalid;
}

ModelCounters OnlineMetrics::counters(const std::string& model_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = models_.find(model_id);
  return it == models_.end() ? ModelCounters{} : it->second.counters;
}

bool OnlineMetrics::knows(const std::string& model_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return models_.count(model_id) > 0;
}

std::map<std::string, ModelCounters> OnlineMetrics::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, ModelCounters> out;
  for (const auto& [id, m] : models_) out[id] = m.counters;
  return out;
}

nlohmann::json to_json(const ModelCounters& c) {
  return {{"impressions", c.impressions}, {"clicks", c.clicks},         {"add_to_carts", c.add_to_carts},
          {"conversions", c.conversions}, {"events", c.events},         {"ctr", c.ctr()},
          {"conversion_rate", c.conversion_rate()}};
}

nlohmann::json to_json(const ProportionTest& t) {
  return {{"a", t.p_a}, {"b", t.p_b}, {"z", t.z}, {"p_value", t.p_value}, {"relative_lift", t.relative_lift},
          {"significant_at_0.05", t.significant}};
}

nlohmann::json OnlineMetrics::compare(const std::string& a, const std::string& b) const {
  const ModelCounters ca = counters(a), cb = counters(b);
  return {{"a", a},
          {"b", b},
          {"counters", {{a, to_json(ca)}, {b, to_json(cb)}}},
          {"ctr", to_json(two_proportion_z_test(ca.clicks, ca.impressions, cb.clicks, cb.impressions))},
          {"conversion", to_json(two_proportion_z_test(ca.conversions, ca.impressions, cb.conversions, cb.impressions))}};
}

}  // namespace hybridrec::serve
