#pragma once
// Sizes of the neural models; every number in the specification is a value here,
// read from the `model:` section of the configuration.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

struct ModelConfig {
  std::string type = "hybrid";             // the network layout: hybrid | ncf (the family sets it)
  int embedding_dim = 50;                  // user and item id embeddings
  std::vector<int> hidden_layers{128, 64, 32};
  float dropout_rate = 0.2f;               // after the first two hidden layers (the specification's NCF)
  int content_dim = 64;                    // user and item Dense layers of the content branch
  int feature_embedding_dim = 10;          // favourite category, category, brand embeddings
  // hybrid: probability that a training sample's user id (and, independently, its
  // item id) is replaced by the learned "unknown" row, as in DropoutNet (Volkovs
  // et al., 2017). The network then learns to score from content features alone,
  // which is exactly the path a user or item unseen in training takes. 0 keeps the
  // unknown rows at the mean of the trained rows instead.
  float id_dropout_rate = 0.0f;
  // `auto` in the configuration (configs/default.yaml): the rate is the share of
  // new users and items measured on the data (model/id_dropout_choice.h), which
  // the pipeline resolves and writes back as a number before anything trains. The
  // struct keeps 0 = off for networks built by hand (tests, PyTorch fixtures).
  bool id_dropout_auto = false;
  // The GMF branch of NeuMF (He et al., 2017): a second pair of id embeddings of
  // this size whose element-wise product joins the last hidden layer before the
  // output Linear. 0 = off (the plain MLP). ncf with gmf_dim > 0 is NeuMF.
  int gmf_dim = 0;

  // Whether training hides ids at all: a resolved rate above 0, or an auto one
  // (whose rule never gives 0).
  bool uses_id_dropout() const { return id_dropout_auto || id_dropout_rate > 0.0f; }

  static ModelConfig from_json(const nlohmann::json& model_section);
  nlohmann::json to_json() const;
};

}  // namespace hybridrec
