#include "model/family_ials.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Cholesky>

#include "core/error.h"
#include "core/rng.h"
#include "model/closed_form_families.h"
#include "model/safetensors.h"

namespace hybridrec {
namespace {

constexpr const char* kFamily = "ials";
constexpr int kDefaultFactors = 64;          // factors: auto without a grid
constexpr double kDefaultRegularization = 0.01;  // regularization: auto without a grid
// Validation grids. The regularisation is scaled by each row's frequency (plus
// alpha0 times the other side's size), so these values carry across datasets.
constexpr int kFactorGrid[] = {32, 64, 128};
constexpr double kRegularizationGrid[] = {0.003, 0.01, 0.03, 0.1};

// Dot product in 16 independent lanes summed in a fixed order: vectorises
// without -ffast-math and gives score_all and score_pairs the same bits.
inline float dot(const float* a, const float* b, int d) {
  float lanes[16] = {};
  int k = 0;
  for (; k + 16 <= d; k += 16)
    for (int l = 0; l < 16; ++l) lanes[l] = std::fma(a[k + l], b[k + l], lanes[l]);
  for (int l = 0; k < d; ++k, ++l) lanes[l] = std::fma(a[k], b[k], lanes[l]);
  float sum = 0.0f;
  for (int l = 0; l < 16; ++l) sum += lanes[l];
  return sum;
}

bool is_auto(const nlohmann::json* v) { return v && v->is_string() && v->get<std::string>() == "auto"; }

}  // namespace

IalsRecommender::IalsRecommender(const nlohmann::json& config) {
  const nlohmann::json* factors = family_setting(config, kFamily, "factors");
  factors_ = is_auto(factors) ? kDefaultFactors : static_cast<int>(family_integer(config, kFamily, "factors", kDefaultFactors));
  if (factors_ < 1 || factors_ > 4096) throw ConfigError("model.ials.factors must be auto or an integer in [1, 4096]");
  const nlohmann::json* reg = family_setting(config, kFamily, "regularization");
  regularization_ = is_auto(reg) ? kDefaultRegularization : family_number(config, kFamily, "regularization", kDefaultRegularization);
  if (regularization_ <= 0) throw ConfigError("model.ials.regularization must be auto or positive");
  unobserved_weight_ = family_number(config, kFamily, "unobserved_weight", unobserved_weight_);
  if (unobserved_weight_ <= 0) throw ConfigError("model.ials.unobserved_weight must be positive");
  alpha_ = family_number(config, kFamily, "alpha", alpha_);
  if (alpha_ < 0) throw ConfigError("model.ials.alpha must be >= 0");
  iterations_ = static_cast<int>(family_integer(config, kFamily, "iterations", iterations_));
  if (iterations_ < 1) throw ConfigError("model.ials.iterations must be at least 1");
  cg_steps_ = static_cast<int>(family_integer(config, kFamily, "cg_steps", cg_steps_));
  if (cg_steps_ < 1) throw ConfigError("model.ials.cg_steps must be at least 1");
  if (const nlohmann::json* solver = family_setting(config, kFamily, "solver")) {
    const std::string name = solver->is_string() ? solver->get<std::string>() : "";
    if (name != "cg" && name != "cholesky")
      throw ConfigError("model.ials.solver must be cg or cholesky (got " + solver->dump() + ")");
    use_cholesky_ = name == "cholesky";
  }
  init_scale_ = family_number(config, kFamily, "init_scale", init_scale_);
  if (init_scale_ <= 0) throw ConfigError("model.ials.init_scale must be positive");
  seed_ = family_integer(config, kFamily, "seed", -1);
}

Eigen::MatrixXf IalsRecommender::scaled_gram(const RowMatrix& factors) const {
  const Eigen::MatrixXd f = factors.cast<double>();
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(factors.cols(), factors.cols());
  gram.selfadjointView<Eigen::Lower>().rankUpdate(f.transpose(), unobserved_weight_);
  gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
  return gram.cast<float>();
}

void IalsRecommender::solve_row_exact(const SparseRowMatrix& observations, std::int64_t row, const RowMatrix& fixed,
                                      const Eigen::MatrixXf& gram, float* x) const {
  const int d = factors_;
  Eigen::Map<Eigen::VectorXf> solution(x, d);
  const auto count = observations.outerIndexPtr()[row + 1] - observations.outerIndexPtr()[row];
  if (count == 0) {  // no observation: the minimiser is 0
    solution.setZero();
    return;
  }
  const double reg = regularization_ * (static_cast<double>(count) + unobserved_weight_ * static_cast<double>(fixed.rows()));
  Eigen::MatrixXf a = gram;
  a.diagonal().array() += static_cast<float>(reg);
  Eigen::VectorXf b = Eigen::VectorXf::Zero(d);
  // sum_i c_i y_i y_i^T as one rank-k update (SYRK, the lower half only) of the
  // gathered rows scaled by sqrt(c_i).
  RowMatrix scaled(count, d);  // row-major: each gathered row is one contiguous write
  Eigen::Index k = 0;
  for (SparseRowMatrix::InnerIterator it(observations, row); it; ++it, ++k) {
    const float c = 1.0f + static_cast<float>(alpha_) * it.value();
    const auto y = fixed.row(it.col());
    scaled.row(k) = std::sqrt(c) * y;
    b.noalias() += c * y.transpose();
  }
  a.selfadjointView<Eigen::Lower>().rankUpdate(scaled.transpose());
  solution = a.selfadjointView<Eigen::Lower>().llt().solve(b);
}

void IalsRecommender::solve_row_cg(const SparseRowMatrix& observations, std::int64_t row, const RowMatrix& fixed,
                                   const Eigen::MatrixXf& gram, float* x) const {
  const int d = factors_;
  Eigen::Map<Eigen::VectorXf> solution(x, d);
  const auto count = observations.outerIndexPtr()[row + 1] - observations.outerIndexPtr()[row];
  if (count == 0) {
    solution.setZero();
    return;
  }
  const float reg =
      static_cast<float>(regularization_ * (static_cast<double>(count) + unobserved_weight_ * static_cast<double>(fixed.rows())));
  // A v = gram v + reg v + sum_i c_i (y_i . v) y_i, never formed (implicit's cg solver).
  auto apply = [&](const Eigen::VectorXf& v, Eigen::VectorXf& out) {
    out.noalias() = gram * v;
    out += reg * v;
    for (SparseRowMatrix::InnerIterator it(observations, row); it; ++it) {
      const float c = 1.0f + static_cast<float>(alpha_) * it.value();
      const auto y = fixed.row(it.col());
      out.noalias() += (c * y.dot(v)) * y.transpose();
    }
  };
  Eigen::VectorXf current = solution, residual(d), direction(d), product(d);
  apply(current, product);
  residual = -product;
  for (SparseRowMatrix::InnerIterator it(observations, row); it; ++it)
    residual.noalias() += (1.0f + static_cast<float>(alpha_) * it.value()) * fixed.row(it.col()).transpose();
  direction = residual;
  float rs_old = residual.squaredNorm();
  for (int step = 0; step < cg_steps_ && rs_old > 1e-20f; ++step) {
    apply(direction, product);
    const float step_size = rs_old / direction.dot(product);
    current += step_size * direction;
    residual -= step_size * product;
    const float rs_new = residual.squaredNorm();
    direction = residual + (rs_new / rs_old) * direction;
    rs_old = rs_new;
  }
  solution = current;
}

void IalsRecommender::solve_rows(const SparseRowMatrix& observations, const RowMatrix& fixed, RowMatrix& target) const {
  const Eigen::MatrixXf gram = scaled_gram(fixed);
  const EigenThreadsScope one_thread_per_row(1);
  // Each row is solved by one thread from its own data: the result does not
  // depend on the schedule.
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads_)
  for (std::int64_t r = 0; r < target.rows(); ++r) {
    if (use_cholesky_)
      solve_row_exact(observations, r, fixed, gram, target.row(r).data());
    else
      solve_row_cg(observations, r, fixed, gram, target.row(r).data());
  }
}

