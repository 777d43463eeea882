#include "train/config_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/model_families.h"
#include "train/config.h"

namespace hybridrec {

namespace {

using nlohmann::json;

enum class Kind { integer, number, text, integer_list, text_list };

// One key's rule. Numbers: [lo, hi] with open ends where flagged. Text: one of
// `choices` (empty: any text; "@families" / "@baselines": the family table's names).
struct Rule {
  std::string key;
  Kind kind = Kind::number;
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;
  std::vector<std::string> choices;
  bool auto_ok = false;  // "auto": chosen from the data (on validation)
  bool null_ok = false;  // null: "use the other setting" (a family's seed -> training.seed)
  bool non_empty = false;  // lists
};

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: exact in a JSON double too

Rule make_rule(std::string key, Kind kind, double lo = 0, double hi = 0) {
  Rule r;
  r.key = std::move(key);
  r.kind = kind;
  r.lo = lo;
  r.hi = hi;
  return r;
}
Rule integer(std::string key, double lo, double hi) { return make_rule(std::move(key), Kind::integer, lo, hi); }
Rule number(std::string key, double lo, double hi, bool lo_open = false, bool hi_open = false) {
  Rule r = make_rule(std::move(key), Kind::number, lo, hi);
  r.lo_open = lo_open;
  r.hi_open = hi_open;
  return r;
}
Rule text(std::string key, std::vector<std::string> choices) {
  Rule r = make_rule(std::move(key), Kind::text);
  r.choices = std::move(choices);
  return r;
}
Rule with_auto(Rule r) { return r.auto_ok = true, r; }
Rule with_null(Rule r) { return r.null_ok = true, r; }
Rule integer_list(std::string key, double lo, double hi) {
  Rule r = make_rule(std::move(key), Kind::integer_list, lo, hi);
  r.non_empty = true;
  return r;
}
Rule text_list(std::string key, std::vector<std::string> choices) {
  Rule r = make_rule(std::move(key), Kind::text_list);
  r.choices = std::move(choices);
  return r;
}

// Every number, enumeration and list of configs/default.yaml. Ranges are wide
// enough for any real dataset and narrow enough that a typo (an extra zero, a
// fraction where a count belongs) is refused before anything is allocated.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = [] {
    std::vector<Rule> r;
    r.push_back(text("model.type", {"@families", "auto"}));
    r.push_back(integer("model.embedding_dim", 1, 4096));
    r.push_back(integer_list("model.hidden_layers", 1, 65536));
    r.push_back(number("model.dropout_rate", 0, 1, false, true));
    r.push_back(integer("model.content_dim", 1, 4096));
    r.push_back(integer("model.feature_embedding_dim", 1, 1024));
    r.push_back(with_auto(number("model.id_dropout_rate", 0, 1, false, true)));
    r.push_back(text("model.cold_user_path", {"auto", "content", "popularity"}));
    r.push_back(with_auto(number("model.ease.lambda", 0, 1e12, true)));
    r.push_back(number("model.ease.lambda_relative", 0, 1e6, true));
    r.push_back(number("model.ease.max_memory_gb", 0, 1e6));
    r.push_back(text("model.ease.precision", {"float", "double"}));
    r.push_back(with_auto(integer("model.itemknn.neighbors", 1, 100000)));
    r.push_back(number("model.itemknn.shrinkage", 0, 1e6));
    r.push_back(with_auto(integer("model.ials.factors", 1, 4096)));
    r.push_back(with_auto(number("model.ials.regularization", 0, 1e6)));
    r.push_back(number("model.ials.unobserved_weight", 0, 1e6));
    r.push_back(number("model.ials.alpha", 0, 1e6));
    r.push_back(integer("model.ials.iterations", 1, 1000));
    r.push_back(text("model.ials.solver", {"cg", "cholesky"}));
    r.push_back(integer("model.ials.cg_steps", 1, 100));
    r.push_back(number("model.ials.init_scale", 0, 100, true));
    r.push_back(with_null(integer("model.ials.seed", 0, kMaxSeed)));
    r.push_back(integer("model.gmf_dim", 0, 4096));
    r.push_back(integer("model.mf.factors", 1, 4096));
    r.push_back(number("model.mf.learning_rate", 0, 10, true));
    r.push_back(number("model.mf.regularization", 0, 1000));
    r.push_back(integer("model.mf.epochs", 1, 100000));
    r.push_back(with_null(integer("model.mf.seed", 0, kMaxSeed)));
    r.push_back(number("model.auto.budget_minutes", 0, 1e6, true));
    r.push_back(text_list("model.auto.families", {"@families"}));

