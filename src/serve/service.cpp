#include "serve/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>

#include "core/atomic_file.h"
#include "serve/event_validation.h"
#include "serve/request_error.h"

namespace hybridrec::serve {

namespace {
constexpr std::size_t kMaxEventsPerRequest = 1000;

std::filesystem::path serving_dir(const ServiceOptions& o) { return o.workspace / "serving"; }

// Opens the workspace after removing the temporaries a killed server left in
// serving/ (a half-written checkout, index or secret), before anything there is read.
store::Workspace open_cleaned(const ServiceOptions& o) {
  if (const std::size_t stale = remove_stale_temp_files(serving_dir(o)); stale > 0)
    spdlog::info("removed {} temporary file(s) left in {} by an interrupted run", stale, serving_dir(o).string());
  return store::Workspace::open(o.workspace, o.store_url);
}

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

// The user attribute names the champion's feature transform knows (empty: accept any).
std::vector<std::string> known_user_attributes(const ServedModel& model) {
  std::vector<std::string> names;
  if (!model.bundle().feature_builder) return names;
  const auto stats = model.bundle().feature_builder->to_json();
  for (const auto& a : stats.at("users").at("attributes")) names.push_back(a.value("name", ""));
  return names;
}

// The history endpoint's token: the option, else serving/history_token, which
// must be readable by its owner only (like an ssh key).
std::string history_token(const ServiceOptions& o) {
  if (!o.history_token.empty()) return o.history_token;
  const auto file = serving_dir(o) / "history_token";
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(status)) return "";
  using std::filesystem::perms;
  if ((status.permissions() & (perms::group_all | perms::others_all)) != perms::none)
    throw Error(file.string() + " is readable by others: make it mode 0600 (chmod 600) or pass --history-token");
  std::ifstream in(file);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw Error(file.string() + " is empty");
  return token;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


// 400 unless a served model knows the item: an event for an item no model can
// score would sit in the history forever.
void check_known_item(const ModelSet& set, const std::string& item_id, const std::string& where) {
  if (set.champion->bundle().items.find(item_id)) return;
  if (set.challenger && set.challenger->bundle().items.find(item_id)) return;
  throw RequestError(400, where + "field 'item_id': unknown item '" + item_id.substr(0, 80) + "' (not in the served models' catalogue)");
}

nlohmann::json model_json(const ServedModel& m, const char* role) {
  return {{"model_id", m.model_id()},
          {"version", m.version()},
          {"role", role},
          {"type", m.bundle().type()},
          {"items", m.bundle().items.size()},
          {"users", m.bundle().users.size()},
          {"candidate_stage", m.approximate() ? "approximate" : "exact"},
          {"fold_in", m.fold_in_kind()},
          {"fold_in_limits", m.fold_in_limits()}};
}
}  // namespace

RecommendationService::RecommendationService(const ServiceOptions& options)
    : workspace_(open_cleaned(options)),
      hub_(std::make_unique<ModelHub>(workspace_, options.serving, options.environment)),
      users_(serving_dir(options) / "users.jsonl"),
      events_(serving_dir(options) / "events.jsonl"),
      history_(options.history_max_events),
      history_token_(history_token(options)),
      signer_(RequestSigner::for_workspace(serving_dir(options))),
      request_id_max_age_(options.request_id_max_age_seconds) {
  if (request_id_max_age_ <= 0) throw Error("request id max age must be positive, got " + std::to_string(request_id_max_age_));
  replay_skipped_ = online_.replay(events_.path());
  history_replayed_ = history_.replay(events_.path());
}

nlohmann::json RecommendationService::recommend(const RecommendQuery& query) {
  const auto set = hub_->current();  // held to the end: a swap cannot pull the model away
  const char* role = "champion";
  const ServedModel& model = set->for_user(query.user_id, &role);
  RecommendQuery q = query;
  if (q.attributes.empty() && !model.bundle().users.find(q.user_id))
    if (auto stored = users_.get(q.user_id)) q.attributes = *stored;
  q.online = history_.get(q.user_id);
  const RecommendAnswer answer = model.recommend(q);
  http_metrics_.count_recommendation(model.model_id(), role, answer.served_by);
  nlohmann::json items = nlohmann::json::array();
  std::vector<std::string> item_ids;
  item_ids.reserve(answer.items.size());
  for (const auto& s : answer.items) {
    item_ids.push_back(model.bundle().items.id(s.item));
    items.push_back({{"item_id", item_ids.back()}, {"score", s.score}});
  }
  return {{"user_id", q.user_id},
          {"request_id", signer_.issue(model.model_id(), q.user_id, item_ids, now_seconds())},
          {"model_id", model.model_id()},
          {"model_version", model.version()},
          {"role", role},
          {"served_by", answer.served_by},
          {"known_user", answer.known_user},
          {"candidate_stage", answer.candidate_stage},
          {"diversity", answer.diversified ? q.diversity : 0.0},
          {"k", q.k},
          {"items", items}};
}

nlohmann::json RecommendationService::put_user(const std::string& user_id, const nlohmann::json& body) {
  check_id("user id", user_id);
  const auto set = hub_->current();
  const RawAttributes attributes = parse_attributes(body, known_user_attributes(*set->champion));
  users_.put(user_id, attributes);
  return {{"user_id", user_id},
          {"attributes", attributes},
          {"known_to_champion", set->champion->bundle().users.find(user_id).has_value()}};
}

nlohmann::json RecommendationService::record_events(const std::string& body) {
  nlohmann::json parsed;
  try {
    parsed = parse_json_body(body);
  } catch (const RequestError&) {
    http_metrics_.count_refused_event("invalid_event");
    throw;
  }
  return record_events(parsed);
}

nlohmann::json RecommendationService::record_events(const nlohmann::json& body) {
  try {
    return accept_events(body);
  } catch (const EventRefused& e) {
    http_metrics_.count_refused_event(e.reason());
    throw;
  } catch (const RequestError&) {
    http_metrics_.count_refused_event("invalid_event");
    throw;
  }
}

nlohmann::json RecommendationService::accept_events(const nlohmann::json& body) {
  const nlohmann::json* list = &body;
  if (body.is_object() && body.contains("events")) list = &body["events"];
  std::vector<nlohmann::json> batch = list->is_array() ? std::vector<nlohmann::json>(list->begin(), list->end())
                                                       : std::vector<nlohmann::json>{*list};
  if (batch.empty()) throw RequestError(400, "no events in the body");
  if (batch.size() > kMaxEventsPerRequest)
    throw RequestError(400, fmt::format("at most {} events per request, got {}", kMaxEventsPerRequest, batch.size()));
  std::vector<nlohmann::json> records;
  std::vector<std::pair<std::string, FeedbackType>> parsed;
  const std::string received = now_iso();
  const std::int64_t now = now_seconds();
  const auto set = hub_->current();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::string where = batch.size() > 1 ? fmt::format("event {}: ", i) : "";
    ValidatedEvent event = validate_event(batch[i], signer_, now, request_id_max_age_, where);
    if (event.record.contains("item_id")) {
      try {
        check_known_item(*set, event.record["item_id"].get<std::string>(), where);
      } catch (const RequestError& unknown) {
        throw EventRefused(400, "unknown_item", unknown.what());
      }
    }
    event.record["received_at"] = received;
    records.push_back(std::move(event.record));
    parsed.emplace_back(event.issued.model_id, event.type);
  }
  events_.append_all(records);  // durable before anything is counted or acknowledged
  for (std::size_t i = 0; i < records.size(); ++i) {
    online_.record(parsed[i].first, records[i]["request_id"].get<std::string>(), parsed[i].second);
    if (auto event = OnlineHistory::from_record(records[i])) history_.add(event->first, event->second);
  }
  return {{"accepted", records.size()}};
}

