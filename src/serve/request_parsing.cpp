#include "serve/request_parsing.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "serve/request_error.h"

namespace hybridrec::serve {

namespace {

RequestError bad(const std::string& message) { return RequestError(400, message); }

std::string printable(const std::string& value) {
  std::string out;
  for (unsigned char c : value.substr(0, 64)) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return value.size() > 64 ? out + "..." : out;
}

bool parse_bool(const std::string& text, bool& out) {
  if (text == "true" || text == "1") return out = true, true;
  if (text == "false" || text == "0") return out = false, true;
  return false;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

void check_id(const std::string& what, const std::string& id) {
  if (id.empty()) throw bad(what + " must not be empty");
  if (id.size() > kMaxIdBytes)
    throw bad(what + " is " + std::to_string(id.size()) + " bytes long (at most " + std::to_string(kMaxIdBytes) + ")");
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f) throw bad(what + " '" + printable(id) + "' contains a control character");
}

RecommendQuery parse_recommend_query(const std::string& user_id, const QueryParams& params) {
  check_id("user id", user_id);
  RecommendQuery q;
  q.user_id = user_id;
  std::map<std::string, int> seen;
  for (const auto& [name, value] : params) {
    if (++seen[name] > 1) throw bad("parameter '" + printable(name) + "' given more than once");
    if (name == "k") {
      long long k = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), k);
      if (ec != std::errc() || end != value.data() + value.size())
        throw bad("parameter 'k' must be an integer, got '" + printable(value) + "'");
      if (k < 1 || k > static_cast<long long>(kMaxK))
        throw bad("parameter 'k' must be in [1, " + std::to_string(kMaxK) + "], got " + std::to_string(k));
      q.k = static_cast<std::size_t>(k);
    } else if (name == "exclude_seen") {
      if (!parse_bool(value, q.exclude_seen))
        throw bad("parameter 'exclude_seen' must be true, false, 1 or 0, got '" + printable(value) + "'");
    } else if (name == "diversity") {
      char* end = nullptr;
      const double d = value.empty() ? NAN : std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(d) || d < 0 || d > 1)
        throw bad("parameter 'diversity' must be a number in [0, 1], got '" + printable(value) + "'");
      q.diversity = d;
    } else if (name == "category") {
      check_id("parameter 'category'", value);
      q.category = value;
    } else if (name.rfind("attr.", 0) == 0 && name.size() > 5 && name.size() <= 69) {
      check_id("parameter '" + printable(name) + "'", value);
      q.attributes[name.substr(5)] = value;
    } else {
      throw bad("unknown parameter '" + printable(name) +
                "' (accepted: k, exclude_seen, diversity, category, attr.NAME)");
    }
  }
  return q;
}

nlohmann::json parse_json_body(const std::string& body) {
  if (body.empty()) throw bad("request body is empty; expected JSON");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw bad(std::string("request body is not valid JSON: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    // Valid syntax the parser still cannot hold, e.g. a number like 1e999 that
    // overflows a double: the client's mistake (400), not a server error.
    throw bad(std::string("request body cannot be read as JSON: ") + e.what());
  }
}

RawAttributes parse_attributes(const nlohmann::json& body, const std::vector<std::string>& known) {
  if (!body.is_object()) throw bad("expected a JSON object of attributes, e.g. {\"attributes\": {\"age_group\": \"25-34\"}}");
  const nlohmann::json& attrs = body.contains("attributes") ? body["attributes"] : body;
  if (!attrs.is_object()) throw bad("field 'attributes' must be an object of name: value");
  if (attrs.size() > 64) throw bad("at most 64 attributes, got " + std::to_string(attrs.size()));
  RawAttributes out;
  for (const auto& [name, value] : attrs.items()) {
    check_id("attribute name", name);
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end())
      throw bad("unknown attribute '" + printable(name) + "' (the champion knows: " + join(known) + ")");
    if (value.is_string()) out[name] = value.get<std::string>();
    else if (value.is_number()) out[name] = value.dump();
    else throw bad("attribute '" + printable(name) + "' must be a string or a number");
    check_id("attribute '" + printable(name) + "'", out[name]);
  }
  return out;
}

}  // namespace hybridrec::serve
