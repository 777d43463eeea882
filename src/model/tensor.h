#pragma once
// A named, row-major float32 tensor: the unit of model files (safetensors) and
// checkpoints. Names follow the PyTorch state_dict of the specification's classes.
#include <cstdint>
#include <string>
#include <vector>

namespace hybridrec {

struct NamedTensor {
  std::string name;                 // e.g. "user_embedding.weight", "mlp.0.bias"
  std::vector<std::int64_t> shape;  // PyTorch shape, e.g. {out, in} for nn.Linear.weight
  std::vector<float> data;          // row-major, product(shape) values
};

}  // namespace hybridrec
