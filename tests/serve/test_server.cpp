// The real server on a free loopback port: known and unknown users, MMR, the
// traffic split, feedback -> CTR (also across a restart), reload under load,
// malformed requests, admin auth, Prometheus output, the candidate stage.
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <set>
#include <thread>

#include "serve/mmr.h"
#include "serve/request_signing.h"
#include "serve/traffic_split.h"
#include "serve_fixture.h"
#include "store/workspace.h"
#include "test_support.h"

using namespace hybridrec;
using namespace hybridrec::serve;
using namespace hybridrec::serve::testing;

namespace {
std::vector<std::string> ids_of(const nlohmann::json& response) {
  std::vector<std::string> out;
  for (const auto& item : response["items"]) out.push_back(item["item_id"]);
  return out;
}
}  // namespace

TEST(Server, KnownUserGetsTheModelsTopKWithoutItsTrainingItems) {
  const auto ws = copy_workspace("ws");
  RunningServer s(ws);
  const std::string user = user_on(false);
  auto r = s.get_json("/v1/recommendations/" + user + "?k=7");
  EXPECT_EQ(r["served_by"], "model");
  EXPECT_EQ(r["known_user"], true);
  EXPECT_EQ(r["role"], "champion");
  EXPECT_EQ(r["model_id"], "rec-model-v1.0.0");
  EXPECT_EQ(r["model_version"], "v1.0.0");
  // The request id is signed with the workspace's secret and names who answered whom.
  const auto issued = RequestSigner::for_workspace(ws / "serving").verify(r["request_id"].get<std::string>(), std::time(nullptr), 60);
  EXPECT_EQ(issued.model_id, "rec-model-v1.0.0");
  EXPECT_EQ(issued.user_id, user);
  ASSERT_EQ(r["items"].size(), 7u);
  const auto& model = s.server->service().models().current()->champion->bundle();
  const auto& seen = model.seen[*model.users.find(user)];
  float previous = 2.0f;
  std::set<std::string> distinct;
  for (const auto& item : r["items"]) {
    const auto index = *model.items.find(item["item_id"].get<std::string>());
    EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), index));
    EXPECT_LE(item["score"].get<float>(), previous);
    previous = item["score"];
    distinct.insert(item["item_id"]);
  }
  EXPECT_EQ(distinct.size(), 7u);
  // The same answer as the offline path (ModelBundle::recommend) gives.
  auto offline = model.recommend(*model.users.find(user), 7);
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(r["items"][i]["item_id"], model.items.id(offline[i].item));
  // exclude_seen=false may bring training items back, never fewer items.
  EXPECT_EQ(s.get_json("/v1/recommendations/" + user + "?k=7&exclude_seen=false")["items"].size(), 7u);
}

TEST(Server, UnknownUsersGetColdStartFromAttributesOrPopularityNeverAnError) {
  RunningServer s(copy_workspace("ws"));
  const std::string stranger = "brand-new-" + user_on(false);
  auto popular = s.get_json("/v1/recommendations/" + stranger + "?k=5");
  EXPECT_EQ(popular["served_by"], "popularity");
  EXPECT_EQ(popular["known_user"], false);
  EXPECT_EQ(popular["items"].size(), 5u);

  auto from_query = s.get_json("/v1/recommendations/" + stranger + "?k=5&attr.age_group=18-24&attr.segment=premium");
  EXPECT_EQ(from_query["served_by"], "content");

  s.post_json("/v1/users/" + stranger, R"({"attributes": {"age_group": "55+", "location": "rural", "segment": "budget"}})");
  auto stored = s.get_json("/v1/recommendations/" + stranger + "?k=5");
  EXPECT_EQ(stored["served_by"], "content");
  EXPECT_EQ(stored["items"].size(), 5u);

}

TEST(Server, StoredUserAttributesSurviveARestart) {
  const auto ws = copy_workspace("ws");
  const std::string stranger = "restart-" + user_on(false);
  {
    RunningServer s(ws);
    s.post_json("/v1/users/" + stranger, R"({"age_group": "55+", "segment": "budget"})");
  }
  RunningServer s(ws);
  EXPECT_EQ(s.get_json("/v1/recommendations/" + stranger + "?k=3")["served_by"], "content");
  EXPECT_EQ(s.server->service().health()["stored_users"], 1);
}