nlohmann::json RecommendationService::record_history(const std::string& user_id, const nlohmann::json& body,
                                                     const std::string& bearer) {
  if (history_token_.empty())
    throw RequestError(403, "the history endpoint is disabled; start the server with --history-token or a "
                            "serving/history_token file (mode 0600)");
  if (bearer != history_token_)
    throw RequestError(401, "missing or wrong history token (send 'Authorization: Bearer <token>')");
  check_id("user id", user_id);
  if (!history_.enabled()) throw RequestError(409, "online history is off (--history-max-events 0)");
  const nlohmann::json* list = &body;
  if (body.is_object() && body.contains("events")) list = &body["events"];
  if (!list->is_array()) throw RequestError(400, "expected {\"events\": [{\"item_id\", \"type\", \"timestamp\"}, ...]}");
  if (list->empty()) throw RequestError(400, "no events in the body");
  if (list->size() > history_.max_per_user())
    throw RequestError(400, fmt::format("history too long: {} events, at most {} are kept per user (--history-max-events)",
                                        list->size(), history_.max_per_user()));
  const auto set = hub_->current();
  const std::string received = now_iso();
  std::vector<nlohmann::json> records;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& e = (*list)[i];
    const std::string where = fmt::format("event {}: ", i);
    if (!e.is_object()) throw RequestError(400, where + "an event must be a JSON object");
    if (!e.contains("type") || !e["type"].is_string())
      throw RequestError(400, where + "field 'type' is required (click, add_to_cart, purchase)");
    const auto type = parse_feedback_type(e["type"].get<std::string>());
    if (!type || !enters_history(*type))
      throw RequestError(400, where + "field 'type': unknown history event '" + e["type"].get<std::string>().substr(0, 40) +
                                  "' (expected click, add_to_cart, purchase)");
    if (!e.contains("item_id") || !e["item_id"].is_string()) throw RequestError(400, where + "field 'item_id' is required");
    const std::string item = e["item_id"].get<std::string>();
    check_id(where + "field 'item_id'", item);
    check_known_item(*set, item, where);
    for (const auto& [name, value] : e.items())
      if (name != "type" && name != "item_id" && name != "timestamp")
        throw RequestError(400, where + "unknown field '" + name.substr(0, 40) + "' (accepted: type, item_id, timestamp)");
    records.push_back({{"type", to_string(*type)}, {"user_id", user_id}, {"item_id", item},
                       {"timestamp", event_timestamp(e, now_seconds(), where)}, {"source", "history"}, {"received_at", received}});
  }
  events_.append_all(records);  // durable before the history changes
  for (const auto& r : records)
    if (auto event = OnlineHistory::from_record(r)) history_.add(event->first, event->second);
  return {{"user_id", user_id}, {"accepted", records.size()}, {"history_events", history_.get(user_id).events.size()}};
}