void IalsRecommender::fit(const TrainingContext& context) {
  initialize(context);
  for (int epoch = 0; epoch < iterations_; ++epoch) run_epoch();
  prepare_fold_in();
}

void IalsRecommender::prepare_fold_in() {
  if (by_user_.rows() > 0) history_ = by_user_;
  item_gram_ = scaled_gram(item_factors_);
}

void IalsRecommender::score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                                      float* out_all_items) const {
  SparseRowMatrix row = fold_in_row(history_, trained_user, online, item_factors_.rows());
  Eigen::VectorXf factor(factors_);
  // item_gram_ is prepared by fit and load; a model between run_epoch calls computes it here.
  if (item_gram_.rows() == factors_)
    solve_row_exact(row, 0, item_factors_, item_gram_, factor.data());
  else
    solve_row_exact(row, 0, item_factors_, scaled_gram(item_factors_), factor.data());
  // One GEMV over the row-major item factors (a request's catalogue pass), about
  // twice as fast as a dot product per item.
  Eigen::Map<Eigen::VectorXf>(out_all_items, item_factors_.rows()).noalias() = item_factors_ * factor;
}

void IalsRecommender::initialize(const TrainingContext& context) {
  threads_ = std::max(1, context.threads);
  by_user_ = training_matrix(context, kFamily);
  by_item_ = transpose_rows(by_user_);
  // Small random start (Rendle et al.: std 0.1 / sqrt(dim)), drawn in one fixed
  // sequence so a seed gives the same model whatever the thread count.
  Rng rng(seed_ >= 0 ? static_cast<std::uint64_t>(seed_) : context.seed);
  const double stddev = init_scale_ / std::sqrt(static_cast<double>(factors_));
  user_factors_.resize(by_user_.rows(), factors_);
  item_factors_.resize(by_user_.cols(), factors_);
  for (Eigen::Index k = 0; k < user_factors_.size(); ++k) user_factors_.data()[k] = static_cast<float>(rng.normal(0.0, stddev));
  for (Eigen::Index k = 0; k < item_factors_.size(); ++k) item_factors_.data()[k] = static_cast<float>(rng.normal(0.0, stddev));
  epoch_losses_.clear();
}

