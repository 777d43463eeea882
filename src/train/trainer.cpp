#include "train/trainer.h"

#include <map>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "train/checkpoint.h"
#include "train/schedule.h"

namespace hybridrec {

namespace {

// Seeds of every random draw derive from (seed, purpose, epoch[, step]) so an
// epoch replays identically whether or not the run was interrupted before it.
constexpr std::uint64_t kShuffleStream = 1, kNegativeStream = 2, kDropoutStream = 3, kKeepStream = 4;

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose, std::uint64_t epoch, std::uint64_t step = 0) {
  return Rng::stream(seed, (purpose << 56) ^ (epoch << 32) ^ step).next();
}

// The fingerprint guards --resume against continuing with different settings.
nlohmann::json fingerprint(const TrainingConfig& c, const Network& n, std::size_t positives) {
  return {{"seed", c.seed},         {"threads", c.threads},     {"batch_size", c.batch_size},
          {"loss", static_cast<int>(c.loss)},                   {"negatives", c.negatives_per_positive},
          {"positives", positives}, {"num_users", n.num_users()}, {"num_items", n.num_items()},
          {"model", n.config().to_json()}};
}

// "a.b.c" -> value of every leaf, for naming the settings that changed.
void flatten_settings(const nlohmann::json& v, const std::string& prefix, std::map<std::string, nlohmann::json>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten_settings(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    out[prefix] = v;
  }
}

// "training.learning_rate 0.001 -> 0.01, model.embedding_dim 50 -> 64" (the first few).
std::string changed_settings(const nlohmann::json& before, const nlohmann::json& now) {
  std::map<std::string, nlohmann::json> a, b;
  flatten_settings(before, "", a);
  flatten_settings(now, "", b);
  std::vector<std::string> changes;
  for (const auto& [k, v] : b)
    if (!a.count(k) || a[k] != v) changes.push_back(k + " " + (a.count(k) ? a[k].dump() : "(absent)") + " -> " + v.dump());
  for (const auto& [k, v] : a)
    if (!b.count(k)) changes.push_back(k + " " + v.dump() + " -> (absent)");
  std::string out;
  for (std::size_t i = 0; i < changes.size() && i < 5; ++i) {
    std::string change = changes[i];
    if (change.rfind("settings.", 0) == 0) change = change.substr(9);  // the configuration's own key
    out += (i ? ", " : "") + change;
  }
  if (changes.size() > 5) out += fmt::format(" and {} more", changes.size() - 5);
  return out;
}

}  // namespace

void append_group(Batch& batch, const Positive& positive, int negatives, const NegativeDraw& draw_negative, Rng& rng) {
  batch.users.push_back(positive.user);
  batch.items.push_back(positive.item);
  batch.labels.push_back(1.0f);
  batch.weights.push_back(positive.weight);
  for (int n = 0; n < negatives; ++n) {
    batch.users.push_back(positive.user);
    batch.items.push_back(draw_negative(positive.user, rng));
    batch.labels.push_back(0.0f);
    batch.weights.push_back(1.0f);
  }
}

