#pragma once
// One feedback event of POST /v1/events checked against its signed request id,
// without the server around it (so a fuzz target and a unit test reach it):
// its type, fields, id, user and item. What needs the loaded models (is the item
// still in a served catalogue?) is checked by the service afterwards.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "serve/online_metrics.h"
#include "serve/request_signing.h"

namespace hybridrec::serve {

struct ValidatedEvent {
  FeedbackType type = FeedbackType::impression;
  IssuedRequest issued;
  nlohmann::json record;  // the log line, less received_at
};

// `where` prefixes messages ("event 3: " in a batch). Throws RequestError for a
// malformed event and EventRefused (with its reason) for one the id does not
// back: see RequestSigner::verify, and wrong_user, missing_item, item_not_in_response.
ValidatedEvent validate_event(const nlohmann::json& event, const RequestSigner& signer, std::int64_t now,
                              std::int64_t max_age_seconds, const std::string& where);

// An event's optional "timestamp" (unix seconds, 0 to 1e11) or `now`.
std::int64_t event_timestamp(const nlohmann::json& event, std::int64_t now, const std::string& where);

}  // namespace hybridrec::serve
