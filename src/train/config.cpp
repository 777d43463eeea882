#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/text.h"
#include "default_config.h"  // generated from configs/default.yaml by CMake
#include "train/config_schema.h"

namespace hybridrec {

namespace {

nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // explicitly quoted: keep as string
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (errno == 0 && end && *end == '\0') return i;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (errno == 0 && end && *end == '\0') return d;
  return s;
}

// YAML aliases share one node, so a few lines (the "billion laughs" bomb) can
// expand to billions of values when converted; the conversion counts every value
// it makes and stops far above any real configuration (the defaults have ~150).
constexpr std::size_t kMaxYamlValues = 100000;
constexpr int kMaxYamlDepth = 64;

struct Expansion {
  std::string source;
  std::size_t values = 0;
  void count(int depth) {
    if (++values > kMaxYamlValues)
      throw ConfigError(source + ": more than " + std::to_string(kMaxYamlValues) +
                        " values after expanding aliases (a YAML alias bomb?); refused");
    if (depth > kMaxYamlDepth)
      throw ConfigError(source + ": nested deeper than " + std::to_string(kMaxYamlDepth) + " levels; refused");
  }
};

nlohmann::json node_to_json(const YAML::Node& node, Expansion& expansion, int depth = 0) {
  expansion.count(depth);
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) throw ConfigError(expansion.source + ": a map key must be plain text");
        j[kv.first.Scalar()] = node_to_json(kv.second, expansion, depth + 1);
      }
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : node) j.push_back(node_to_json(v, expansion, depth + 1));
      return j;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    default:
      return nullptr;
  }
}

}  // namespace

nlohmann::json yaml_to_json(const std::string& yaml_text, const std::string& source) {
  if (yaml_text.size() > kMaxConfigBytes)
    throw ConfigError(source + ": " + std::to_string(yaml_text.size()) + " bytes; a configuration is at most " +
                      std::to_string(kMaxConfigBytes) + " bytes");
  // YAML is UTF-8 text; other bytes would be carried into config.json, whose
  // writer (and every message quoting the value) cannot encode them.
  if (!is_valid_utf8(yaml_text)) {
    std::size_t line = 1, start = 0;
    for (auto end = yaml_text.find('\n'); end != std::string::npos && is_valid_utf8(std::string_view(yaml_text).substr(start, end - start));
         end = yaml_text.find('\n', start))
      ++line, start = end + 1;
    throw DataError(source, line, "", "not UTF-8 text (a configuration must be UTF-8)");
  }
  // yaml-cpp itself refuses nesting past its depth guard (DeepRecursion).
  Expansion expansion{source};
  try {
    return node_to_json(YAML::Load(yaml_text), expansion);
  } catch (const YAML::Exception& e) {
    throw DataError(source, e.mark.line >= 0 ? static_cast<std::size_t>(e.mark.line) + 1 : 0, "", e.msg);
  }
}

nlohmann::json default_config() { return yaml_to_json(kDefaultConfigYaml, "configs/default.yaml"); }

void merge_config(nlohmann::json& base, const nlohmann::json& overlay) {
  if (!overlay.is_object() || !base.is_object()) {
    base = overlay;
    return;
  }
  for (auto it = overlay.begin(); it != overlay.end(); ++it) {
    if (base.contains(it.key()) && base[it.key()].is_object() && it->is_object())
      merge_config(base[it.key()], *it);
    else
      base[it.key()] = *it;
  }
}

