#include "model/family_ease.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>

#include <Eigen/Cholesky>

#include "core/error.h"
#include "core/system_memory.h"
#include "model/closed_form_families.h"
#include "model/safetensors.h"

namespace hybridrec {
namespace {

constexpr const char* kFamily = "ease";
// The validation grid of lambda_relative: factor-2 steps around 1 (lambda equal
// to the mean item's squared norm), wide enough for Steck's published lambdas
// (0.25 to 1 times the mean diagonal on ML-20M, Netflix, MSD) and small data.
constexpr double kRelativeGrid[] = {0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0};

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  return text;
}

// P = (G + lambda I)^-1 by Cholesky in Scalar precision, then B = -P / diag(P)
// column-wise with a zero diagonal. `gram` (double, lambda added) is released on
// the way, so that at most G and P are alive at once. The column blocks of the
// identity are solved in parallel (LLT::solveInPlace is const), one per thread.
template <typename Scalar>
void invert_to_weights(Eigen::MatrixXd& gram_double, int threads, RowMatrix& weights) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const Eigen::Index n = gram_double.rows();
  Matrix gram;
  if constexpr (std::is_same_v<Scalar, double>) {
    gram.swap(gram_double);
  } else {
    gram = gram_double.cast<Scalar>();
    gram_double.resize(0, 0);
  }
  Matrix inverse = Matrix::Identity(n, n);
  {
    EigenThreadsScope eigen_threads(threads);
    Eigen::LLT<Eigen::Ref<Matrix>> llt(gram);  // factorises G in place
    if (llt.info() != Eigen::Success) throw Error("ease: X^T X + lambda I is not positive definite");
    const Eigen::Index block = std::max<Eigen::Index>(64, (n + threads - 1) / threads);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (Eigen::Index start = 0; start < n; start += block) {
      const Eigen::Index width = std::min(block, n - start);
      llt.solveInPlace(inverse.middleCols(start, width));  // in place: no temporary beyond G and P
    }
  }
  gram.resize(0, 0);
  weights.resize(n, n);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      weights(i, j) = i == j ? 0.0f : static_cast<float>(-inverse(i, j) / inverse(j, j));
}

}  // namespace

EaseRecommender::EaseRecommender(const nlohmann::json& config) {
  if (const nlohmann::json* lambda = family_setting(config, kFamily, "lambda")) {
    if (lambda->is_string() && lambda->get<std::string>() == "auto") {
      lambda_setting_ = -1.0;
    } else if (lambda->is_number() && lambda->get<double>() > 0) {
      lambda_setting_ = lambda->get<double>();
    } else {
      throw ConfigError("model.ease.lambda must be auto or a positive number (got " + lambda->dump() + ")");
    }
  }
  lambda_relative_ = family_number(config, kFamily, "lambda_relative", lambda_relative_);
  if (lambda_relative_ <= 0) throw ConfigError("model.ease.lambda_relative must be positive");
  max_memory_gb_ = family_number(config, kFamily, "max_memory_gb", 0.0);
  if (const nlohmann::json* precision = family_setting(config, kFamily, "precision")) {
    const std::string name = precision->is_string() ? precision->get<std::string>() : "";
    if (name != "float" && name != "double")
      throw ConfigError("model.ease.precision must be float or double (got " + precision->dump() + ")");
    single_precision_ = name == "float";
  }
  if (max_memory_gb_ < 0) throw ConfigError("model.ease.max_memory_gb must be 0 (half the memory) or positive");
}

double EaseRecommender::fit_bytes(std::size_t num_items, bool single_precision) {
  const double n2 = static_cast<double>(num_items) * static_cast<double>(num_items);
  // double: G (factorised in place) and P live together, B (float) replaces G.
  // float: G is summed in double and copied to float (8 + 4), then P and B (4 + 4).
  return (single_precision ? 12.0 : 16.0) * n2;
}

void EaseRecommender::check_memory(std::size_t num_items) const {
  const double limit = max_memory_gb_ > 0 ? max_memory_gb_ * 1e9 : 0.5 * physical_memory_bytes();
  const double need = fit_bytes(num_items, single_precision_);
  if (limit > 0 && need > limit)
    throw ConfigError("ease: a catalogue of " + std::to_string(num_items) + " items needs about " + gigabytes(need) +
                       " for its dense item x item matrices (X^T X and its inverse), more than the " +
                      gigabytes(limit) +
                      " allowed (model.ease.max_memory_gb; default half the physical memory). "
                      "Use ials or itemknn for a catalogue this large.");
}

