#pragma once
// What the HTTP API does, without HTTP: each operation takes validated input (or
// a parsed JSON body) and returns the JSON answer, throwing RequestError for a
// client's mistake. The server (serve/server.h) only routes, times and encodes.
//
// State in the workspace (serving/): users.jsonl (attributes of new users) and
// events.jsonl (feedback and users' online histories), both append-only and
// fsync'ed before a request is answered, replayed on start so online metrics and
// histories survive a restart; history_token (optional, mode 0600);
// request_id_secret (the key that signs request ids, made on first start, mode
// 0600; see serve/request_signing.h); models/ (checked-out registry models and
// their candidate indexes).
#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "serve/durable_log.h"
#include "serve/http_metrics.h"
#include "serve/model_set.h"
#include "serve/online_history.h"
#include "serve/online_metrics.h"
#include "serve/request_parsing.h"
#include "serve/request_signing.h"
#include "serve/user_store.h"
#include "store/workspace.h"

namespace hybridrec::serve {

struct ServiceOptions {
  std::filesystem::path workspace = store::kDefaultWorkspace;
  std::string store_url;               // postgresql://... (default: the workspace's SQLite)
  std::string environment = "production";  // whose deployment records set the traffic split
  ServingOptions serving;
  // Online history (issue #19): events kept per user (0: none, every answer comes
  // from the training data alone - "static" serving).
  std::size_t history_max_events = 200;
  // Bearer token for POST /v1/users/{id}/history; empty: the workspace's
  // serving/history_token file (mode 0600) if present, else the endpoint answers 403.
  std::string history_token;
  // A feedback event is accepted for a request id at most this old (410 after).
  std::int64_t request_id_max_age_seconds = kDefaultRequestIdMaxAgeSeconds;
};

class RecommendationService {
 public:
  explicit RecommendationService(const ServiceOptions& options);

  nlohmann::json recommend(const RecommendQuery& query);
  nlohmann::json put_user(const std::string& user_id, const nlohmann::json& body);
  // POST /v1/events: one event or a list, each naming the request_id of a response
  // this server issued (signed), the same user and an item of that response; the
  // batch is kept whole or refused whole, and a refusal is counted by reason.
  nlohmann::json record_events(const std::string& body);
  nlohmann::json record_events(const nlohmann::json& body);
  // POST /v1/users/{id}/history: a shop backend's events of one user
  // ({"events": [{"item_id", "type", "timestamp"}]} or the list itself), checked
  // whole before any is kept. `bearer` is the request's token.
  nlohmann::json record_history(const std::string& user_id, const nlohmann::json& body, const std::string& bearer);
  nlohmann::json experiments() const;
  nlohmann::json health() const;
  // Re-reads the registry's deployment records now (also called by the poller).
  nlohmann::json reload();
  std::string prometheus() const;

  HttpMetrics& http_metrics() { return http_metrics_; }
  const ModelHub& models() const { return *hub_; }
  const OnlineMetrics& online_metrics() const { return online_; }
  const OnlineHistory& online_history() const { return history_; }

 private:
  nlohmann::json accept_events(const nlohmann::json& body);

  store::Workspace workspace_;
  std::unique_ptr<ModelHub> hub_;
  UserStore users_;
  DurableLog events_;
  OnlineMetrics online_;
  OnlineHistory history_;
  std::string history_token_;
  RequestSigner signer_;
  std::int64_t request_id_max_age_;
  std::size_t replay_skipped_ = 0, history_replayed_ = 0;
  HttpMetrics http_metrics_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace hybridrec::serve
