// Fresh recommendations (issue #19) through the real server: a purchase is
// excluded from the next answer (ranking cache on and off), the online history
// survives a kill -9 of a `hybridrec serve` process, a new visitor's list changes
// after their clicks, the token-guarded history endpoint, and bad events refused
// with nothing added.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "serve/traffic_split.h"
#include "serve_fixture.h"
#include "test_support.h"

using namespace hybridrec;
using namespace hybridrec::serve;
using namespace hybridrec::serve::testing;

namespace {

std::string champion_user() {
  for (int i = 0;; ++i) {
    std::string id = "u" + std::string(6 - std::to_string(i).size(), '0') + std::to_string(i);
    if (!assigned_to_challenger(id, 30)) return id;
  }
}

// A user id unknown to training that the traffic split sends to the champion.
std::string new_champion_user(const std::string& prefix) {
  for (int i = 0;; ++i) {
    std::string id = prefix + std::to_string(i);
    if (!assigned_to_challenger(id, 30)) return id;
  }
}

std::vector<std::string> ids_of(const nlohmann::json& response) {
  std::vector<std::string> out;
  for (const auto& item : response["items"]) out.push_back(item["item_id"]);
  return out;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

nlohmann::json event(const std::string& type, const nlohmann::json& response, const std::string& item) {
  return {{"type", type}, {"request_id", response["request_id"]}, {"user_id", response["user_id"]}, {"item_id", item}};
}

}  // namespace

TEST(Fresh, PurchasedItemIsExcludedFromTheNextResponseWithAndWithoutTheCache) {
  for (const std::size_t cache_bytes : {std::size_t{256} << 20, std::size_t{0}}) {
    SCOPED_TRACE(cache_bytes ? "cache on" : "cache off");
    const auto ws = copy_workspace(cache_bytes ? "fresh_cache_on" : "fresh_cache_off");
    ServerOptions options;
    options.service.serving.cache_bytes = cache_bytes;
    RunningServer s(ws, options);
    const std::string user = champion_user();
    const auto first = s.get_json("/v1/recommendations/" + user + "?k=5");
    const auto again = s.get_json("/v1/recommendations/" + user + "?k=5");
    ASSERT_EQ(ids_of(first), ids_of(again)) << "same answer before any event";
    const std::string bought = first["items"][0]["item_id"];
    // A click on the second item does not exclude it (purchases only, by default).
    const std::string clicked = first["items"][1]["item_id"];
    nlohmann::json events = nlohmann::json::array({event("click", first, clicked), event("purchase", first, bought)});
    EXPECT_EQ(s.post_json("/v1/events", events.dump())["accepted"], 2);
    const auto after = s.get_json("/v1/recommendations/" + user + "?k=5");
    EXPECT_FALSE(contains(ids_of(after), bought)) << after.dump();
    EXPECT_EQ(after["items"].size(), 5u);
    // exclude_seen=false keeps every item, the purchased one included.
    const auto all = s.get_json("/v1/recommendations/" + user + "?k=5&exclude_seen=false");
    EXPECT_EQ(all["items"].size(), 5u);
  }
}

TEST(Fresh, NewVisitorsListChangesAfterTheirClicksThroughTheContentPath) {
  const auto ws = copy_workspace("fresh_new_visitor");
  RunningServer s(ws);
  const std::string visitor = new_champion_user("visitor-");
  const auto before = s.get_json("/v1/recommendations/" + visitor + "?k=10");
  EXPECT_EQ(before["served_by"], "popularity");
  EXPECT_EQ(before["known_user"], false);
  // Five clicks far down a long list the visitor was shown (not the popular head):
  // an event names an item of the response its request_id came with.
  const auto long_list = s.get_json("/v1/recommendations/" + visitor + "?k=60");
  nlohmann::json clicks = nlohmann::json::array();
  for (int i = 50; i < 55; ++i) clicks.push_back(event("click", long_list, long_list["items"][i]["item_id"]));
  EXPECT_EQ(s.post_json("/v1/events", clicks.dump())["accepted"], 5);
  const auto after = s.get_json("/v1/recommendations/" + visitor + "?k=10");
  EXPECT_EQ(after["served_by"], "content_fold_in") << "the hybrid scores a visitor with a history through its content path";
  EXPECT_NE(ids_of(after), ids_of(before));
  const auto health = s.get_json("/healthz");
  EXPECT_EQ(health["online_history"]["users"], 1);
  EXPECT_EQ(health["models"][0]["fold_in"], "features");
}

TEST(Fresh, FoldInNeedsTheConfiguredNumberOfEventsForAUserWithoutTrainingHistory) {
  const auto ws = copy_workspace("fresh_min_events");
  ServerOptions options;
  options.service.serving.fold_in_min_events = 3;
  RunningServer s(ws, options);
  const std::string visitor = new_champion_user("min-");
  const auto first = s.get_json("/v1/recommendations/" + visitor + "?k=5");
  const auto items = ids_of(first);
  for (int i = 0; i < 3; ++i) {
    s.post_json("/v1/events", nlohmann::json(event("click", first, items[i])).dump());
    const auto r = s.get_json("/v1/recommendations/" + visitor + "?k=5");
    EXPECT_EQ(r["served_by"], i < 2 ? "popularity" : "content_fold_in") << "after " << i + 1 << " events";
  }
}

TEST(Fresh, BadEventsAreRefusedAndNothingIsAdded) {
  const auto ws = copy_workspace("fresh_bad");
  ServerOptions options;
  options.service.history_max_events = 4;
  options.service.history_token = "h1story";
  RunningServer s(ws, options);
  const std::string visitor = new_champion_user("bad-");
  const auto r = s.get_json("/v1/recommendations/" + visitor + "?k=3");
  const std::string item = r["items"][0]["item_id"];
  // An unknown item in a batch: the whole batch is refused, the good event too.
  nlohmann::json batch = nlohmann::json::array({event("click", r, item), event("click", r, "no-such-item")});
  auto e = s.post_json("/v1/events", batch.dump(), 400);
  EXPECT_NE(e["error"].get<std::string>().find("item 'no-such-item' was not in the response"), std::string::npos) << e.dump();
  // An unknown event type.
  nlohmann::json odd = event("click", r, item);
  odd["type"] = "wishlist";
  s.post_json("/v1/events", odd.dump(), 400);
  // A bad timestamp.
  nlohmann::json late = event("click", r, item);
  late["timestamp"] = "yesterday";
  s.post_json("/v1/events", late.dump(), 400);

  // The history endpoint: token required, at most history_max_events events, known types and items.
  auto post_history = [&](const nlohmann::json& body, const std::string& token, int status) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto res = s.client->Post(("/v1/users/" + visitor + "/history").c_str(), headers, body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (res) {
      EXPECT_EQ(res->status, status) << res->body;
    }
    return res ? nlohmann::json::parse(res->body, nullptr, false) : nlohmann::json();
  };
  nlohmann::json one = {{"events", {{{"type", "purchase"}, {"item_id", item}, {"timestamp", 1700000000}}}}};
  post_history(one, "", 401);
  post_history(one, "wrong", 401);
  nlohmann::json too_long = {{"events", nlohmann::json::array()}};
  for (int i = 0; i < 5; ++i) too_long["events"].push_back({{"type", "click"}, {"item_id", item}});
  const auto long_answer = post_history(too_long, "h1story", 400);
  EXPECT_NE(long_answer["error"].get<std::string>().find("history too long"), std::string::npos);
  post_history({{"events", {{{"type", "impression"}, {"item_id", item}}}}}, "h1story", 400);
  post_history({{"events", {{{"type", "click"}, {"item_id", "nope"}}}}}, "h1story", 400);

  // Nothing was added by any of those.
  EXPECT_EQ(s.get_json("/healthz")["online_history"]["users"], 0);
  EXPECT_EQ(s.get_json("/v1/recommendations/" + visitor + "?k=3")["served_by"], "popularity");

  // A good history is kept: the purchased item is excluded and the visitor folded in.
  EXPECT_EQ(post_history(one, "h1story", 200)["history_events"], 1);
  const auto after = s.get_json("/v1/recommendations/" + visitor + "?k=3");
  EXPECT_EQ(after["served_by"], "content_fold_in");
  EXPECT_FALSE(contains(ids_of(after), item));
}

TEST(Fresh, HistoryTokenFromAWorkspaceFileMustBeOwnerOnly) {
  const auto ws = copy_workspace("fresh_token_file");
  const auto file = ws / "serving" / "history_token";
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << "from-file\n";
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::others_read);
  EXPECT_THROW(RunningServer refused(ws), Error) << "a token file readable by others is refused";
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  RunningServer s(ws);
  const std::string item = s.get_json("/v1/recommendations/" + champion_user() + "?k=1")["items"][0]["item_id"];
  httplib::Headers headers{{"Authorization", "Bearer from-file"}};
  auto res = s.client->Post("/v1/users/file-user/history", headers,
                            nlohmann::json({{"events", {{{"type", "click"}, {"item_id", item}}}}}).dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  s.server->stop();
  // Restarted: the history is back, and its records are not counted as broken feedback lines.
  RunningServer restarted(ws);
  const auto health = restarted.get_json("/healthz");
  EXPECT_EQ(health["online_history"]["users"], 1);
  EXPECT_EQ(health["online_history"]["events_replayed_on_start"], 1);
  EXPECT_EQ(health["event_log_lines_skipped_on_start"], 0);
}

TEST(Fresh, OnlineHistorySurvivesAKill9OfTheServerProcess) {
  const auto ws = copy_workspace("fresh_kill");
  // A free port: bind an in-process server to any port, note it, stop it.
  int port = 0;
  const std::string visitor = new_champion_user("killed-");
  {
    RunningServer probe(ws);
    port = probe.port;
  }
  const std::string log = (ws.parent_path() / "serve.log").string();
  const std::string command = std::string(HYBRIDREC_BINARY) + " serve --workspace '" + ws.string() + "' --port " +
                              std::to_string(port) + " --poll-seconds 0 > '" + log + "' 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  nlohmann::json first;
  for (int i = 0; i < 600; ++i) {  // up to a minute for the process to load the models
    if (auto res = client.Get(("/v1/recommendations/" + visitor + "?k=3").c_str()); res && res->status == 200) {
      first = nlohmann::json::parse(res->body);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(first.is_null()) << "the serve process never answered";
  const std::string bought = first["items"][0]["item_id"];
  auto posted = client.Post("/v1/events", nlohmann::json::array({event("purchase", first, bought)}).dump(), "application/json");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;
  // Acknowledged means durable: kill -9 right after the answer.
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  RunningServer restarted(ws);
  EXPECT_EQ(restarted.get_json("/healthz")["online_history"]["users"], 1);
  const auto after = restarted.get_json("/v1/recommendations/" + visitor + "?k=3");
  EXPECT_EQ(after["served_by"], "content_fold_in");
  EXPECT_FALSE(contains(ids_of(after), bought));
}

TEST(Fresh, OnlineHistoryKeepsTheNewestEventsPerUserAndRebuildsFromTheLog) {
  OnlineHistory history(3);
  for (int i = 0; i < 5; ++i) history.add("ann", {"i" + std::to_string(i), FeedbackType::click, 100 + i});
  history.add("ann", {"ignored", FeedbackType::impression, 200});  // not an interaction
  auto ann = history.get("ann");
  ASSERT_EQ(ann.events.size(), 3u);
  EXPECT_EQ(ann.events.front().item_id, "i2");
  EXPECT_EQ(ann.events.back().item_id, "i4");
  EXPECT_EQ(ann.version, 5u) << "every kept event moves the version; an impression does not";
  EXPECT_EQ(history.get("bob").version, 0u);

  const auto log = hybridrec::testing::scratch_dir("online_history_log") / "events.jsonl";
  std::ofstream(log) << R"({"type":"purchase","user_id":"bob","item_id":"i9","timestamp":5,"request_id":"m:0123456789abcdef","model_id":"m"})" "\n"
                     << R"({"type":"impression","user_id":"bob","item_id":"i8","timestamp":6})" "\n"
                     << R"({"type":"click","item_id":"i7","timestamp":7})" "\n"
                     << R"({"type":"add_to_cart","user_id":"bob","item_id":"i6","timestamp":8,"source":"history"})" "\n"
                     << R"({"type":"click","user_id":"bob","item_id")";  // torn by a crash
  OnlineHistory rebuilt(3);
  EXPECT_EQ(rebuilt.replay(log), 2u);
  const auto bob = rebuilt.get("bob");
  ASSERT_EQ(bob.events.size(), 2u);
  EXPECT_EQ(bob.events[0].item_id, "i9");
  EXPECT_EQ(bob.events[1].type, FeedbackType::add_to_cart);
  EXPECT_EQ(bob.events[1].timestamp, 8);
  EXPECT_FALSE(OnlineHistory(0).enabled());
}
