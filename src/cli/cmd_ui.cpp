// `hybridrec ui`: the live dashboard of a workspace (experiments, runs and their
// reports, models and deployments, online metrics) on http://127.0.0.1:8081.
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/error.h"
#include "report/dashboard_server.h"
#include "store/workspace.h"

namespace hybridrec::cli {
namespace {

struct UiOptions {
  std::string workspace = store::kDefaultWorkspace;
  std::string store_url;
  std::string host = "127.0.0.1";
  int port = 8081;
};

void run_ui(const UiOptions& o) {
  // Refuse a mistyped folder instead of serving a freshly created empty workspace.
  if (o.store_url.empty() && !std::filesystem::exists(std::filesystem::path(o.workspace) / "workspace.db"))
    throw Error("ui: no workspace at '" + o.workspace + "' (train with --workspace first, or pass --workspace DIR)");
  report::DashboardServer server({o.workspace, o.store_url});
  const int port = server.bind(o.host, o.port);
  std::cout << fmt::format("dashboard of {} on http://{}:{}/ (Ctrl-C stops)", o.workspace, o.host, port) << std::endl;
  server.serve();
}

}  // namespace

void register_ui(CLI::App& app) {
  auto o = std::make_shared<UiOptions>();
  auto* cmd = app.add_subcommand("ui", "Serve the dashboard: experiments, runs and their reports, models, online metrics");
  cmd->add_option("--workspace", o->workspace, "Workspace folder (database + artifacts)")->capture_default_str();
  cmd->add_option("--store", o->store_url, "Store URL: postgresql://... (default: SQLite in the workspace)")
      ->envname("HYBRIDREC_STORE_URL");
  cmd->add_option("--host", o->host, "Address to bind (loopback by default; the dashboard has no login)")->capture_default_str();
  cmd->add_option("--port", o->port, "Port (0 = any free port, printed)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->callback([o] { run_ui(*o); });
}

}  // namespace hybridrec::cli