void IalsRecommender::run_epoch() {
  solve_rows(by_user_, item_factors_, user_factors_);
  solve_rows(by_item_, user_factors_, item_factors_);
  if (track_loss_) epoch_losses_.push_back(loss());
}

double IalsRecommender::loss() const {
  // alpha0 sum_{u,i} (w_u.h_i)^2 = alpha0 <W^T W, H^T H> (Frobenius), the Gram trick.
  const Eigen::MatrixXd user_gram = user_factors_.cast<double>().transpose() * user_factors_.cast<double>();
  const Eigen::MatrixXd item_gram = item_factors_.cast<double>().transpose() * item_factors_.cast<double>();
  double total = unobserved_weight_ * (user_gram.array() * item_gram.array()).sum();
  for (std::int64_t u = 0; u < by_user_.rows(); ++u) {
    double count = 0;
    for (SparseRowMatrix::InnerIterator it(by_user_, u); it; ++it, ++count) {
      const double c = 1.0 + alpha_ * it.value();
      const double e = double(user_factors_.row(u).dot(item_factors_.row(it.col()))) - 1.0;
      total += c * e * e;
    }
    total += regularization_ * (count + unobserved_weight_ * double(item_factors_.rows())) *
             double(user_factors_.row(u).squaredNorm());
  }
  for (std::int64_t i = 0; i < by_item_.rows(); ++i) {
    const double count = double(by_item_.outerIndexPtr()[i + 1] - by_item_.outerIndexPtr()[i]);
    total += regularization_ * (count + unobserved_weight_ * double(user_factors_.rows())) *
             double(item_factors_.row(i).squaredNorm());
  }
  return total;
}

Eigen::VectorXf IalsRecommender::solve_user(const SparseRowMatrix& history_row) const {
  SparseRowMatrix row = history_row;
  row.makeCompressed();  // the solvers count a row's entries from its outer index
  Eigen::VectorXf factor(factors_);
  solve_row_exact(row, 0, item_factors_, scaled_gram(item_factors_), factor.data());
  return factor;
}

void IalsRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(item_factors_.rows());
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads_)
  for (std::size_t k = 0; k < users.size(); ++k) {
    float* row_out = out + k * n;
    if (users[k] >= user_factors_.rows()) {
      std::fill(row_out, row_out + n, 0.0f);
      continue;
    }
    const float* w = user_factors_.row(users[k]).data();
    for (std::size_t i = 0; i < n; ++i) row_out[i] = dot(w, item_factors_.row(i).data(), factors_);
  }
}

void IalsRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                  float* out) const {
  for (std::size_t k = 0; k < items.size(); ++k)
    out[k] = users[k] < user_factors_.rows()
                 ? dot(user_factors_.row(users[k]).data(), item_factors_.row(items[k]).data(), factors_)
                 : 0.0f;
}

std::vector<float> IalsRecommender::candidate_query(std::uint32_t user, std::span<const std::uint32_t>) const {
  if (user >= user_factors_.rows()) return std::vector<float>(factors_, 0.0f);
  const float* w = user_factors_.row(user).data();
  return std::vector<float>(w, w + factors_);
}

