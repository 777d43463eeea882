#include "train/training_behaviour_file.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "model/safetensors.h"

namespace hybridrec {

namespace {

// x as hi + mid + lo, each a float; every subtraction is exact in double.
NamedTensor exact_tensor(const std::string& name, const std::vector<double>& values) {
  NamedTensor t{name, {static_cast<std::int64_t>(values.size()), 3}, {}};
  t.data.reserve(values.size() * 3);
  for (double x : values) {
    const float hi = static_cast<float>(x);
    const double r1 = std::isnan(x) ? 0.0 : x - static_cast<double>(hi);
    const float mid = static_cast<float>(r1);
    const float lo = static_cast<float>(r1 - static_cast<double>(mid));
    t.data.insert(t.data.end(), {hi, mid, lo});
  }
  return t;
}

template <class T>
NamedTensor exact_tensor(const std::string& name, const std::vector<T>& values) {
  return exact_tensor(name, std::vector<double>(values.begin(), values.end()));
}

std::vector<double> exact_values(const std::vector<NamedTensor>& tensors, const std::string& name,
                                 const std::filesystem::path& file, std::size_t expected_rows) {
  const NamedTensor& t = require_tensor(tensors, name, file);
  if (t.shape.size() != 2 || t.shape[1] != 3 || t.data.size() != static_cast<std::size_t>(t.shape[0]) * 3)
    throw DataError(file.string(), 0, name, "expected shape [n, 3] (value as three float parts)");
  const auto rows = static_cast<std::size_t>(t.shape[0]);
  if (expected_rows != SIZE_MAX && rows != expected_rows)
    throw DataError(file.string(), 0, name, "has " + std::to_string(rows) + " rows, expected " + std::to_string(expected_rows));
  std::vector<double> out(rows);
  for (std::size_t k = 0; k < rows; ++k)
    out[k] = static_cast<double>(t.data[3 * k]) + static_cast<double>(t.data[3 * k + 1]) +
             static_cast<double>(t.data[3 * k + 2]);
  return out;
}

template <class T>
std::vector<T> exact_integers(const std::vector<NamedTensor>& tensors, const std::string& name,
                              const std::filesystem::path& file, std::size_t expected_rows) {
  const auto values = exact_values(tensors, name, file, expected_rows);
  std::vector<T> out(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!(values[k] == std::floor(values[k])))
      throw DataError(file.string(), 0, name, "row " + std::to_string(k) + " is not an integer");
    out[k] = static_cast<T>(values[k]);
  }
  return out;
}

// CSR offsets: start at 0, never decrease, end at the values' count.
void check_offsets(const std::vector<std::uint32_t>& offsets, std::size_t values, const std::string& name,
                   const std::filesystem::path& file) {
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != values)
    throw DataError(file.string(), 0, name, "offsets must start at 0 and end at the value count");
  for (std::size_t k = 1; k < offsets.size(); ++k)
    if (offsets[k] < offsets[k - 1]) throw DataError(file.string(), 0, name, "offsets decrease at row " + std::to_string(k));
}

}  // namespace

void save_training_behaviour(const std::filesystem::path& file, const TrainingBehaviour& b) {
  save_safetensors(file, {exact_tensor("purchases", b.purchases),
                          exact_tensor("price_point_sum", b.price_point_sum),
                          exact_tensor("price_point_count", b.price_point_count),
                          exact_tensor("last_time", b.last_time),
                          exact_tensor("day_offsets", b.day_offsets),
                          exact_tensor("days", b.days),
                          exact_tensor("category_offsets", b.category_offsets),
                          exact_tensor("categories", b.categories),
                          exact_tensor("category_weights", b.category_weights),
                          exact_tensor("item_category", b.item_category),
                          exact_tensor("item_price_percentile", b.item_price_percentile)},
                   {{"format", "hybridrec.training_behaviour"}});
}

TrainingBehaviour load_training_behaviour(const std::filesystem::path& file, std::size_t num_users,
                                          std::size_t num_items) {
  const auto t = load_safetensors(file);
  TrainingBehaviour b;
  b.purchases = exact_values(t, "purchases", file, num_users);
  b.price_point_sum = exact_values(t, "price_point_sum", file, num_users);
  b.price_point_count = exact_integers<std::uint32_t>(t, "price_point_count", file, num_users);
  b.last_time = exact_integers<std::int64_t>(t, "last_time", file, num_users);
  b.day_offsets = exact_integers<std::uint32_t>(t, "day_offsets", file, num_users + 1);
  b.days = exact_integers<std::int64_t>(t, "days", file, SIZE_MAX);
  b.category_offsets = exact_integers<std::uint32_t>(t, "category_offsets", file, num_users + 1);
  b.categories = exact_integers<std::int32_t>(t, "categories", file, SIZE_MAX);
  b.category_weights = exact_values(t, "category_weights", file, b.categories.size());
  b.item_category = exact_integers<std::int32_t>(t, "item_category", file, num_items);
  b.item_price_percentile = exact_values(t, "item_price_percentile", file, num_items);
  check_offsets(b.day_offsets, b.days.size(), "day_offsets", file);
  check_offsets(b.category_offsets, b.categories.size(), "category_offsets", file);
  for (auto c : b.categories)
    if (c < 0) throw DataError(file.string(), 0, "categories", "negative category code");
  return b;
}

}  // namespace hybridrec