double Trainer::run_epoch(int epoch, const std::vector<Positive>& positives, const NegativeDraw& draw_negative,
                          std::size_t* samples_out) {
  const int rank = dp_ ? dp_->rank() : 0, ranks = dp_ ? dp_->size() : 1;
  const std::uint64_t seed = rank_seed(config_.seed, rank);  // each rank its own streams
  std::vector<std::uint32_t> order(positives.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng shuffle_rng(derive_seed(seed, kShuffleStream, epoch));
  shuffle_rng.shuffle(order.begin(), order.end());
  if (sampled_) {  // recency sampling: this epoch's draw of the positives
    Rng keep_rng(derive_seed(seed, kKeepStream, epoch));
    std::erase_if(order, [&](std::uint32_t k) { return !keep_rng.bernoulli(positives[k].keep); });
  }
  // Ranks' shards differ in size (user shards, recency sampling): every rank runs
  // the largest one's steps.
  const std::size_t epoch_positives = dp_ ? dp_->sum(order.size()) : order.size();
  const std::size_t largest_shard = dp_ ? dp_->max(order.size()) : order.size();
  Rng negative_rng(derive_seed(seed, kNegativeStream, epoch));

  const int group = 1 + config_.negatives_per_positive;
  // A batch holds whole groups (a positive and its negatives), batch_size samples
  // at most: BPR needs the groups intact, and for MSE/BCE the mean gradient does
  // not depend on the order inside a batch. Data-parallel ranks each take an equal
  // part of the global batch, and all run as many steps as the largest shard needs.
  const std::size_t positives_per_batch =
      std::max<std::size_t>(1, std::max<std::size_t>(1, config_.batch_size / group) / static_cast<std::size_t>(ranks));
  const std::size_t num_steps = (largest_shard + positives_per_batch - 1) / positives_per_batch;
  const std::size_t total_samples = epoch_positives * group;
  Batch batch;
  batch.group_size = config_.loss == Loss::BPR ? group : 0;
  double loss_sum = 0.0;
  std::size_t samples = 0;
  std::uint64_t step = 0;
  progress_.begin(fmt::format("epoch {:>3}", epoch), total_samples);
  for (; step < num_steps; ++step) {
    const std::size_t start = std::min(order.size(), step * positives_per_batch);
    const std::size_t end = std::min(order.size(), start + positives_per_batch);
    batch.users.clear();
    batch.items.clear();
    batch.labels.clear();
    batch.weights.clear();
    for (std::size_t k = start; k < end; ++k)
      append_group(batch, positives[order[k]], config_.negatives_per_positive, draw_negative, negative_rng);
    const std::uint64_t dropout_seed = derive_seed(seed, kDropoutStream, epoch, step);
    std::size_t step_samples = batch.size();
    float loss = dp_ ? dp_->train_step(network_, batch, config_.loss, dropout_seed, &step_samples)
                     : network_.train_step(batch, config_.loss, dropout_seed);
    if (!std::isfinite(loss))
      throw Error(fmt::format("training diverged: the loss became {} at epoch {} step {}; the checkpoint of "
                              "the last completed epoch is kept. Try a lower training.learning_rate.",
                              loss, epoch, step + 1));
    loss_sum += static_cast<double>(loss) * static_cast<double>(step_samples);
    samples += step_samples;
    progress_.update(samples, fmt::format("loss {:.4f}", loss_sum / static_cast<double>(samples)));
  }
  *samples_out = samples;
  return samples ? loss_sum / static_cast<double>(samples) : 0.0;
}

TrainOutcome Trainer::fit(const std::vector<Positive>& positives, const NegativeDraw& draw_negative,
                          const ValidationFn& validate, const std::filesystem::path& checkpoint_dir, bool resume) {
  network_.set_threads(config_.threads);
  network_.set_optimizer(config_.optimizer);
  ReduceLROnPlateau scheduler(config_.lr_factor, config_.lr_patience, config_.min_lr);
  EarlyStopping stopping(config_.early_stopping_patience);
  TrainOutcome outcome;
  const bool root = !dp_ || dp_->is_root();
  global_positives_ = dp_ ? dp_->sum(positives.size()) : positives.size();
  const bool local_sampled =
      std::any_of(positives.begin(), positives.end(), [](const Positive& p) { return p.keep < 1.0f; });
  sampled_ = dp_ ? dp_->sum(local_sampled ? 1 : 0) > 0 : local_sampled;
  if (global_positives_ == 0) throw Error("no training interactions: the training split is empty");
  nlohmann::json print = fingerprint(config_, network_, global_positives_);
  print["settings"] = resume_settings_;
  int first_epoch = 1;

  if (resume) {
    if (auto state = load_checkpoint(checkpoint_dir, network_)) {
      const nlohmann::json& saved = state->at("fingerprint");
      if (saved != print) {
        // Only the epoch count may change on resume (continue for longer).
        const std::string changed = changed_settings(saved, print);
        throw ConfigError("--resume: the checkpoint in " + checkpoint_dir.string() +
                          " was made with different data or settings (" + changed +
                          "); only training.num_epochs may change on resume: use the same ones, or train "
                          "without --resume");
      }
      network_.set_learning_rate(state->at("lr").get<float>());
      scheduler.load_state(state->at("scheduler"));
      stopping.load_state(state->at("early_stopping"));
      outcome.history = state->at("history");
      first_epoch = state->at("epoch").get<int>() + 1;
      outcome.resumed = true;
      progress_.log(fmt::format("resuming after epoch {} from {}", first_epoch - 1, checkpoint_dir.string()));
      if (stopping.should_stop()) first_epoch = config_.num_epochs + 1;
    } else if (root) {
      progress_.log("--resume: no checkpoint in " + checkpoint_dir.string() + "; training from the first epoch");
    }
  } else if (root && std::filesystem::exists(checkpoint_dir)) {
    std::filesystem::remove_all(checkpoint_dir);  // a fresh run must not mix with an old checkpoint
  }

  outcome.stop_reason = "num_epochs";
  for (int epoch = first_epoch; epoch <= config_.num_epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    const float lr = network_.learning_rate();
    std::size_t samples = 0;
    if (dp_) dp_->begin_epoch(epoch);
    double train_loss = run_epoch(epoch, positives, draw_negative, &samples);
    double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nlohmann::json parallel_stats = dp_ ? dp_->end_epoch(network_) : nlohmann::json();
    nlohmann::json val = validate ? validate(network_) : nlohmann::json();
    if (!root) {  // rank 0 decides; the others follow
      const nlohmann::json decision = dp_->broadcast({});
      network_.set_learning_rate(decision.at("lr").get<float>());
      outcome.history.push_back(decision.at("record"));
      outcome.stop_reason = decision.at("stop").get<std::string>();
      if (!outcome.stop_reason.empty()) break;
      continue;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Without a validation part there is nothing honest to select on: every epoch
    // counts as the best so far (the last one is kept) and the schedule stays flat.
    const bool validated = !val.is_null();
    if (validated && !val.contains(config_.early_stopping_metric))
      throw Error("validation did not report the early-stopping metric '" + config_.early_stopping_metric + "'");
    double metric = validated ? val[config_.early_stopping_metric].get<double>() : static_cast<double>(epoch);

    nlohmann::json record = {{"epoch", epoch},
                             {"train_loss", train_loss},
                             {"lr", lr},
                             {"seconds", seconds},
                             {"train_seconds", train_seconds},
                             {"samples", samples},
                             {"samples_per_second", train_seconds > 0 ? samples / train_seconds : 0.0}};
    if (validated)
      for (auto it = val.begin(); it != val.end(); ++it) record["val_" + it.key()] = it.value();
    if (dp_) record["data_parallel"] = parallel_stats;
    bool best = stopping.update(metric, epoch);
    record["best"] = best;
    outcome.history.push_back(record);
    if (validated) network_.set_learning_rate(scheduler.step(metric, lr));

    nlohmann::json state = {{"fingerprint", print},
                            {"lr", network_.learning_rate()},
                            {"scheduler", scheduler.state()},
                            {"early_stopping", stopping.state()},
                            {"history", outcome.history}};
    save_checkpoint(checkpoint_dir, epoch, network_, state, best);
    std::string val_text = validated ? fmt::format("val {} {:.4f}{}", config_.early_stopping_metric, metric, best ? " *" : "  ")
                                     : std::string("no validation part");
    progress_.end(fmt::format("epoch {:>3}  loss {:.4f}  {}  lr {:.2e}  {:.1f}s  {:.0f} samples/s", epoch, train_loss,
                              val_text, lr, seconds, record["samples_per_second"].get<double>()));
    if (on_epoch_) on_epoch_(record);
    std::string stop;
    if (stopping.should_stop())
      stop = "early_stopping";
    else if (stop_predicate_ && stop_predicate_(record))
      stop = "stopped_externally";
    if (dp_) dp_->broadcast({{"lr", network_.learning_rate()}, {"stop", stop}, {"record", record}});
    if (!stop.empty()) {
      outcome.stop_reason = stop;
      break;
    }
  }
  if (outcome.stop_reason.empty()) outcome.stop_reason = "num_epochs";
  outcome.epochs_run = static_cast<int>(outcome.history.size());
  if (!root) return outcome;  // rank 0 keeps the best epoch and reports
  if (stopping.should_stop()) outcome.stop_reason = "early_stopping";
  outcome.epochs_run = static_cast<int>(outcome.history.size());
  outcome.best_epoch = stopping.best_epoch();
  outcome.best_metric = stopping.best();
  // The model that is kept is the best validation epoch, not the last one.
  load_best_parameters(checkpoint_dir, network_);
  return outcome;
}

}  // namespace hybridrec