void IalsRecommender::save(const std::filesystem::path& dir) const {
  std::vector<NamedTensor> tensors;
  tensors.push_back({"user_factors", {user_factors_.rows(), user_factors_.cols()},
                     std::vector<float>(user_factors_.data(), user_factors_.data() + user_factors_.size())});
  tensors.push_back({"item_factors", {item_factors_.rows(), item_factors_.cols()},
                     std::vector<float>(item_factors_.data(), item_factors_.data() + item_factors_.size())});
  // Fold-in (score_folded_in) starts a trained user from their training row.
  const SparseRowMatrix& history = by_user_.rows() > 0 ? by_user_ : history_;
  if (history.rows() > 0) append_sparse_tensors(history, "history", tensors);
  // The fold-in step (solve_user) needs the objective's constants as well.
  save_safetensors(dir / "model.safetensors", tensors,
                   {{"family", kFamily},
                    {"regularization", std::to_string(regularization_)},
                    {"unobserved_weight", std::to_string(unobserved_weight_)},
                    {"alpha", std::to_string(alpha_)}});
}

void IalsRecommender::load(const std::filesystem::path& dir, const LoadContext& context) {
  const auto file = dir / "model.safetensors";
  std::map<std::string, std::string> metadata;
  const auto tensors = load_safetensors(file, &metadata);
  auto matrix = [&](const std::string& name, std::size_t expected_rows) {
    for (const auto& t : tensors) {
      if (t.name != name) continue;
      if (t.shape.size() != 2) throw DataError(file.string(), 0, name, "not a matrix");
      if (expected_rows && static_cast<std::size_t>(t.shape[0]) != expected_rows)
        throw DataError(file.string(), 0, name, std::to_string(t.shape[0]) + " rows, the bundle has " + std::to_string(expected_rows));
      return RowMatrix(Eigen::Map<const RowMatrix>(t.data.data(), t.shape[0], t.shape[1]));
    }
    throw DataError(file.string(), 0, name, "tensor missing");
  };
  user_factors_ = matrix("user_factors", context.num_users);
  item_factors_ = matrix("item_factors", context.num_items);
  if (user_factors_.cols() != item_factors_.cols())
    throw DataError(file.string(), 0, "item_factors", "factor count differs from user_factors");
  factors_ = static_cast<int>(item_factors_.cols());
  if (metadata.count("regularization")) regularization_ = std::stod(metadata["regularization"]);
  if (metadata.count("unobserved_weight")) unobserved_weight_ = std::stod(metadata["unobserved_weight"]);
  if (metadata.count("alpha")) alpha_ = std::stod(metadata["alpha"]);
  by_user_ = SparseRowMatrix();
  by_item_ = SparseRowMatrix();
  bool has_history = false;
  for (const auto& t : tensors) has_history = has_history || t.name == "history.row_counts";
  if (has_history) {
    history_ = load_sparse_tensors(tensors, "history", item_factors_.rows(), file.string());
  } else {
    // Saved before the history was: the bundle's training items, at weight 1.
    history_ = SparseRowMatrix(user_factors_.rows(), item_factors_.rows());
    if (context.user_items) {
      std::vector<Eigen::Triplet<float, std::int64_t>> entries;
      for (std::size_t u = 0; u < context.user_items->size() && u < static_cast<std::size_t>(user_factors_.rows()); ++u)
        for (auto item : (*context.user_items)[u])
          if (item < item_factors_.rows()) entries.emplace_back(static_cast<std::int64_t>(u), item, 1.0f);
      history_.setFromTriplets(entries.begin(), entries.end());
    }
  }
  history_.makeCompressed();
  prepare_fold_in();
}

std::unique_ptr<Recommender> make_ials(const nlohmann::json& config) {
  return std::make_unique<IalsRecommender>(config);
}

std::vector<nlohmann::json> ials_grid(const nlohmann::json& config, const Dataset&) {
  std::vector<nlohmann::json> factors, regs;
  if (is_auto(family_setting(config, kFamily, "factors")))
    for (int f : kFactorGrid) factors.push_back(f);
  else
    factors.push_back(nullptr);
  if (is_auto(family_setting(config, kFamily, "regularization")))
    for (double r : kRegularizationGrid) regs.push_back(r);
  else
    regs.push_back(nullptr);
  if (factors.size() == 1 && regs.size() == 1) return {};
  std::vector<nlohmann::json> grid;
  for (const auto& f : factors)
    for (const auto& r : regs) {
      nlohmann::json section = nlohmann::json::object();
      if (!f.is_null()) section["factors"] = f;
      if (!r.is_null()) section["regularization"] = r;
      grid.push_back({{"model", {{kFamily, section}}}});
    }
  return grid;
}

}  // namespace hybridrec
