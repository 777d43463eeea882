#pragma once
// LoadOptions as configuration: the `data:` keys of configs/default.yaml that say
// how to read a dataset (format, separator, columns, weight_transform, split
// files). A run records the options it loaded with under the same keys, so
// `evaluate` and a baseline refit read the data exactly as training did.
#include <nlohmann/json.hpp>

#include "data/readers.h"

namespace hybridrec {

// Applies the keys present in `data` (the config's data section) to `options`;
// empty strings and "auto" leave an option as it is. Throws ConfigError naming
// the key for a value of the wrong type or an unknown column role.
void apply_data_config(const nlohmann::json& data, LoadOptions& options);

// The same keys for `options` (what apply_data_config reads back).
nlohmann::json load_options_to_json(const LoadOptions& options);

// Overlays the options set in `flags` (non-empty, non-default) onto `base`:
// command-line flags win over the configuration.
void overlay_load_options(const LoadOptions& flags, LoadOptions& base);

// "user,item,-,-,rating,time" -> {"user","item","-","-","rating","time"}.
std::vector<std::string> parse_column_list(const std::string& text);

}  // namespace hybridrec
