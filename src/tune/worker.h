#pragma once
// A tuning worker: claims trials of a study from the workspace database and
// runs each as a tracked training run until the study's budget is used up. Many
// workers (processes on one machine, or machines sharing a PostgreSQL store)
// can serve one study at once. The worker that finishes the last trial
// registers the best trial's model as a challenger.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "tune/study.h"

namespace hybridrec::tune {

struct WorkerOptions {
  std::filesystem::path workspace = "hybridrec-workspace";
  std::string store_url;  // empty: SQLite in the workspace
  std::string study;
  int threads = 2;        // training.threads of every trial this worker runs
  std::string name;       // shown in logs and recorded with each trial; default host:pid
  std::function<void(const std::string&)> log;  // one line per trial event; empty = silent
};

struct WorkerSummary {
  int trials_run = 0;
  std::optional<std::string> registered_model;  // set by the worker that closed the study
};

WorkerSummary run_worker(const WorkerOptions& options);

}  // namespace hybridrec::tune
