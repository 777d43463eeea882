// The baselines' fitted state in model.safetensors, so a saved baseline loads
// without its training data (docs/design/model-interface.md).
#include <algorithm>
#include <string>

#include "core/error.h"
#include "model/baselines.h"
#include "model/safetensors.h"

namespace hybridrec {

namespace {

NamedTensor vector_tensor(const std::string& name, std::vector<float> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return NamedTensor{name, {n}, std::move(values)};
}

std::vector<NamedTensor> load_model_file(const std::filesystem::path& dir, std::map<std::string, std::string>* meta,
                                         std::filesystem::path& file) {
  file = dir / "model.safetensors";
  if (!std::filesystem::exists(file)) throw DataError(file.string(), 0, "", "model artifact missing");
  return load_safetensors(file, meta);
}

// Integer-valued tensor entries (counts, category codes) back as integers; floats
// hold them exactly below 2^24, which save() checks.
template <typename T>
std::vector<T> as_integers(const NamedTensor& t, const std::filesystem::path& file) {
  std::vector<T> out(t.data.size());
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    if (t.data[i] < 0 || t.data[i] != static_cast<float>(static_cast<std::int64_t>(t.data[i])))
      throw DataError(file.string(), 0, t.name, "expected non-negative integers");
    out[i] = static_cast<T>(t.data[i]);
  }
  return out;
}

void check_exact(std::size_t value, const char* what) {
  if (value >= (std::size_t{1} << 24))
    throw Error(std::string("cannot save ") + what + " " + std::to_string(value) + " exactly as float32");
}

void check_items(std::size_t got, const LoadContext& context, const std::filesystem::path& file) {
  if (context.num_items != 0 && got != context.num_items)
    throw DataError(file.string(), 0, "", "the model scores " + std::to_string(got) + " items but the folder has " +
                                              std::to_string(context.num_items));
}

}  // namespace

PopularityBaseline PopularityBaseline::from_weights(std::span<const float> weights) {
  PopularityBaseline p;
  const float top = weights.empty() ? 0.0f : *std::max_element(weights.begin(), weights.end());
  p.scores_.assign(weights.size(), 0.0f);
  if (top > 0.0f)
    for (std::size_t i = 0; i < weights.size(); ++i) p.scores_[i] = weights[i] / top;
  return p;
}

void PopularityBaseline::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  save_safetensors(dir / "model.safetensors", {vector_tensor("item_scores", scores_)}, {{"model_type", type()}});
}

void PopularityBaseline::load(const std::filesystem::path& dir, const LoadContext& context) {
  std::filesystem::path file;
  const auto tensors = load_model_file(dir, nullptr, file);
  scores_ = require_tensor(tensors, "item_scores", file).data;
  check_items(scores_.size(), context, file);
}

void CategoryBaseline::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  std::vector<float> category_counts, category_codes;
  for (const auto& set : categories_) {
    category_counts.push_back(static_cast<float>(set.size()));
    for (auto c : set) check_exact(static_cast<std::size_t>(c), "category"), category_codes.push_back(static_cast<float>(c));
  }
  std::vector<float> share_counts, share_categories;
  for (std::size_t u = 0; u + 1 < share_offsets_.size(); ++u) {
    check_exact(share_offsets_[u + 1] - share_offsets_[u], "share count");
    share_counts.push_back(static_cast<float>(share_offsets_[u + 1] - share_offsets_[u]));
  }
  for (auto c : share_category_) share_categories.push_back(static_cast<float>(c));
  save_safetensors(dir / "model.safetensors",
                   {vector_tensor("item_popularity", popularity_), vector_tensor("item_category_counts", category_counts),
                    vector_tensor("item_categories", category_codes), vector_tensor("user_share_counts", share_counts),
                    vector_tensor("user_share_categories", share_categories),
                    vector_tensor("user_share_values", share_value_)},
                   {{"model_type", type()}, {"num_categories", std::to_string(num_categories_)}});
}

void CategoryBaseline::load(const std::filesystem::path& dir, const LoadContext& context) {
  std::filesystem::path file;
  std::map<std::string, std::string> meta;
  const auto tensors = load_model_file(dir, &meta, file);
  popularity_ = require_tensor(tensors, "item_popularity", file).data;
  check_items(popularity_.size(), context, file);
  const auto counts = as_integers<std::size_t>(require_tensor(tensors, "item_category_counts", file), file);
  const auto codes = as_integers<std::int32_t>(require_tensor(tensors, "item_categories", file), file);
  if (counts.size() != popularity_.size() && !counts.empty())
    throw DataError(file.string(), 0, "item_category_counts", "one count per item expected");
  categories_.assign(counts.size(), {});
  std::size_t pos = 0;
  num_categories_ = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (pos + counts[i] > codes.size()) throw DataError(file.string(), 0, "item_categories", "truncated");
    categories_[i].assign(codes.begin() + static_cast<std::ptrdiff_t>(pos),
                          codes.begin() + static_cast<std::ptrdiff_t>(pos + counts[i]));
    pos += counts[i];
    for (auto c : categories_[i]) num_categories_ = std::max<std::size_t>(num_categories_, static_cast<std::size_t>(c) + 1);
  }
  const auto share_counts = as_integers<std::size_t>(require_tensor(tensors, "user_share_counts", file), file);
  share_category_ = as_integers<std::int32_t>(require_tensor(tensors, "user_share_categories", file), file);
  share_value_ = require_tensor(tensors, "user_share_values", file).data;
  share_offsets_.assign(share_counts.size() + 1, 0);
  for (std::size_t u = 0; u < share_counts.size(); ++u) share_offsets_[u + 1] = share_offsets_[u] + share_counts[u];
  if (share_offsets_.back() != share_category_.size() || share_value_.size() != share_category_.size())
    throw DataError(file.string(), 0, "user_share_counts", "the shares' counts, categories and values disagree");
  for (auto c : share_category_)
    if (static_cast<std::size_t>(c) >= num_categories_) throw DataError(file.string(), 0, "user_share_categories", "unknown category");
}

void RandomBaseline::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  save_safetensors(dir / "model.safetensors", {},
                   {{"model_type", type()}, {"seed", std::to_string(seed_)}, {"num_items", std::to_string(num_items_)}});
}

void RandomBaseline::load(const std::filesystem::path& dir, const LoadContext& context) {
  std::filesystem::path file;
  std::map<std::string, std::string> meta;
  load_model_file(dir, &meta, file);
  try {
    seed_ = std::stoull(meta.at("seed"));
    num_items_ = std::stoull(meta.at("num_items"));
  } catch (const std::exception&) {
    throw DataError(file.string(), 0, "__metadata__", "the random baseline needs 'seed' and 'num_items'");
  }
  check_items(num_items_, context, file);
}

}  // namespace hybridrec
