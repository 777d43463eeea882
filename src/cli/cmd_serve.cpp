// `hybridrec serve`: the workspace's champion (and challenger) over HTTP.
#include <csignal>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "serve/server.h"
#include "store/workspace.h"

namespace hybridrec::cli {

namespace {
struct ServeArgs {
  serve::ServerOptions server;
  std::string workspace = store::kDefaultWorkspace;
  std::string ann = "auto";
  std::size_t cache_mb = 256;
  std::vector<std::string> exclude_event_types = {"purchase"};
};

// Stops the server from a signal: the handler only flags, a watcher thread stops.
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }
}  // namespace

void register_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve recommendations over HTTP (champion/challenger, online metrics)");
  cmd->add_option("--workspace", a->workspace, "Workspace folder (registry + artifacts)")->capture_default_str();
  cmd->add_option("--store", a->server.service.store_url, "Store URL: postgresql://... (default: SQLite in the workspace)")
      ->envname("HYBRIDREC_STORE_URL");
  cmd->add_option("--host", a->server.host, "Address to bind (loopback by default)")->capture_default_str();
  cmd->add_option("--port", a->server.port, "Port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--admin-token", a->server.admin_token, "Token for POST /v1/admin/reload (disabled without one)")
      ->envname("HYBRIDREC_ADMIN_TOKEN");
  cmd->add_option("--env", a->server.service.environment, "Deployment environment whose records set the traffic split")
      ->capture_default_str();
  // Bounded so a typo is refused, not obeyed (a poll every nanosecond spins a core
  // re-reading the registry).
  cmd->add_option("--threads", a->server.threads, "Worker threads, each an event loop that scores its connections' requests (0: one per core, at least 2)")
      ->capture_default_str()->check(CLI::Range(0, 1024));
  cmd->add_option("--max-connections", a->server.max_connections, "Open connections at once, idle and slow ones included")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--idle-timeout", a->server.idle_timeout_seconds, "Seconds of silence after which a connection is closed")
      ->capture_default_str()->check(CLI::Range(1, 3600));
  cmd->add_option("--poll-seconds", a->server.poll_seconds,
                  "How often to re-read the registry's deployments: 0 (never) or 0.1 to 86400 seconds")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double v = 0;
            try {
              std::size_t used = 0;
              v = std::stod(text, &used);
              if (used != text.size()) return "expected a number of seconds, got '" + text + "'";
            } catch (const std::exception&) {
              return "expected a number of seconds, got '" + text + "'";
            }
            if (v == 0 || (v >= 0.1 && v <= 86400)) return "";
            return "--poll-seconds " + text + " is out of range: 0 (never) or 0.1 to 86400 seconds";
          },
          "0 or [0.1, 86400]"));
  cmd->add_option("--max-body-bytes", a->server.max_body_bytes, "Largest request body accepted")->capture_default_str();
  cmd->add_option("--ann", a->ann, "Approximate candidate stage: auto (from --ann-min-items items), on, off")
      ->capture_default_str()->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->add_option("--ann-min-items", a->server.service.serving.ann_min_items, "Catalog size from which auto turns it on")
      ->capture_default_str();
  cmd->add_option("--ann-candidates", a->server.service.serving.ann_candidates, "Candidates re-scored exactly per request")
      ->capture_default_str()->check(CLI::Range(10, 100000));
  cmd->add_option("--cache-mb", a->cache_mb, "Ranking cache per model in MiB (0: off)")->capture_default_str();
  cmd->add_option("--history-max-events", a->server.service.history_max_events,
                  "Online history: events kept per user for fold-in and exclusion (0: off, static serving)")
      ->capture_default_str();
  cmd->add_option("--history-token", a->server.service.history_token,
                  "Token for POST /v1/users/{id}/history (default: workspace serving/history_token, mode 0600)")
      ->envname("HYBRIDREC_HISTORY_TOKEN");
  cmd->add_option("--request-id-max-age", a->server.service.request_id_max_age_seconds,
                  "Seconds after a response during which events naming its request_id are accepted (then 410)")
      ->capture_default_str()->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 366 * 86400));
  cmd->add_option("--fold-in-min-events", a->server.service.serving.fold_in_min_events,
                  "Online events from which a user without training history is served by fold-in")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--exclude-event-types", a->exclude_event_types,
                  "Online-history event types whose items exclude_seen removes (click, add_to_cart, purchase)")
      ->delimiter(',')->capture_default_str()->check(CLI::IsMember({"click", "add_to_cart", "purchase"}));
  cmd->callback([a] {
    // Serving only reads the workspace: a mistyped path is refused, not created.
    store::Workspace::open_existing(a->workspace, a->server.service.store_url);
    a->server.service.serving.exclude_event_types.clear();
    for (const auto& name : a->exclude_event_types)
      a->server.service.serving.exclude_event_types.push_back(*serve::parse_feedback_type(name));
    a->server.service.workspace = a->workspace;
    a->server.service.serving.ann = serve::parse_ann_mode(a->ann);
    a->server.service.serving.cache_bytes = a->cache_mb << 20;
    serve::RecommendationServer server(a->server);
    const int port = server.start();
    const auto plan = server.service().models().current()->plan;
    std::cout << fmt::format("serving {}{} on http://{}:{} (workspace {})\n", plan.champion,
                             plan.challenger ? fmt::format(" + challenger {} at {}%", *plan.challenger, plan.challenger_percent) : "",
                             a->server.host, port, a->workspace)
              << std::flush;
    const auto set = server.service().models().current();
    for (const auto* m : {set->champion.get(), set->challenger.get()})
      if (m && m->candidate_index())
        std::cout << fmt::format("  {}: approximate candidate stage over {} items (HNSW index {} in {:.1f} s)\n",
                                 m->model_id(), m->bundle().items.size(),
                                 m->candidate_index()->loaded_from_cache() ? "loaded" : "built",
                                 m->candidate_index()->build_seconds())
                  << std::flush;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::thread watcher([&server] {
      while (g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      server.stop();
    });
    server.wait();
    watcher.join();
    std::cout << "stopped\n";
  });
}

}  // namespace hybridrec::cli