    r.push_back(number("training.learning_rate", 0, 10, true));
    r.push_back(integer("training.batch_size", 1, 1 << 24));
    r.push_back(integer("training.num_epochs", 1, 100000));
    r.push_back(text("training.optimizer", {"Adam"}));
    r.push_back(number("training.beta1", 0, 1, false, true));
    r.push_back(number("training.beta2", 0, 1, false, true));
    r.push_back(number("training.weight_decay", 0, 1000));
    r.push_back(text("training.embedding_optimizer", {"lazy", "dense"}));
    r.push_back(text("training.loss_function", {"MSELoss", "BCELoss", "BPRLoss"}));
    r.push_back(integer("training.early_stopping_patience", 0, 100000));
    r.push_back(text("training.lr_scheduler.type", {"ReduceLROnPlateau"}));
    r.push_back(number("training.lr_scheduler.factor", 0, 1, true));
    r.push_back(integer("training.lr_scheduler.patience", 0, 100000));
    r.push_back(number("training.lr_scheduler.min_lr", 0, 10));
    r.push_back(integer("training.threads", 1, 1024));
    r.push_back(integer("training.seed", 0, kMaxSeed));
    r.push_back(number("training.max_memory_gb", 0, 1e6));

    r.push_back(text("data.format", {"auto", "canonical", "movielens-100k", "movielens-1m", "movielens-10m",
                                     "movielens-latest", "generic", "jsonl"}));
    r.push_back(text("data.weight_transform", {"raw", "log1p", "binary"}));
    r.push_back(text("data.split", {"temporal", "user_temporal", "user_random", "leave_one_out", "files", "column"}));
    r.push_back(number("data.train_ratio", 0, 1));
    r.push_back(number("data.val_ratio", 0, 1));
    r.push_back(number("data.test_ratio", 0, 1));
    r.push_back(integer("data.last_n", 0, 1000000));
    r.push_back(with_null(integer("data.split_seed", 0, kMaxSeed)));
    r.push_back(integer("data.negative_sampling_ratio", 1, 1000));
    for (const char* e : {"view", "add_to_cart", "purchase", "rating"})
      r.push_back(number(std::string("data.event_weights.") + e, 0, 1e6));
    r.push_back(with_auto(number("data.recency_half_life_days", 0, 1e6)));
    r.push_back(text("data.recency_mode", {"sample", "weight"}));

    r.push_back(integer("content_features.max_one_hot", 0, 100000));
    for (const char* e : {"view_weight", "cart_weight", "purchase_weight", "rating_weight"})
      r.push_back(number(std::string("content_features.") + e, 0, 1e6));
    r.push_back(integer("content_features.trending_window_days", 1, 36500));

    for (const char* e : {"view", "add_to_cart", "purchase", "rating"})
      r.push_back(number(std::string("baselines.popularity_weights.") + e, 0, 1e6));

    r.push_back(integer_list("evaluation.k", 1, 10000));
    r.push_back(text_list("evaluation.baselines", {"@baselines"}));
    r.push_back(integer("evaluation.validation_users", 0, 1e9));
    r.push_back(integer("evaluation.test_users", 0, 1e9));
    return r;
  }();
  return table;
}

// Free-form sections: column roles by column name, and the routed family's
// model sections (checked by the family itself when it is built).
const std::vector<std::string> kOpenSections = {"data.item_roles", "data.user_roles", "model.routed"};

const Rule* find_rule(const std::string& key) {
  for (const auto& r : rules())
    if (r.key == key) return &r;
  return nullptr;
}