void apply_override(nlohmann::json& config, const std::string& assignment) {
  if (assignment.size() > kMaxConfigBytes) throw ConfigError("--set: the assignment is too long");
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set expects section.key=value, got '" + assignment + "'");
  std::string path = assignment.substr(0, eq);
  std::string value_text = assignment.substr(eq + 1);
  nlohmann::json value = yaml_to_json(value_text.empty() ? "null" : value_text, "--set " + path);
  nlohmann::json* node = &config;
  std::size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const std::string walked = path.substr(0, dot == std::string::npos ? std::string::npos : dot);
    const std::string parent = start == 0 ? "" : path.substr(0, start - 1);
    // A free-form section (column roles by column name) takes new keys.
    const bool open = node->is_object() && is_open_section(parent);
    if (!node->is_object() || (!node->contains(key) && !open))
      throw ConfigError("--set " + path + ": " + unknown_key_message(walked, *node));
    node = &(*node)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

nlohmann::json load_config(const std::optional<std::filesystem::path>& file, const std::vector<std::string>& overrides) {
  nlohmann::json config = default_config();
  std::string source = "configuration";
  if (file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(*file, ec);
    if (!ec && size > kMaxConfigBytes)
      throw ConfigError(file->string() + ": " + std::to_string(size) + " bytes; a configuration is at most " +
                        std::to_string(kMaxConfigBytes) + " bytes");
    nlohmann::json overlay = yaml_to_json(read_file(*file), file->string());
    if (overlay.is_null()) overlay = nlohmann::json::object();  // an empty file
    if (!overlay.is_object()) throw ConfigError(file->string() + ": expected a map of sections (model:, training:, ...)");
    // Unknown keys are refused by the file's name before --set is applied.
    nlohmann::json merged = config;
    merge_config(merged, overlay);
    check_config(merged, file->string());
    config = std::move(merged);
    source = file->string();
  }
  for (const auto& o : overrides) apply_override(config, o);
  check_config(config, overrides.empty() ? source : "--set");
  return config;
}

TrainingConfig TrainingConfig::from_json(const nlohmann::json& config) {
  TrainingConfig c;
  try {
    const auto& t = config.at("training");
    c.optimizer.learning_rate = t.value("learning_rate", c.optimizer.learning_rate);
    c.optimizer.beta1 = t.value("beta1", c.optimizer.beta1);
    c.optimizer.beta2 = t.value("beta2", c.optimizer.beta2);
    c.optimizer.weight_decay = t.value("weight_decay", c.optimizer.weight_decay);
    std::string mode = t.value("embedding_optimizer", std::string("lazy"));
    if (mode != "lazy" && mode != "dense")
      throw ConfigError("training.embedding_optimizer must be lazy or dense, got '" + mode + "'");
    c.optimizer.lazy_embeddings = mode == "lazy";
    c.batch_size = t.value("batch_size", c.batch_size);
    c.num_epochs = t.value("num_epochs", c.num_epochs);
    c.loss = parse_loss(t.value("loss_function", std::string("MSELoss")));
    c.early_stopping_patience = t.value("early_stopping_patience", c.early_stopping_patience);
    c.early_stopping_metric = t.value("early_stopping_metric", c.early_stopping_metric);
    if (t.contains("lr_scheduler")) {
      const auto& s = t["lr_scheduler"];
      c.lr_factor = s.value("factor", c.lr_factor);
      c.lr_patience = s.value("patience", c.lr_patience);
      c.min_lr = s.value("min_lr", c.min_lr);
    }
    c.threads = t.value("threads", c.threads);
    c.seed = t.value("seed", c.seed);
    const auto& d = config.at("data");
    c.negatives_per_positive = d.value("negative_sampling_ratio", c.negatives_per_positive);
  } catch (const nlohmann::json::exception&) {
    // check_config() names the key for a configuration that came through
    // load_config; this is a hand-built one (a library caller).
    throw ConfigError("configuration: a value under training: or data: has the wrong type (check_config names it)");
  }
  c.positives = PositiveWeighting::from_config(config);
  if (c.batch_size <= 0) throw ConfigError("training.batch_size must be positive");
  if (c.num_epochs <= 0) throw ConfigError("training.num_epochs must be positive");
  if (c.optimizer.learning_rate <= 0) throw ConfigError("training.learning_rate must be positive");
  if (c.negatives_per_positive < 1) throw ConfigError("data.negative_sampling_ratio must be at least 1");
  if (c.threads < 1) throw ConfigError("training.threads must be at least 1");
  return c;
}

}  // namespace hybridrec
