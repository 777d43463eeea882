#pragma once
// Small hand-made datasets and recommenders for the eval tests: every expected
// value in these tests can be worked out on paper from them.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "core/error.h"
#include "data/split.h"
#include "model/recommender.h"

namespace hybridrec::testing {

enum class Part { Train, Validation, Test };

// A dataset of num_users x num_items (ids "u0", "i0", ...) with an empty split.
struct Fixture {
  Dataset dataset;
  Split split;

  Fixture(std::size_t num_users, std::size_t num_items) {
    for (std::size_t u = 0; u < num_users; ++u) dataset.users.intern("u" + std::to_string(u));
    for (std::size_t i = 0; i < num_items; ++i) dataset.items.intern("i" + std::to_string(i));
  }

  void add(std::uint32_t user, std::uint32_t item, Part part, Event event = Event::Rating,
           float value = std::numeric_limits<float>::quiet_NaN()) {
    Interaction x;
    x.user = user;
    x.item = item;
    x.event = event;
    x.value = value;
    x.timestamp = static_cast<std::int64_t>(dataset.interactions.size());
    const auto index = static_cast<std::uint32_t>(dataset.interactions.size());
    dataset.interactions.push_back(x);
    (part == Part::Train ? split.train : part == Part::Validation ? split.validation : split.test).push_back(index);
  }

  // A categorical attribute column (single-valued) on items or users.
  static void set_categorical(AttributeTable& table, const std::string& name, const std::vector<std::string>& values) {
    AttributeColumn column;
    column.name = name;
    for (const auto& v : values) column.codes.push_back(v.empty() ? -1 : column.intern(v));
    table.columns.push_back(std::move(column));
  }
};

// Scores from a function of (user, item); records every user it was asked to rank.
class FunctionModel : public Recommender {
 public:
  using Fn = std::function<float(std::uint32_t, std::uint32_t)>;
  FunctionModel(std::size_t num_items, Fn fn, bool serves_cold = true, std::string name = "function")
      : num_items_(num_items), fn_(std::move(fn)), serves_cold_(serves_cold), name_(std::move(name)) {}

  std::string type() const override { return name_; }
  void fit(const TrainingContext&) override {}
  std::size_t num_items() const override { return num_items_; }
  void score_all(std::span<const std::uint32_t> users, float* out) const override {
    {
      std::lock_guard lock(mutex_);
      ranked_users_.insert(users.begin(), users.end());
    }
    for (std::size_t u = 0; u < users.size(); ++u)
      for (std::uint32_t i = 0; i < num_items_; ++i) out[u * num_items_ + i] = fn_(users[u], i);
  }
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override {
    std::lock_guard lock(mutex_);
    for (std::size_t k = 0; k < items.size(); ++k) {
      pair_users_.insert(users[k]);
      scored_pairs_.emplace_back(users[k], items[k]);
      out[k] = fn_(users[k], items[k]);
    }
  }
  bool serves_cold_users() const override { return serves_cold_; }
  // A scoring function has no fitted state to keep; evaluation tests never save it.
  void save(const std::filesystem::path&) const override { throw Error("FunctionModel is not saved"); }
  void load(const std::filesystem::path&, const LoadContext&) override { throw Error("FunctionModel is not loaded"); }

  std::set<std::uint32_t> ranked_users() const { return ranked_users_; }
  std::set<std::uint32_t> pair_users() const { return pair_users_; }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> scored_pairs() const { return scored_pairs_; }

 private:
  std::size_t num_items_;
  Fn fn_;
  bool serves_cold_;
  std::string name_;
  mutable std::mutex mutex_;
  mutable std::set<std::uint32_t> ranked_users_, pair_users_;
  mutable std::vector<std::pair<std::uint32_t, std::uint32_t>> scored_pairs_;
};

// 1 for the (user, item) pairs of `part`, 0 elsewhere: a perfect recommender.
inline FunctionModel oracle(const Fixture& f, Part part, bool serves_cold = true) {
  const auto& indices = part == Part::Test ? f.split.test : f.split.validation;
  std::set<std::pair<std::uint32_t, std::uint32_t>> relevant;
  for (auto index : indices) relevant.emplace(f.dataset.interactions[index].user, f.dataset.interactions[index].item);
  return FunctionModel(
      f.dataset.num_items(), [relevant](std::uint32_t u, std::uint32_t i) { return relevant.count({u, i}) ? 1.0f : 0.0f; },
      serves_cold, "oracle");
}

}  // namespace hybridrec::testing
