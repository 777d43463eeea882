#pragma once
// Sizes of the neural models; every number in the specification is a value here,
// read from the `model:` section of the configuration.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

struct ModelConfig {
  std::string type = "hybrid";             // hybrid | ncf
  int embedding_dim = 50;                  // user and item id embeddings
  std::vector<int> hidden_layers{128, 64, 32};
  float dropout_rate = 0.2f;               // after the first two hidden layers (the specification's NCF)
  int content_dim = 64;                    // user and item Dense layers of the content branch
  int feature_embedding_dim = 10;          // favourite category, category, brand embeddings

  static ModelConfig from_json(const nlohmann::json& model_section);
  nlohmann::json to_json() const;
};

}  // namespace hybridrec