std::vector<std::string> expand_choices(const std::vector<std::string>& choices) {
  std::vector<std::string> out;
  for (const auto& c : choices) {
    if (c == "@families") {
      for (const auto& n : model_family_names()) out.push_back(n);
    } else if (c == "@baselines") {
      for (const auto& f : model_families())
        if (f.baseline) out.push_back(f.name);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string format_bound(double v) {
  if (v == kMaxSeed) return "2^53";
  if (v == static_cast<double>(1 << 24)) return "2^24";
  return fmt::format("{:g}", v);
}

std::string describe(const Rule& r) {
  std::string prefix = std::string(r.null_ok ? "null or " : "") + (r.auto_ok ? "auto or " : "");
  switch (r.kind) {
    case Kind::integer:
      return prefix + fmt::format("an integer in [{}, {}]", format_bound(r.lo), format_bound(r.hi));
    case Kind::number:
      return prefix + fmt::format("a number in {}{}, {}{}", r.lo_open ? "(" : "[", format_bound(r.lo),
                                  format_bound(r.hi), r.hi_open ? ")" : "]");
    case Kind::integer_list:
      return prefix + fmt::format("a non-empty list of integers in [{}, {}]", format_bound(r.lo), format_bound(r.hi));
    case Kind::text:
    case Kind::text_list: {
      const auto choices = expand_choices(r.choices);
      std::string joined;
      for (const auto& c : choices) joined += (joined.empty() ? "" : " | ") + c;
      return prefix + (r.kind == Kind::text_list ? "a list of: " : "one of: ") + joined;
    }
  }
  return "";
}

// The value as the user wrote it, for messages (short, one line).
std::string shown(const json& v) {
  // Replace, not throw, on bytes that are not UTF-8: a refusal must never fail to print.
  std::string s = v.is_number_float() ? fmt::format("{:g}", v.get<double>())
                                      : v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

[[noreturn]] void refuse(const std::string& source, const std::string& key, const json& value, const Rule& rule,
                         const std::string& why) {
  throw ConfigError(fmt::format("{}: {} = {} {}; allowed: {}", source, key, shown(value), why, describe(rule)));
}

bool in_range(double x, const Rule& r) {
  if (r.lo_open ? !(x > r.lo) : !(x >= r.lo)) return false;
  if (r.hi_open ? !(x < r.hi) : !(x <= r.hi)) return false;
  return true;
}

// Checks one number against an integer or number rule; rewrites an integral float.
void check_number(json& v, const Rule& r, bool integral, const std::string& source, const std::string& key) {
  if (v.is_boolean() || !v.is_number()) refuse(source, key, v, r, "is not a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) refuse(source, key, v, r, "is not finite");
  if (integral && v.is_number_float()) {
    if (x != std::floor(x)) refuse(source, key, v, r, "is not an integer");
    if (in_range(x, r)) v = static_cast<std::int64_t>(x);
  }
  if (!in_range(x, r)) refuse(source, key, v, r, "is out of range");
}

void check_text(const json& v, const Rule& r, const std::string& source, const std::string& key) {
  if (!v.is_string()) refuse(source, key, v, r, "is not text");
  const auto choices = expand_choices(r.choices);
  if (!choices.empty() && std::find(choices.begin(), choices.end(), v.get<std::string>()) == choices.end()) {
    const std::string near = closest_key(v.get<std::string>(), choices);
    refuse(source, key, v, r, near.empty() ? "is not allowed" : "is not allowed (did you mean '" + near + "'?)");
  }
}

void check_rule(json& v, const Rule& r, const std::string& source, const std::string& key) {
  if (v.is_null() && r.null_ok) return;
  if (v.is_string() && v.get<std::string>() == "auto" && r.auto_ok) return;
  switch (r.kind) {
    case Kind::integer: return check_number(v, r, true, source, key);
    case Kind::number: return check_number(v, r, false, source, key);
    case Kind::text: return check_text(v, r, source, key);
    case Kind::integer_list:
    case Kind::text_list: {
      if (!v.is_array()) refuse(source, key, v, r, "is not a list");
      if (r.non_empty && v.empty()) refuse(source, key, v, r, "is empty");
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string element = fmt::format("{}[{}]", key, i);
        if (r.kind == Kind::integer_list)
          check_number(v[i], r, true, source, element);
        else
          check_text(v[i], r, source, element);
      }
      return;
    }
  }
}

std::string kind_name(const json& d) {
  if (d.is_boolean()) return "true or false";
  if (d.is_string()) return "text";
  if (d.is_array()) return "a list";
  if (d.is_object()) return "a section of keys";
  return "a value";
}

// Columns are named or given by 1-based position (data/load_config.h).
bool column_reference(const std::string& key) {
  return key.rfind("data.columns.", 0) == 0 || key == "data.item_key" || key == "data.user_key";
}

bool same_kind(const json& v, const json& d, const std::string& key) {
  if (d.is_boolean()) return v.is_boolean();
  // An empty YAML value (`items:`) is null: the same as "".
  if (d.is_string()) return v.is_string() || v.is_null() || (column_reference(key) && v.is_number_integer());
  if (d.is_array()) return v.is_array();
  if (d.is_object()) return v.is_object();
  return true;
}

void check_node(json& v, const json& d, const std::string& key, const std::string& source) {
  if (const Rule* r = find_rule(key)) return check_rule(v, *r, source, key);
  if (is_open_section(key)) {
    if (!v.is_object()) throw ConfigError(fmt::format("{}: {} = {} is not a section of keys", source, key, shown(v)));
    return;
  }
  if (!same_kind(v, d, key))
    throw ConfigError(fmt::format("{}: {} = {} is not {}", source, key, shown(v), kind_name(d)));
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string child = key.empty() ? it.key() : key + "." + it.key();
      if (!d.contains(it.key())) throw ConfigError(source + ": " + unknown_key_message(child, d));
      check_node(it.value(), d.at(it.key()), child, source);
    }
  } else if (v.is_array()) {
    // A list of text in the defaults (column_order, item_links): text elements.
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!v[i].is_string())
        throw ConfigError(fmt::format("{}: {}[{}] = {} is not text", source, key, i, shown(v[i])));
  }
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Every leaf's dotted key of the defaults (for a key put in the wrong section).
void dotted_keys(const json& node, const std::string& prefix, std::vector<std::string>& out) {
  if (!node.is_object() || is_open_section(prefix)) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string k = prefix.empty() ? it.key() : prefix + "." + it.key();
    out.push_back(k);
    dotted_keys(it.value(), k, out);
  }
}

}  // namespace

