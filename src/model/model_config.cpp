#include "model/model_config.h"

#include "core/error.h"

namespace hybridrec {

ModelConfig ModelConfig::from_json(const nlohmann::json& m) {
  ModelConfig c;
  try {
    c.type = m.value("type", c.type);
    c.embedding_dim = m.value("embedding_dim", c.embedding_dim);
    if (m.contains("hidden_layers")) c.hidden_layers = m.at("hidden_layers").get<std::vector<int>>();
    c.dropout_rate = m.value("dropout_rate", c.dropout_rate);
    c.content_dim = m.value("content_dim", c.content_dim);
    c.feature_embedding_dim = m.value("feature_embedding_dim", c.feature_embedding_dim);
    if (m.contains("id_dropout_rate") && m["id_dropout_rate"] == "auto")
      c.id_dropout_auto = true;  // resolved from the data (model/id_dropout_choice.h)
    else
      c.id_dropout_rate = m.value("id_dropout_rate", c.id_dropout_rate);
    c.gmf_dim = m.value("gmf_dim", c.gmf_dim);
  } catch (const nlohmann::json::exception&) {
    // A configuration from load_config() was checked key by key (train/config_schema.h);
    // only a hand-built one gets here, and the library's text would not name the key.
    throw ConfigError("model configuration: a value under model: has the wrong type (embedding_dim, hidden_layers, "
                      "dropout_rate, content_dim, feature_embedding_dim, id_dropout_rate, gmf_dim)");
  }
  if (c.embedding_dim <= 0) throw ConfigError("model.embedding_dim must be positive");
  if (c.hidden_layers.empty()) throw ConfigError("model.hidden_layers must not be empty");
  for (int h : c.hidden_layers)
    if (h <= 0) throw ConfigError("model.hidden_layers must be positive");
  if (c.dropout_rate < 0.0f || c.dropout_rate >= 1.0f) throw ConfigError("model.dropout_rate must be in [0, 1)");
  if (c.id_dropout_rate < 0.0f || c.id_dropout_rate >= 1.0f) throw ConfigError("model.id_dropout_rate must be in [0, 1)");
  if (c.gmf_dim < 0) throw ConfigError("model.gmf_dim must be 0 (off) or positive");
  return c;
}

nlohmann::json ModelConfig::to_json() const {
  return {{"type", type},
          {"embedding_dim", embedding_dim},
          {"hidden_layers", hidden_layers},
          {"dropout_rate", dropout_rate},
          {"content_dim", content_dim},
          {"feature_embedding_dim", feature_embedding_dim},
          {"id_dropout_rate", id_dropout_auto ? nlohmann::json("auto") : nlohmann::json(id_dropout_rate)},
          {"gmf_dim", gmf_dim}};
}

}  // namespace hybridrec