TEST(Server, DiversityReRanksByMmrAndLowersIntraListSimilarity) {
  RunningServer s(copy_workspace("ws"));
  const auto& model = *s.server->service().models().current()->champion;
  int changed = 0;
  double plain_sim = 0, diverse_sim = 0;
  for (int i = 0; i < 10; ++i) {
    const std::string user = "u" + std::string(6 - std::to_string(i * 13).size(), '0') + std::to_string(i * 13);
    if (assigned_to_challenger(user, 30)) continue;
    auto plain = s.get_json("/v1/recommendations/" + user + "?k=10");
    auto diverse = s.get_json("/v1/recommendations/" + user + "?k=10&diversity=0.8");
    EXPECT_EQ(diverse["diversity"], 0.8);
    changed += ids_of(plain) != ids_of(diverse);
    EXPECT_EQ(plain["items"][0]["item_id"], diverse["items"][0]["item_id"]);  // MMR starts from the best item
    auto to_items = [&](const nlohmann::json& r) {
      std::vector<ScoredItem> out;
      for (const auto& it : r["items"]) out.push_back({*model.bundle().items.find(it["item_id"].get<std::string>()), 0});
      return out;
    };
    plain_sim += intra_list_similarity(to_items(plain), model.catalog().unit_embeddings);
    diverse_sim += intra_list_similarity(to_items(diverse), model.catalog().unit_embeddings);
  }
  EXPECT_GT(changed, 0);
  EXPECT_LT(diverse_sim, plain_sim);
}

TEST(Server, CategoryFilterReturnsOnlyThatCategory) {
  RunningServer s(copy_workspace("ws"));
  const auto& model = *s.server->service().models().current()->champion;
  ASSERT_FALSE(model.catalog().categories.empty());
  const auto& [name, members] = *model.catalog().categories.begin();
  auto r = s.get_json("/v1/recommendations/" + user_on(false) + "?k=5&category=" + name);
  ASSERT_GT(r["items"].size(), 0u);
  for (const auto& it : r["items"]) EXPECT_TRUE(members[*model.bundle().items.find(it["item_id"].get<std::string>())]);
  auto bad = s.get_json("/v1/recommendations/" + user_on(false) + "?category=no-such-thing", 400);
  EXPECT_NE(bad["error"].get<std::string>().find("unknown category"), std::string::npos);
}

TEST(Server, TrafficSplitMatchesTheDeployedShareAndAUserStaysOnOneModel) {
  RunningServer s(copy_workspace("ws"));
  int challenger = 0;
  const int users = 600;
  for (int i = 0; i < users; ++i) {
    auto r = s.get_json("/v1/recommendations/visitor-" + std::to_string(i) + "?k=1");
    challenger += r["role"] == "challenger";
    if (i % 100 == 0) EXPECT_EQ(s.get_json("/v1/recommendations/visitor-" + std::to_string(i) + "?k=1")["role"], r["role"]);
  }
  // 30% of 600: binomial sd ~ 11, so +-6 percentage points is > 3 sd.
  EXPECT_NEAR(100.0 * challenger / users, 30.0, 6.0);
}

