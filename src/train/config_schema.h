#pragma once
// The configuration's schema: which keys exist, what kind of value each takes and
// its range. The keys and their kinds come from configs/default.yaml itself (the
// one source of defaults); the ranges and choices are the table in
// config_schema.cpp, documented in docs/configuration.md. A configuration that
// passes check_config() can be read by every typed view (TrainingConfig,
// ModelConfig, FeatureConfig, SplitConfig, the evaluation options) without a
// library exception: each error names the key, the value and the allowed range.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

// Refuses (ConfigError) unknown keys (with a did-you-mean suggestion), values of
// the wrong kind (a fraction where an integer belongs, text where a number does),
// NaN and infinity, values outside their range and split ratios that do not sum
// to 1 within 1e-6. An integral float such as 8.0 for an integer key is rewritten
// as the integer. `source` names where the configuration came from.
void check_config(nlohmann::json& config, const std::string& source = "configuration");

// The documented range of a key ("integer in [1, 4096]", "auto or a number in
// (0, 1e12]"), or "" for a key without a rule. For docs and error messages.
std::string config_key_range(const std::string& dotted_key);

// Every rule's key, in table order (the test that each default has a rule).
std::vector<std::string> config_rule_keys();

// The known key closest to `key` among `candidates` (edit distance), or "".
std::string closest_key(const std::string& key, const std::vector<std::string>& candidates);

// "unknown configuration key 'a.b.c'" with "; did you mean 'a.b.d'?" when one is
// close. `config` is the object `a.b` whose keys are the candidates.
std::string unknown_key_message(const std::string& dotted_key, const nlohmann::json& parent);

// Keys whose children are free-form (a family's routed model sections, column
// roles, event names): their own keys are not checked against the defaults.
bool is_open_section(const std::string& dotted_key);

}  // namespace hybridrec
