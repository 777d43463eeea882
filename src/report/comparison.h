#pragma once
// What `models compare` and `runs compare` print: the models' own metrics first,
// then only what differs between them (settings, features, data, tags), with
// everything identical and the baselines' metrics counted and left for --all.
// A registered model is read through the config.json it was trained with (from
// the artifact store), so a difference anywhere in the configuration shows,
// not only in the training and model sections the registry indexes.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/artifact_store.h"
#include "store/registry.h"
#include "store/tracking.h"

namespace hybridrec::report {

// One side of a comparison, flattened to "section.key" -> text or number.
struct CompareSubject {
  std::string label;                                // column header: model id or short run id + name
  std::string status;                               // champion / finished / ...
  std::map<std::string, double> metrics;            // the model's own: always shown
  std::map<std::string, double> other_metrics;      // baselines, per-epoch extras: --all only
  std::map<std::string, std::string> settings;      // model, training, evaluation, ... configuration
  std::map<std::string, std::string> features;      // content features: configured and fitted layout
  std::map<std::string, std::string> data;          // data configuration and what was trained on
  std::map<std::string, std::string> tags;          // run tags (runs only)
};

struct ComparisonRow {
  std::string key;
  std::vector<nlohmann::json> values;  // one per subject; null where absent
  bool differs = false;
  std::optional<double> delta;         // metrics of two subjects: B - A
};

struct ComparisonSection {
  std::string name;  // "metrics", "settings", "features", "data", "tags", "other metrics"
  std::vector<ComparisonRow> rows;  // shown rows
  int hidden = 0;                   // identical rows (or other metrics) left out without --all
};

struct Comparison {
  std::vector<std::string> labels, statuses;
  std::vector<ComparisonSection> sections;
  bool all = false;
};

CompareSubject subject_from_model(const store::ModelRecord& model, const store::ArtifactStore& artifacts);
CompareSubject subject_from_run(const store::RunRecord& run);

// all: identical rows and the other metrics too. Needs two or more subjects.
Comparison compare_subjects(const std::vector<CompareSubject>& subjects, bool all);

std::string comparison_text(const Comparison& comparison);   // tables for a terminal
nlohmann::json comparison_json(const Comparison& comparison);  // the same rows, values unabridged

}  // namespace hybridrec::report