TEST(Server, FeedbackEventsUpdateCtrAndSurviveARestart) {
  const auto ws = copy_workspace("ws");
  std::string champion_id;
  {
    RunningServer s(ws);
    // 10 champion responses shown, 4 clicked, 1 bought; 5 challenger responses shown, 1 clicked.
    for (int i = 0; i < 15; ++i) {
      const bool on_challenger = i >= 10;
      auto r = s.get_json("/v1/recommendations/" + user_on(on_challenger) + "?k=3");
      const std::string rid = r["request_id"], item = r["items"][0]["item_id"];
      nlohmann::json events = nlohmann::json::array({{{"type", "impression"}, {"request_id", rid}}});
      if (i < 4 || i == 10) events.push_back({{"type", "click"}, {"request_id", rid}, {"item_id", item}});
      if (i == 0) events.push_back({{"type", "purchase"}, {"request_id", rid}, {"item_id", item}});
      EXPECT_EQ(s.post_json("/v1/events", events.dump())["accepted"], events.size());
    }
    auto e = s.get_json("/v1/experiments");
    const auto& champ = e["models"]["rec-model-v1.0.0"];
    EXPECT_EQ(champ["impressions"], 10);
    EXPECT_EQ(champ["clicks"], 4);
    EXPECT_NEAR(champ["ctr"].get<double>(), 0.4, 1e-12);
    EXPECT_NEAR(champ["conversion_rate"].get<double>(), 0.1, 1e-12);
    EXPECT_NEAR(e["models"]["rec-model-v1.0.1"]["ctr"].get<double>(), 0.2, 1e-12);
    EXPECT_TRUE(e["champion_vs_challenger"]["ctr"].contains("p_value"));
    EXPECT_NE(s.client->Get("/metrics")->body.find("hybridrec_online_clicks_total{model_id=\"rec-model-v1.0.0\"} 4"),
              std::string::npos);
  }
  RunningServer restarted(ws);
  auto e = restarted.get_json("/v1/experiments");
  EXPECT_EQ(e["models"]["rec-model-v1.0.0"]["clicks"], 4);
  EXPECT_EQ(e["models"]["rec-model-v1.0.1"]["impressions"], 5);
}

