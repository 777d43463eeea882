#pragma once
// The closed-form and matrix-factorisation families (issue #14): ease, itemknn,
// ials. One factory and one validation grid each, for their rows in the family
// table (model/model_families.cpp). Their settings live under model.<name>.* in
// configs/default.yaml.
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "model/recommender.h"

namespace hybridrec {

// EASE (Steck 2019): a dense item x item ridge regression solved in closed form.
std::unique_ptr<Recommender> make_ease(const nlohmann::json& config);
// model.ease.lambda auto: lambda_relative over a log grid (lambda = that times the
// mean diagonal of X^T X); a fixed number: no grid.
std::vector<nlohmann::json> ease_grid(const nlohmann::json& config, const Dataset& dataset);

// Item-item cosine kNN with the top model.itemknn.neighbors per item.
std::unique_ptr<Recommender> make_itemknn(const nlohmann::json& config);
std::vector<nlohmann::json> itemknn_grid(const nlohmann::json& config, const Dataset& dataset);

// Implicit ALS (Hu, Koren, Volinsky 2008) with Rendle et al. 2022's frequency-scaled
// regularisation and unobserved weight.
std::unique_ptr<Recommender> make_ials(const nlohmann::json& config);
std::vector<nlohmann::json> ials_grid(const nlohmann::json& config, const Dataset& dataset);

}  // namespace hybridrec
