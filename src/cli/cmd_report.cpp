// `hybridrec report RUN_ID`: a run's report as one self-contained HTML file
// (inline SVG charts and CSS, nothing fetched), written atomically.
#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "report/run_report.h"
#include "store/workspace.h"

namespace hybridrec::cli {
namespace {

struct ReportOptions {
  std::string workspace = store::kDefaultWorkspace;
  std::string store_url;
  std::string run;
  std::vector<std::string> compare;
  std::string out;
};

void write_report(const ReportOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto ws = store::Workspace::open_existing(o.workspace, o.store_url);
  std::vector<report::RunData> runs{report::load_run(ws, o.run)};
  for (const auto& id : o.compare) runs.push_back(report::load_run(ws, id));
  const std::string html = report::render_run_report(runs);
  const std::string out = o.out.empty() ? "report-" + runs.front().run.run_id.substr(0, 12) + ".html" : o.out;
  write_file_atomic(out, html);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << fmt::format("wrote {} ({} KiB, {} run{}) in {:.2f} s\n", out, (html.size() + 1023) / 1024, runs.size(),
                           runs.size() > 1 ? "s" : "", seconds);
  for (const auto& data : runs)
    for (const auto& note : data.notes) std::cout << "note: run " << data.run.run_id.substr(0, 12) << ": " << note << "\n";
}

}  // namespace

void register_report(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "Write a run's report (learning curves, metrics vs baselines, segments, "
                                           "fairness, parameters) as one offline HTML file");
  cmd->add_option("run", o->run, "Run id (or a unique prefix of it)")->required();
  cmd->add_option("--workspace", o->workspace, "Workspace folder (database + artifacts)")->capture_default_str();
  cmd->add_option("--store", o->store_url, "Store URL: postgresql://... (default: SQLite in the workspace)")
      ->envname("HYBRIDREC_STORE_URL");
  cmd->add_option("--out", o->out, "HTML file to write (default: report-<run id>.html)");
  cmd->add_option("--compare", o->compare, "Further runs to overlay on the charts and compare in the tables")
      ->expected(1, 20);
  cmd->callback([o] { write_report(*o); });
}

}  // namespace hybridrec::cli