nlohmann::json RecommendationService::experiments() const {
  const auto set = hub_->current();
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [id, c] : online_.all()) models[id] = to_json(c);
  nlohmann::json out = {{"plan", set->plan.to_json()}, {"models", models}, {"events_log", events_.path().string()}};
  if (set->challenger) {
    auto test = online_.compare(set->champion->model_id(), set->challenger->model_id());
    out["champion_vs_challenger"] = {{"ctr", test["ctr"]}, {"conversion", test["conversion"]}};
  }
  return out;
}

nlohmann::json RecommendationService::health() const {
  const auto set = hub_->current();
  nlohmann::json loaded = nlohmann::json::array({model_json(*set->champion, "champion")});
  if (set->challenger) loaded.push_back(model_json(*set->challenger, "challenger"));
  const auto load = hub_->load_health();
  return {{"status", load.last_error.empty() ? "ok" : "degraded"},
          {"model_load",
           {{"last_error", load.last_error}, {"failures", load.failures}, {"repaired_serving_copies", load.repaired_copies}}},
          {"uptime_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
          {"plan", set->plan.to_json()},
          {"models", loaded},
          {"stored_users", users_.size()},
          {"online_history",
           {{"max_events_per_user", history_.max_per_user()},
            {"users", history_.users()},
            {"events_replayed_on_start", history_replayed_}}},
          {"event_log_lines_skipped_on_start", replay_skipped_}};
}

nlohmann::json RecommendationService::reload() {
  const bool swapped = hub_->reload();
  return {{"swapped", swapped}, {"plan", hub_->current()->plan.to_json()}};
}

std::string RecommendationService::prometheus() const {
  std::string out;
  http_metrics_.render(out);
  const auto load = hub_->load_health();
  out += "# HELP hybridrec_model_load_failures_total Reloads that failed (the loaded models kept serving).\n";
  out += "# TYPE hybridrec_model_load_failures_total counter\n";
  out += "hybridrec_model_load_failures_total " + std::to_string(load.failures) + "\n";
  out += "# HELP hybridrec_serving_copy_repairs_total Serving copies whose sha256 differed from the registry's, checked out again.\n";
  out += "# TYPE hybridrec_serving_copy_repairs_total counter\n";
  out += "hybridrec_serving_copy_repairs_total " + std::to_string(load.repaired_copies) + "\n";
  const auto set = hub_->current();
  out += "# HELP hybridrec_model_info Models loaded for serving (value 1), by role.\n";
  out += "# TYPE hybridrec_model_info gauge\n";
  out += fmt::format("hybridrec_model_info{{role=\"champion\",model_id=\"{}\",version=\"{}\"}} 1\n",
                     set->champion->model_id(), set->champion->version());
  if (set->challenger)
    out += fmt::format("hybridrec_model_info{{role=\"challenger\",model_id=\"{}\",version=\"{}\"}} 1\n",
                       set->challenger->model_id(), set->challenger->version());
  out += "# HELP hybridrec_challenger_traffic_percent Share of users routed to the challenger.\n";
  out += "# TYPE hybridrec_challenger_traffic_percent gauge\n";
  out += fmt::format("hybridrec_challenger_traffic_percent {}\n", set->challenger ? set->plan.challenger_percent : 0.0);
  out += "# HELP hybridrec_model_swaps_total Model sets swapped in (start and reloads).\n";
  out += "# TYPE hybridrec_model_swaps_total counter\n";
  out += fmt::format("hybridrec_model_swaps_total {}\n", hub_->swaps());
  const auto online = online_.all();
  const std::pair<const char*, std::uint64_t ModelCounters::*> families[] = {
      {"impressions", &ModelCounters::impressions}, {"clicks", &ModelCounters::clicks},
      {"conversions", &ModelCounters::conversions}};
  for (const auto& [name, field] : families) {
    out += fmt::format("# HELP hybridrec_online_{}_total Recommendation responses with a {} event, by model.\n", name,
                       name);
    out += fmt::format("# TYPE hybridrec_online_{}_total counter\n", name);
    for (const auto& [id, c] : online) out += fmt::format("hybridrec_online_{}_total{{model_id=\"{}\"}} {}\n", name, id, c.*field);
  }
  return out;
}

}  // namespace hybridrec::serve
