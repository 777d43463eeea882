// `hybridrec tune`: Bayesian (or random) hyperparameter search over training
// runs, with --max-parallel-jobs worker processes sharing the study through the
// workspace database, and `tune show` to summarise a study.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "report/study_report.h"
#include "store/process_info.h"
#include "store/workspace.h"
#include "train/config.h"
#include "tune/study_report.h"
#include "tune/study_store.h"
#include "tune/trial_config.h"
#include "tune/worker.h"

namespace hybridrec::cli {

namespace {

struct TuneArgs {
  DataOptions data;
  std::string config_file;
  std::vector<std::string> sets;
  std::string workspace = store::kDefaultWorkspace;
  std::string store_url;
  std::string study;
  int max_jobs = 20;
  int max_parallel_jobs = 2;
  std::string objective_metric = "validation:ndcg@10";
  std::string objective_type = "Maximize";
  std::string strategy = "bayesian";
  std::string space_file;
  long long seed = 42;
  int initial_random = 5;
  bool no_early_stopping = false;
  int min_epochs = 3;
  double heartbeat_timeout = 120;
  bool resume = false;
  bool worker = false;
  std::string worker_name;
  int threads = 0;
  bool quiet = false;
  bool show_json = false;
  std::string show_report;  // HTML file for `tune show --report`
  std::string best_config;  // YAML file for `tune best`
};

void print_line(const std::string& line) {
  std::string text = line + "\n";
  std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::cout.flush();
}

int cores() { return std::max(1u, std::thread::hardware_concurrency()); }

tune::StudySettings settings_from(const TuneArgs& a) {
  if (a.data.path.empty() && a.data.load.split_train.empty())
    throw ConfigError("tune: --data PATH is required to start a study");
  if (a.max_jobs <= 0) throw ConfigError("--max-jobs must be positive");
  if (a.max_parallel_jobs <= 0) throw ConfigError("--max-parallel-jobs must be positive");
  tune::StudySettings s;
  s.objective = tune::Objective::parse(a.objective_metric, a.objective_type);
  s.strategy = tune::parse_strategy(a.strategy);
  s.max_jobs = a.max_jobs;
  s.max_parallel_jobs = a.max_parallel_jobs;
  s.initial_random = std::min(a.initial_random, a.max_jobs);
  s.seed = static_cast<std::uint64_t>(a.seed);
  s.early_stopping = !a.no_early_stopping;
  s.stopping.min_epochs = a.min_epochs;
  s.heartbeat_timeout_seconds = a.heartbeat_timeout;
  s.space = a.space_file.empty() ? tune::default_search_space() : tune::load_search_space(a.space_file);
  s.config = load_config(a.config_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.config_file), a.sets);
  // The column mapping and supplied split go into the base config's data.* keys,
  // which every trial reads (tune/worker.cpp); the data is validated once, here.
  DataOptions data = a.data;
  LoadOptions load = resolve_load_options(data, &s.config);
  const GateResult gate = validate_before_use(data, load, a.quiet);
  s.data = std::filesystem::absolute(data.path).string();
  s.load = {{"format", load.format}, {"sep", load.separator}};
  if (load.skip_rows) {
    // --on-invalid skip: every trial drops exactly the rows validated out here
    // (file -> lines), recorded with the study so --resume and workers agree.
    nlohmann::json rows = nlohmann::json::object();
    for (const auto& [file, lines] : *load.skip_rows) {
      std::vector<std::size_t> sorted(lines.begin(), lines.end());
      std::sort(sorted.begin(), sorted.end());
      rows[file] = sorted;
    }
    s.load["skip_rows"] = rows;
    s.load["rows_skipped"] = gate.rows_skipped;
  }
  tune::check_space_maps_onto(s.space, s.config);
  return s;
}

// Starts `count` copies of this binary as `tune --worker` and waits for them.
// Each dies with the coordinator (PR_SET_PDEATHSIG), leaving its trial to be
// re-proposed by the next --resume.
int run_worker_processes(const TuneArgs& a, const std::string& study, int count) {
  const int threads = a.threads > 0 ? a.threads : std::max(1, cores() / count);
  std::vector<pid_t> children;
  for (int i = 1; i <= count; ++i) {
    std::vector<std::string> args = {"hybridrec", "tune", "--worker", "--study", study, "--workspace", a.workspace,
                                     "--threads", std::to_string(threads), "--worker-name", fmt::format("w{}", i)};
    if (!a.store_url.empty()) args.insert(args.end(), {"--store", a.store_url});
    if (a.quiet) args.push_back("--quiet");
    std::cout.flush();
    pid_t pid = fork();
    if (pid < 0) throw Error("tune: could not start a worker process");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      // Workers share the cores: OpenMP threads that spin while idle would steal
      // the other workers' share (measured: validation 4x slower with spinning).
      setenv("OMP_WAIT_POLICY", "passive", 0);
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    children.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  return failures;
}

// --study NAME, or the latest study of the workspace.
tune::Study chosen_study(tune::StudyStore& studies, const TuneArgs& a) {
  if (!a.study.empty()) return studies.get(a.study);
  auto all = studies.list();
  if (all.empty()) throw Error("no studies in workspace " + a.workspace);
  return all.front();
}

void show_study(const TuneArgs& a) {
  auto ws = store::Workspace::open(a.workspace, a.store_url);
  tune::StudyStore studies(ws.database());
  const tune::Study study = chosen_study(studies, a);
  auto summary = tune::study_summary(study, studies.trials(study.id));
  if (a.show_json) print_line(summary.dump(2));
  else std::cout << tune::format_study_summary(summary);
  if (!a.show_report.empty()) {
    write_file_atomic(a.show_report, report::render_study_report(summary, "study " + study.name));
    print_line("wrote " + a.show_report);
  }
}

void run_tune(TuneArgs& a) {
  if (a.worker) {
    if (a.study.empty()) throw ConfigError("tune --worker needs --study NAME");
    tune::WorkerOptions o;
    o.workspace = a.workspace;
    o.store_url = a.store_url;
    o.study = a.study;
    o.threads = a.threads > 0 ? a.threads : cores();
    o.name = a.worker_name;
    const std::string prefix = a.worker_name.empty() ? "" : "[" + a.worker_name + "] ";
    if (!a.quiet) o.log = [prefix](const std::string& line) { print_line(prefix + line); };
    tune::run_worker(o);
    return;
  }
  auto ws = store::Workspace::open(a.workspace, a.store_url);
  tune::StudyStore studies(ws.database());
  tune::Study study;
  int parallel = a.max_parallel_jobs;
  if (a.resume) {
    if (a.study.empty()) {
      for (const auto& s : studies.list())
        if (s.status == "open") {
          study = s;
          break;
        }
      if (study.name.empty()) throw Error("tune --resume: no open study in workspace " + a.workspace + "; name one with --study");
    } else {
      study = studies.get(a.study);
    }
    parallel = study.settings.max_parallel_jobs;
    int lost = studies.reap_lost(study);
    print_line(fmt::format("resuming study {}: {} trial(s) so far{}", study.name, studies.trials(study.id).size(),
                           lost ? fmt::format(", {} lost with their worker (their parameters run again)", lost) : ""));
  } else {
    if (a.study.empty()) a.study = "study-" + store::random_id().substr(0, 8);
    study = studies.create(a.study, settings_from(a));
    print_line(fmt::format("study {}: {} jobs, {} in parallel ({} training thread(s) each), {} strategy, {} {}", study.name,
                           study.settings.max_jobs, parallel, a.threads > 0 ? a.threads : std::max(1, cores() / parallel),
                           tune::to_string(study.settings.strategy), study.settings.objective.type(),
                           study.settings.objective.metric));
  }
  auto t0 = std::chrono::steady_clock::now();
  if (study.status == "open") {
    int failures = run_worker_processes(a, study.name, parallel);
    if (failures) print_line(fmt::format("warning: {} worker process(es) exited with an error", failures));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  study = studies.get(study.name);
  auto summary = tune::study_summary(study, studies.trials(study.id));
  std::cout << tune::format_study_summary(summary);
  print_line(fmt::format("wall time {:.1f} s", seconds));
  if (study.status != "finished") print_line("the study is not finished; continue it with: hybridrec tune --resume --study " + study.name);
}

}  // namespace

// `tune best`: the best trial as a config file that `train --config` reproduces.
void write_best_config(const TuneArgs& a) {
  auto ws = store::Workspace::open(a.workspace, a.store_url);
  tune::StudyStore studies(ws.database());
  const tune::Study study = chosen_study(studies, a);
  const auto best = tune::best_trial(study, studies.trials(study.id));
  if (!best) throw Error("study " + study.name + " has no finished trial with an objective yet");
  write_file_atomic(a.best_config, tune::best_trial_yaml(study, *best));
  print_line(fmt::format("trial {} of study {} ({} = {:.6g}) written to {}; reproduce it with: hybridrec train --data {} "
                         "--config {}",
                         best->number, study.name, study.settings.objective.metric, *best->objective, a.best_config,
                         study.settings.data, a.best_config));
}

void register_tune(CLI::App& app) {
  auto a = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand("tune", "tune hyperparameters: Bayesian optimisation over training runs, trials in parallel");
  add_data_options(*cmd, a->data, false);
  add_split_source_options(*cmd, a->data);
  add_on_invalid_option(*cmd, a->data);
  cmd->add_option("--config", a->config_file, "YAML file merged over configs/default.yaml (base of every trial)")->check(CLI::ExistingFile);
  cmd->add_option("--set", a->sets, "override one setting of every trial, e.g. --set training.num_epochs=10 (repeatable)");
  cmd->add_option("--workspace", a->workspace, "workspace for the study, its runs and the registry")->capture_default_str();
  cmd->add_option("--store", a->store_url, "postgresql://... to share the study with workers on other machines")
      ->envname("HYBRIDREC_STORE_URL");
  cmd->add_option("--study", a->study, "study name (default: a new random name; workers and --resume name it)");
  cmd->add_option("--max-jobs", a->max_jobs, "trials in the study")->capture_default_str();
  cmd->add_option("--max-parallel-jobs", a->max_parallel_jobs, "trials at once (worker processes, cores shared)")->capture_default_str();
  cmd->add_option("--objective-metric", a->objective_metric, "validation:METRIC (any metric validation reports)")->capture_default_str();
  cmd->add_option("--objective-type", a->objective_type, "Maximize or Minimize")->capture_default_str();
  cmd->add_option("--strategy", a->strategy, "bayesian or random")->capture_default_str();
  cmd->add_option("--space", a->space_file, "YAML search space (default: the specification's)")->check(CLI::ExistingFile);
  cmd->add_option("--seed", a->seed, "seed of the search (training seeds come from the configuration)")->capture_default_str();
  cmd->add_option("--initial-random", a->initial_random, "Latin-hypercube trials before the Gaussian process")->capture_default_str();
  cmd->add_flag("--no-early-stopping", a->no_early_stopping, "run every trial to the end (no median stopping rule)");
  cmd->add_option("--early-stopping-min-epochs", a->min_epochs, "epochs before the median rule may stop a trial")->capture_default_str();
  cmd->add_option("--heartbeat-timeout", a->heartbeat_timeout, "seconds without a heartbeat before a trial counts as lost")
      ->capture_default_str();
  cmd->add_flag("--resume", a->resume, "continue a study (--study NAME, default the latest open one)");
  cmd->add_flag("--worker", a->worker, "serve trials of --study NAME in this process (also on other machines with --store)");
  cmd->add_option("--worker-name", a->worker_name, "label of this worker in logs and trials");
  cmd->add_option("--threads", a->threads, "training threads per trial (default: cores / parallel jobs)");
  cmd->add_flag("--quiet,-q", a->quiet, "no per-trial lines");

  auto* show = cmd->add_subcommand("show", "summarise a study: trials, best trial, parameter importance");
  show->add_option("--study", a->study, "study name (default: the latest)");
  show->add_option("--workspace", a->workspace, "workspace")->capture_default_str();
  show->add_option("--store", a->store_url, "postgresql://...")->envname("HYBRIDREC_STORE_URL");
  show->add_flag("--json", a->show_json, "print JSON");
  show->add_option("--report", a->show_report,
                   "also write an offline HTML report: objective per trial, best so far, importance");
  show->callback([a] { show_study(*a); });
  auto* best = cmd->add_subcommand("best", "write the best trial of a study as a config file for train --config");
  best->add_option("study", a->study, "study name (default: the latest)");
  best->add_option("--config", a->best_config, "YAML file to write, e.g. best.yaml")->required();
  best->add_option("--workspace", a->workspace, "workspace")->capture_default_str();
  best->add_option("--store", a->store_url, "postgresql://...")->envname("HYBRIDREC_STORE_URL");
  best->callback([a] { write_best_config(*a); });
  cmd->callback([a, show, best] {
    if (show->parsed() || best->parsed()) return;
    run_tune(*a);
  });
}

}  // namespace hybridrec::cli