TEST(Server, ReloadUnderLoadLosesNoRequestAndAppliesTheNewShare) {
  const auto ws = copy_workspace("ws");
  ServerOptions options;
  options.admin_token = "t0ken";
  options.poll_seconds = 0.05;  // the poller races the admin reloads too
  RunningServer s(ws, options);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", s.port);
      for (int i = 0; !done || i < 50; ++i) {
        auto r = c.Get(("/v1/recommendations/load-" + std::to_string(t) + "-" + std::to_string(i % 200) + "?k=5").c_str());
        (r && r->status == 200) ? ++ok : ++failed;
      }
    });
  auto workspace = store::Workspace::open(ws);
  httplib::Client admin("127.0.0.1", s.port);
  httplib::Headers auth{{"Authorization", "Bearer t0ken"}};
  // Bounded waits: a broken server fails the test instead of hanging it.
  auto wait_for_ok = [&](int target) {
    for (int i = 0; i < 4000 && ok < target && failed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  wait_for_ok(100);  // load is running
  for (double share : {60.0, 5.0, 100.0, 45.0}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    workspace.registry().deploy("v1.0.1", "production", share);
    auto r = admin.Post("/v1/admin/reload", auth, "", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(nlohmann::json::parse(r->body)["plan"]["challenger_traffic_percent"], share);
  }
  // A promotion swaps the champion itself while requests run.
  workspace.registry().promote("v1.0.1", true);
  EXPECT_EQ(admin.Post("/v1/admin/reload", auth, "", "application/json")->status, 200);
  const int before_last = ok;
  wait_for_ok(before_last + 100);  // served by the new set
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GE(ok.load(), 300);
  auto health = s.get_json("/healthz");
  EXPECT_EQ(health["plan"]["champion"], "rec-model-v1.0.1");
  EXPECT_TRUE(health["plan"]["challenger"].is_null());
  EXPECT_GE(s.server->service().models().swaps(), 5u);
}

TEST(Server, PollingPicksUpADeploymentWithoutAReloadCall) {
  const auto ws = copy_workspace("ws");
  ServerOptions options;
  options.poll_seconds = 0.05;
  RunningServer s(ws, options);
  store::Workspace::open(ws).registry().deploy("v1.0.1", "production", 80);
  for (int i = 0; i < 100 && s.get_json("/healthz")["plan"]["challenger_traffic_percent"] != 80.0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(s.get_json("/healthz")["plan"]["challenger_traffic_percent"], 80.0);
}

TEST(Server, AdminEndpointsNeedTheToken) {
  const auto ws = copy_workspace("ws");
  {
    RunningServer s(ws);  // no token configured: disabled
    EXPECT_EQ(s.client->Post("/v1/admin/reload", "", "application/json")->status, 403);
  }
  ServerOptions options;
  options.admin_token = "right";
  RunningServer s(ws, options);
  EXPECT_EQ(s.client->Post("/v1/admin/reload", "", "application/json")->status, 401);
  EXPECT_EQ(s.client->Post("/v1/admin/reload", httplib::Headers{{"Authorization", "Bearer wrong"}}, "", "application/json")->status, 401);
  EXPECT_EQ(s.client->Post("/v1/admin/reload", httplib::Headers{{"X-Admin-Token", "right"}}, "", "application/json")->status, 200);
}

TEST(Server, MalformedRequestsAreAll4xxAndTheServerStaysUp) {
  ServerOptions options;
  options.max_body_bytes = 4096;
  RunningServer s(copy_workspace("ws"), options);
  const std::string rid = s.get_json("/v1/recommendations/" + user_on(false))["request_id"];
  struct Case { std::string method, path, body; };
  const std::vector<Case> cases = {
      {"GET", "/v1/recommendations/u000001?k=0", ""},
      {"GET", "/v1/recommendations/u000001?k=-3", ""},
      {"GET", "/v1/recommendations/u000001?k=100000000000000000000", ""},
      {"GET", "/v1/recommendations/u000001?k=", ""},
      {"GET", "/v1/recommendations/u000001?diversity=2", ""},
      {"GET", "/v1/recommendations/u000001?diversity=-0.1", ""},
      {"GET", "/v1/recommendations/u000001?diversity=inf", ""},
      {"GET", "/v1/recommendations/u000001?exclude_seen=yes", ""},
      {"GET", "/v1/recommendations/u000001?category=", ""},
      {"GET", "/v1/recommendations/u000001?bogus=1", ""},
      {"GET", "/v1/recommendations/u000001?k=1&k=2", ""},
      {"GET", "/v1/recommendations/u%00001", ""},
      {"GET", "/v1/recommendations/" + std::string(300, 'a'), ""},
      {"GET", "/v1/recommendations/", ""},
      {"GET", "/v1/recommendations/a/b", ""},
      {"GET", "/v2/whatever", ""},
      {"DELETE", "/v1/events", ""},
      {"POST", "/v1/events", ""},
      {"POST", "/v1/events", "{not json"},
      {"POST", "/v1/events", "[]"},
      {"POST", "/v1/events", "42"},
      {"POST", "/v1/events", R"({"type": "click"})"},
      {"POST", "/v1/events", R"({"type": "like", "request_id": ")" + rid + "\"}"},
      {"POST", "/v1/events", R"({"type": "click", "request_id": 7})"},
      {"POST", "/v1/events", R"({"type": "click", "request_id": "forged"})"},
      {"POST", "/v1/events", R"({"type": "click", "request_id": "rec-model-v9.9.9:0123456789abcdef"})"},
      {"POST", "/v1/events", R"({"type": "click", "request_id": ")" + rid + R"(", "item_id": ["x"]})"},
      {"POST", "/v1/events", std::string(8000, '[')},
      {"POST", "/v1/events", "{\"type\": \"click\", \"request_id\": \"" + std::string(5000, 'x') + "\"}"},
      {"POST", "/v1/users/newbie", "{}x"},
      {"POST", "/v1/users/newbie", R"({"attributes": [1, 2]})"},
      {"POST", "/v1/users/newbie", R"({"attributes": {"age_group": {"nested": 1}}})"},
      {"POST", "/v1/users/newbie", R"({"attributes": {"favourite_colour": "red"}})"},
      {"POST", "/v1/users/newbie", R"("just a string")"},
      {"POST", "/v1/recommendations/u000001", "{}"},
  };
  for (const auto& c : cases) {
    httplib::Result r = c.method == "GET"    ? s.client->Get(c.path.c_str())
                        : c.method == "POST" ? s.client->Post(c.path.c_str(), c.body, "application/json")
                                             : s.client->Delete(c.path.c_str());
    ASSERT_TRUE(r) << c.method << " " << c.path;
    EXPECT_GE(r->status, 400) << c.method << " " << c.path << " " << c.body.substr(0, 80) << " -> " << r->body;
    EXPECT_LT(r->status, 500) << c.method << " " << c.path << " " << c.body.substr(0, 80) << " -> " << r->body;
    auto body = nlohmann::json::parse(r->body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << r->body;
  }
  // Raw bytes httplib's client would never send.
  for (const std::string& raw : {std::string("GARBAGE\r\n\r\n"), std::string("GET\r\n\r\n"),
                                 std::string("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"),
                                 std::string("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{}"),
                                 std::string("GET /v1/recommendations/%zz HTTP/1.1\r\nHost: x\r\n\r\n")}) {
    const int status = raw_request_status(s.port, raw);
    // 505 is the answer RFC 9110 (15.6.6) gives to an HTTP version the server
    // does not speak; every other malformed request is the client's 4xx.
    const bool unsupported_version = raw.find("HTTP/9.9") != std::string::npos;
    EXPECT_TRUE(status == 0 || (status >= 400 && status < 500) || (unsupported_version && status == 505))
        << raw << " -> " << status;
  }
  // A broken percent-escape is refused, not served as an unknown user called "%zz".
  EXPECT_EQ(s.client->Get("/v1/recommendations/%zz?k=3")->status, 400);
  EXPECT_EQ(s.client->Get("/v1/recommendations/ok%41id?k=3")->status, 200);  // a well-formed escape is fine
  EXPECT_EQ(s.get_json("/healthz")["status"], "ok");
  auto metrics = s.client->Get("/metrics")->body;
  EXPECT_NE(metrics.find("hybridrec_http_errors_total{kind=\"server\"} 0"), std::string::npos);
}

TEST(Server, PrometheusMetricsCountRequestsLatencyAndModels) {
  RunningServer s(copy_workspace("ws"));
  for (int i = 0; i < 5; ++i) s.get_json("/v1/recommendations/" + user_on(false) + "?k=2");
  s.get_json("/v1/recommendations/x?k=0", 400);
  const std::string m = s.client->Get("/metrics")->body;
  EXPECT_NE(m.find("hybridrec_http_requests_total{route=\"recommendations\",code=\"200\"} 5"), std::string::npos);
  EXPECT_NE(m.find("hybridrec_http_requests_total{route=\"recommendations\",code=\"400\"} 1"), std::string::npos);
  EXPECT_NE(m.find("hybridrec_http_request_duration_seconds_count{route=\"recommendations\"} 6"), std::string::npos);
  EXPECT_NE(m.find("hybridrec_http_request_duration_seconds_bucket{route=\"recommendations\",le=\"+Inf\"} 6"),
            std::string::npos);
  EXPECT_NE(m.find("hybridrec_model_info{role=\"champion\",model_id=\"rec-model-v1.0.0\",version=\"v1.0.0\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("hybridrec_challenger_traffic_percent 30"), std::string::npos);
  EXPECT_NE(m.find("hybridrec_http_errors_total{kind=\"client\"} 1"), std::string::npos);
}

TEST(Server, ApproximateCandidateStageKeepsMostOfTheExactTopTen) {
  ServerOptions options;
  options.service.serving.ann = AnnMode::on;   // forced on a 120-item catalog
  options.service.serving.ann_candidates = 12;  // a tenth of the catalog (plus the user's training items)
  RunningServer s(copy_workspace("ws"), options);
  const auto& model = *s.server->service().models().current()->champion;
  ASSERT_TRUE(model.approximate());
  double hits = 0, total = 0;
  for (std::uint32_t u = 0; u < 100; ++u) {
    if (model.bundle().seen[u].empty()) continue;
    auto exact = model.exact_ranking(u), approx = model.approximate_ranking(u);
    std::set<std::uint32_t> top;
    for (std::size_t i = 0; i < 10; ++i) top.insert(exact.items[i].item);
    for (const auto& c : approx.items) hits += top.count(c.item);
    total += 10;
    // Candidates are re-scored exactly: same scores as the exact path.
    for (const auto& e : exact.items)
      if (e.item == approx.items[0].item) EXPECT_NEAR(e.score, approx.items[0].score, 1e-5);
  }
  const double recall = hits / total;
  std::cout << "candidate recall@10 with 12+seen of 120 items: " << recall << "\n";
  EXPECT_GT(recall, 0.9);
  auto r = s.get_json("/v1/recommendations/" + user_on(false) + "?k=5");
  EXPECT_EQ(r["candidate_stage"], "approximate");
  EXPECT_EQ(r["items"].size(), 5u);
}
