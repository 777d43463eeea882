#pragma once
// The pages of `hybridrec ui`, rendered live from a workspace: experiments ->
// runs (status, key metrics) -> each run's report; models with status, version,
// metrics and deployment history; champion vs challenger online metrics from the
// server's feedback events. Routing is a plain function of the path, so pages
// are testable without a socket; dashboard_server.h puts them on HTTP.
#include <filesystem>
#include <string>

#include "core/error.h"

namespace hybridrec::report {

struct DashboardOptions {
  std::filesystem::path workspace = "hybridrec-workspace";
  std::string store_url;  // empty: SQLite in the workspace
};

struct DashboardPage {
  int status = 200;  // 404 for an unknown path, experiment, run or model
  std::string html;
};

// path: the decoded URL path ("/", "/runs", "/runs/<id or prefix>", "/experiments/<name>",
// "/models", "/models/<id or version>", "/online"). Never throws for bad input:
// unknown things are a 404 page; a workspace that cannot be opened is a 500 page.
DashboardPage dashboard_page(const DashboardOptions& options, const std::string& path);

// Percent-encodes everything but unreserved characters (for names in links).
std::string url_encode(const std::string& text);

}  // namespace hybridrec::report