void EaseRecommender::fit(const TrainingContext& context) {
  const auto n = static_cast<Eigen::Index>(context.dataset->num_items());
  check_memory(static_cast<std::size_t>(n));  // from the count alone, before any allocation
  threads_ = std::max(1, context.threads);
  history_ = training_matrix(context, kFamily);
  const SparseRowMatrix by_item = transpose_rows(history_);

  // G = X^T X, one column per item (G is symmetric, so column a = row a): column a
  // sums x_ua X_u over the users u of item a, each column written by one thread.
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(n, n);
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads_)
  for (Eigen::Index a = 0; a < n; ++a) {
    double* column = gram.col(a).data();
    for (SparseRowMatrix::InnerIterator ua(by_item, a); ua; ++ua) {
      const double xa = ua.value();
      for (SparseRowMatrix::InnerIterator ub(history_, ua.col()); ub; ++ub) column[ub.col()] += xa * ub.value();
    }
  }
  lambda_ = lambda_setting_ > 0 ? lambda_setting_ : lambda_relative_ * gram.trace() / std::max<double>(1.0, n);
  if (!(lambda_ > 0)) lambda_ = lambda_relative_;  // no training data: any ridge keeps G + lambda I invertible
  gram.diagonal().array() += lambda_;

  if (single_precision_)
    invert_to_weights<float>(gram, threads_, weights_);
  else
    invert_to_weights<double>(gram, threads_, weights_);
}

void EaseRecommender::score_history(const SparseRowMatrix& history_row, float* out) const {
  const Eigen::Index n = weights_.cols();
  std::fill(out, out + n, 0.0f);
  // Row accumulation in history order with fma: score_pairs sums the same terms
  // in the same order, so both agree bit for bit.
  for (SparseRowMatrix::InnerIterator it(history_row, 0); it; ++it) {
    const float x = it.value();
    const float* row = weights_.row(it.col()).data();
    for (Eigen::Index i = 0; i < n; ++i) out[i] = std::fma(x, row[i], out[i]);
  }
}

void EaseRecommender::score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                                float* out_all_items) const {
  score_history(fold_in_row(history_, trained_user, online, static_cast<std::int64_t>(num_items())), out_all_items);
}

void EaseRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  const Eigen::Index n = weights_.cols();
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads_)
  for (std::size_t k = 0; k < users.size(); ++k) {
    float* row_out = out + k * static_cast<std::size_t>(n);
    std::fill(row_out, row_out + n, 0.0f);
    if (users[k] >= history_.rows()) continue;  // a user unknown to training: zeros
    for (SparseRowMatrix::InnerIterator it(history_, users[k]); it; ++it) {
      const float x = it.value();
      const float* row = weights_.row(it.col()).data();
      for (Eigen::Index i = 0; i < n; ++i) row_out[i] = std::fma(x, row[i], row_out[i]);
    }
  }
}

void EaseRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                  float* out) const {
  for (std::size_t k = 0; k < items.size(); ++k) {
    float score = 0.0f;
    if (users[k] < history_.rows())
      for (SparseRowMatrix::InnerIterator it(history_, users[k]); it; ++it)
        score = std::fma(it.value(), weights_(it.col(), items[k]), score);
    out[k] = score;
  }
}

float EaseRecommender::item_similarity(std::uint32_t a, std::uint32_t b) const {
  return 0.5f * (weights_(a, b) + weights_(b, a));
}

void EaseRecommender::save(const std::filesystem::path& dir) const {
  std::vector<NamedTensor> tensors;
  NamedTensor b{"B", {weights_.rows(), weights_.cols()}, {}};
  b.data.assign(weights_.data(), weights_.data() + weights_.size());
  tensors.push_back(std::move(b));
  append_sparse_tensors(history_, "history", tensors);
  save_safetensors(dir / "model.safetensors", tensors, {{"family", kFamily}, {"lambda", std::to_string(lambda_)}});
}

void EaseRecommender::load(const std::filesystem::path& dir, const LoadContext& context) {
  const auto file = dir / "model.safetensors";
  std::map<std::string, std::string> metadata;
  const auto tensors = load_safetensors(file, &metadata);
  const NamedTensor* b = nullptr;
  for (const auto& t : tensors)
    if (t.name == "B") b = &t;
  if (!b || b->shape.size() != 2 || b->shape[0] != b->shape[1]) throw DataError(file.string(), 0, "B", "missing or not square");
  const std::int64_t n = b->shape[0];
  if (context.num_items && static_cast<std::int64_t>(context.num_items) != n)
    throw DataError(file.string(), 0, "B", std::to_string(n) + " items, the bundle has " + std::to_string(context.num_items));
  weights_ = Eigen::Map<const RowMatrix>(b->data.data(), n, n);
  history_ = load_sparse_tensors(tensors, "history", n, file.string());
  lambda_ = metadata.count("lambda") ? std::stod(metadata["lambda"]) : 0.0;
}

std::unique_ptr<Recommender> make_ease(const nlohmann::json& config) {
  return std::make_unique<EaseRecommender>(config);
}

std::vector<nlohmann::json> ease_grid(const nlohmann::json& config, const Dataset&) {
  const nlohmann::json* lambda = family_setting(config, kFamily, "lambda");
  if (lambda && lambda->is_number()) return {};  // a fixed lambda: one fit
  std::vector<nlohmann::json> grid;
  for (double r : kRelativeGrid) grid.push_back({{"model", {{kFamily, {{"lambda_relative", r}}}}}});
  return grid;
}

}  // namespace hybridrec
