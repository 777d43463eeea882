#pragma once
// Turns what a client sent into typed values, or a RequestError (400) that says
// exactly which parameter or field was wrong and what is accepted. Nothing a
// client sends may crash the server or reach a model unchecked.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "data/features.h"
#include "serve/served_model.h"

namespace hybridrec::serve {

inline constexpr std::size_t kMaxK = 1000;
inline constexpr std::size_t kMaxIdBytes = 256;

using QueryParams = std::multimap<std::string, std::string>;  // httplib::Params

// True when a '%' in the raw request target is not followed by two hex digits
// (RFC 3986, section 2.1); the server answers 400 instead of routing it.
bool has_malformed_percent_escape(const std::string& target);
// A user or item id from a path or a body: 1..256 bytes, no control characters.
void check_id(const std::string& what, const std::string& id);
// GET /v1/recommendations/{user}: k (1..1000, default 10), exclude_seen (true|false|1|0),
// diversity ([0, 1]), category, attr.NAME=value (attributes of a new user).
RecommendQuery parse_recommend_query(const std::string& user_id, const QueryParams& params);
// A JSON body; throws RequestError naming the parse error's position.
nlohmann::json parse_json_body(const std::string& body);
// {"attributes": {"age_group": "25-34", ...}} or the attributes object itself;
// values are strings or numbers. known (if not empty) lists the accepted names.
RawAttributes parse_attributes(const nlohmann::json& body, const std::vector<std::string>& known);

}  // namespace hybridrec::serve
