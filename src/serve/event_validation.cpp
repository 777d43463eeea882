#include "serve/event_validation.h"

#include <cmath>

#include "serve/request_error.h"
#include "serve/request_parsing.h"

namespace hybridrec::serve {

std::int64_t event_timestamp(const nlohmann::json& e, std::int64_t now, const std::string& where) {
  if (!e.contains("timestamp")) return now;
  const auto& t = e["timestamp"];
  if (!t.is_number() || !std::isfinite(t.get<double>()) || t.get<double>() < 0 || t.get<double>() > 1e11)
    throw RequestError(400, where + "field 'timestamp' must be unix seconds (a number >= 0), got " + t.dump().substr(0, 40));
  return static_cast<std::int64_t>(t.get<double>());
}

ValidatedEvent validate_event(const nlohmann::json& e, const RequestSigner& signer, std::int64_t now,
                              std::int64_t max_age_seconds, const std::string& where) {
  if (!e.is_object()) throw RequestError(400, where + "an event must be a JSON object");
  if (!e.contains("type") || !e["type"].is_string())
    throw RequestError(400, where + "field 'type' is required (impression, click, add_to_cart, purchase)");
  const auto type = parse_feedback_type(e["type"].get<std::string>());
  if (!type)
    throw RequestError(400, where + "field 'type': unknown event '" + e["type"].get<std::string>().substr(0, 40) +
                                "' (expected impression, click, add_to_cart, purchase)");
  if (!e.contains("request_id") || !e["request_id"].is_string())
    throw RequestError(400, where + "field 'request_id' is required (from the recommendation response); a shop "
                                    "backend sends events without one to POST /v1/users/{id}/history");
  for (const char* field : {"user_id", "item_id"})
    if (e.contains(field)) {
      if (!e[field].is_string()) throw RequestError(400, where + "field '" + field + "' must be a string");
      check_id(where + "field '" + field + "'", e[field].get<std::string>());
    }
  ValidatedEvent out;
  out.type = *type;
  const std::string request_id = e["request_id"].get<std::string>();
  try {
    out.issued = signer.verify(request_id, now, max_age_seconds);
  } catch (const EventRefused& refused) {
    throw EventRefused(refused.status(), refused.reason(), where + refused.what());
  }
  // The id names the user it was issued to; an event naming another is refused,
  // one naming none is that user's.
  if (e.contains("user_id") && e["user_id"].get<std::string>() != out.issued.user_id)
    throw EventRefused(400, "wrong_user",
                       where + "field 'user_id': request_id was issued to another user than '" +
                           e["user_id"].get<std::string>().substr(0, 80) + "'");
  // An impression may name the whole response; every other event names the item
  // acted on, which must have been in that response.
  if (!e.contains("item_id") && *type != FeedbackType::impression)
    throw EventRefused(400, "missing_item", where + "field 'item_id' is required for a " + to_string(*type));
  out.record = {{"type", to_string(*type)}, {"request_id", request_id}, {"model_id", out.issued.model_id},
                {"user_id", out.issued.user_id}};
  if (e.contains("item_id")) {
    const std::string item = e["item_id"].get<std::string>();
    if (!signer.in_response(out.issued, item))
      throw EventRefused(400, "item_not_in_response",
                         where + "field 'item_id': item '" + item.substr(0, 80) + "' was not in the response of this request_id");
    out.record["item_id"] = item;
  }
  out.record["timestamp"] = event_timestamp(e, now, where);
  return out;
}

}  // namespace hybridrec::serve