bool is_open_section(const std::string& key) {
  return std::find(kOpenSections.begin(), kOpenSections.end(), key) != kOpenSections.end();
}

std::string closest_key(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(key, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  // Close enough to be a typo: two edits (a swapped pair of letters) or a third
  // of a long word, and never the whole word.
  const std::size_t allowed = std::max<std::size_t>(2, key.size() / 3);
  return best_distance <= allowed && best_distance < key.size() ? best : "";
}

std::string unknown_key_message(const std::string& dotted_key, const json& parent) {
  const auto dot = dotted_key.rfind('.');
  const std::string leaf = dot == std::string::npos ? dotted_key : dotted_key.substr(dot + 1);
  const std::string prefix = dot == std::string::npos ? "" : dotted_key.substr(0, dot + 1);
  std::vector<std::string> siblings;
  if (parent.is_object())
    for (auto it = parent.begin(); it != parent.end(); ++it) siblings.push_back(it.key());
  std::string suggestion;
  if (const std::string near = closest_key(leaf, siblings); !near.empty()) {
    suggestion = prefix + near;
  } else {
    // The same name in another section (embedding_dim under training: instead of model:).
    std::vector<std::string> all;
    dotted_keys(default_config(), "", all);
    for (const auto& k : all)
      if (k.size() > leaf.size() && k.compare(k.size() - leaf.size() - 1, std::string::npos, "." + leaf) == 0) {
        suggestion = k;
        break;
      }
  }
  return "unknown configuration key '" + dotted_key + "'" +
         (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?");
}

void check_config(json& config, const std::string& source) {
  const json defaults = default_config();
  if (!config.is_object()) throw ConfigError(source + ": the configuration must be a map of sections");
  check_node(config, defaults, "", source);
  const auto& d = config.at("data");
  const double sum = d.at("train_ratio").get<double>() + d.at("val_ratio").get<double>() + d.at("test_ratio").get<double>();
  if (std::abs(sum - 1.0) > 1e-6)
    throw ConfigError(fmt::format("{}: data.train_ratio + data.val_ratio + data.test_ratio = {:g} + {:g} + {:g} = {:.9g}; "
                                  "they must sum to 1 (within 1e-6)",
                                  source, d["train_ratio"].get<double>(), d["val_ratio"].get<double>(),
                                  d["test_ratio"].get<double>(), sum));
}

std::string config_key_range(const std::string& key) {
  const Rule* r = find_rule(key);
  return r ? describe(*r) : "";
}

std::vector<std::string> config_rule_keys() {
  std::vector<std::string> keys;
  for (const auto& r : rules()) keys.push_back(r.key);
  return keys;
}

}  // namespace hybridrec
