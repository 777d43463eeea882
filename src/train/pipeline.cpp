#include "train/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/timeparse.h"
#include "data/features.h"
#include "data/load_config.h"
#include "data/negative_sampling.h"
#include "data/recency.h"
#include "data/sharded_dataset.h"
#include "eval/evaluator.h"
#include "eval/result_report.h"
#include "model/abilities.h"
#include "model/baselines.h"
#include "model/id_dropout_choice.h"
#include "model/model_families.h"
#include "model/network.h"
#include "train/config.h"
#include "train/memory_estimate.h"
#include "train/model_bundle.h"
#include "train/model_selection.h"
#include "train/recency_choice.h"
#include "train/sharded_training.h"

namespace hybridrec {

namespace {

// Under this share of the training positives per epoch, a sampling setting is
// warned about: the model then learns from a small, recent sliver of the data.
constexpr double kMinKeptFraction = 0.10;

// The registry's training_data dates are calendar days.
std::string iso_date(std::int64_t unix_seconds) { return format_iso8601(unix_seconds).substr(0, 10); }

std::vector<std::string> baseline_names(const nlohmann::json& config) {
  if (config.contains("evaluation") && config["evaluation"].contains("baselines"))
    return config["evaluation"]["baselines"].get<std::vector<std::string>>();
  std::vector<std::string> names;
  for (const auto& family : model_families())
    if (family.baseline) names.push_back(family.name);
  return names;
}

// Sharded: over every shard (a collective).
nlohmann::json training_data_summary(const Dataset& dataset, const Split& split, ShardCollectives* shards) {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (auto idx : split.train) {
    lo = std::min(lo, dataset.interactions[idx].timestamp);
    hi = std::max(hi, dataset.interactions[idx].timestamp);
  }
  if (shards) lo = shards->min(lo), hi = shards->max(hi);
  const std::size_t train = part_size(split.train, shards);
  return {{"path", std::filesystem::absolute(dataset.path).string()},
          {"format", dataset.format},
          {"start_date", train == 0 ? "" : iso_date(lo)},
          {"end_date", train == 0 ? "" : iso_date(hi)},
          {"num_samples", train},
          {"num_users", dataset.num_users()},
          {"num_items", dataset.num_items()},
          {"num_interactions", shards ? shards->sum(std::uint64_t{dataset.interactions.size()})
                                      : dataset.interactions.size()}};
}

// One evaluation part (validation or test) restricted to a seeded sample of its
// users, so evaluation stays affordable on large catalogues: per-epoch validation
// only steers early stopping; a sampled test part is for scale runs and is opt-in.
// Sharded, the sample is drawn from every shard's users (the same on every shard).
Split sample_part_users(const Dataset& dataset, const Split& split, std::vector<std::uint32_t> Split::*part,
                        std::size_t max_users, std::uint64_t seed, ShardCollectives* shards) {
  std::vector<std::uint32_t> users;
  for (auto idx : split.*part) users.push_back(dataset.interactions[idx].user);
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  if (shards) users = union_of_users(users, *shards);
  if (max_users == 0 || users.size() <= max_users) return split;
  Rng rng(seed);
  rng.shuffle(users.begin(), users.end());
  users.resize(max_users);
  std::vector<bool> keep(dataset.num_users(), false);
  for (auto u : users) keep[u] = true;
  Split sampled = split;
  (sampled.*part).clear();
  for (auto idx : split.*part)
    if (keep[dataset.interactions[idx].user]) (sampled.*part).push_back(idx);
  return sampled;
}

// The validation loss: the training loss on validation pairs whose user and item
// the network trained on (cold ones go through the "unknown" rows only when
// scoring), with negatives drawn once so every epoch is measured on the same
// batch. At most max_positives positives (a seeded sample) keep it cheap.
// Sharded: this shard's validation positives, `global_seen` the items trained on any shard.
Batch validation_loss_batch(const Dataset& dataset, const Split& val_split, const ModelBundle& bundle,
                            const TrainingConfig& tc, const NegativeDraw& draw, std::size_t max_positives,
                            const SeenMasks* global_seen) {
  Split as_train = val_split;
  as_train.train = val_split.validation;
  std::vector<Positive> positives = collect_positives(dataset, as_train, tc.positives.event_weights);
  std::vector<bool> item_trained;
  if (global_seen) {
    item_trained = global_seen->items;
  } else {
    item_trained.assign(dataset.num_items(), false);
    for (const auto& items : bundle.seen)
      for (auto i : items) item_trained[i] = true;
  }
  std::erase_if(positives, [&](const Positive& p) {
    const auto& mine = bundle.seen[p.user];
    return mine.empty() || mine.size() >= dataset.num_items() || !item_trained[p.item];
  });
  Rng rng = Rng::stream(tc.seed, 0x76616c6c6f7373ULL);  // "valloss"
  rng.shuffle(positives.begin(), positives.end());
  if (positives.size() > max_positives) positives.resize(max_positives);
  Batch batch;
  batch.group_size = tc.loss == Loss::BPR ? 1 + tc.negatives_per_positive : 0;
  for (const auto& p : positives) append_group(batch, p, tc.negatives_per_positive, draw, rng);
  return batch;
}

// model.cold_user_path auto: a model with its own cold path (a hybrid's content
// branch) keeps it for users without training history unless the model's own
// popularity ranks the validation part's new users better (selection on
// validation, never on test).
std::string choose_cold_user_path(const Recommender& model, const Recommender& own_popularity, const Dataset& dataset,
                                  const Split& val_split, const EvalOptions& options, Progress& progress) {
  EvalOptions full = options;
  full.ranking_only = false;
  const auto new_users_ndcg = [&](const std::string& path, std::size_t* users) {
    full.cold_user_path = path;
    const nlohmann::json seg =
        evaluate(model, dataset, val_split, full, &own_popularity).value("segments", nlohmann::json::object());
    if (!seg.contains("new_users") || !seg["new_users"].contains("ndcg@10")) return -1.0;
    *users = seg["new_users"].value("users", std::size_t{0});
    return seg["new_users"]["ndcg@10"].get<double>();
  };
  std::size_t users = 0;
  const double content = new_users_ndcg("content", &users);
  if (users == 0 || content < 0) return "content";  // nothing to choose on
  const double popular = new_users_ndcg("popularity", &users);
  const std::string path = popular > content ? "popularity" : "content";
  progress.log(fmt::format("cold users: {} (validation NDCG@10 of {} new users: content {:.4f}, popularity {:.4f})",
                           path, users, content, popular));
  return path;
}

// The validation NDCG@10 of the recency proxy at one half-life: implicit ALS at
// its default settings (seconds even on large catalogues, and its confidence
// weights take the decay directly), new users ranked by the popularity decayed
// alike, as the trained model's own popularity would rank them. One cheap fit per
// grid value instead of a full training run per value.
double recency_proxy_score(const nlohmann::json& config, double half_life_days, const Dataset& dataset,
                           const Split& split, const Split& val_split, const FeatureSet& features,
                           const TrainingConfig& tc, const EvalOptions& val_options) {
  nlohmann::json c = config;
  c["data"]["recency_half_life_days"] = half_life_days;
  c["model"]["type"] = "ials";
  const auto pop = weighted_item_popularity(dataset, split, PopularityWeights::from_config(c), half_life_days);
  const std::vector<float> weights(pop.begin(), pop.end());
  const PopularityBaseline fallback = PopularityBaseline::from_weights(weights);
  auto proxy = make_model("ials", c);
  proxy->fit(TrainingContext{&dataset, &split, &features, c, tc.seed, tc.threads, nullptr});
  return evaluate(*proxy, dataset, val_split, val_options, &fallback).at("ranking").value("ndcg@10", 0.0);
}

}  // namespace

SplitConfig split_config_from(const nlohmann::json& config) {
  SplitConfig s;
  const auto& d = config.at("data");
  s.strategy = d.value("split", s.strategy);
  s.train_ratio = d.value("train_ratio", s.train_ratio);
  s.val_ratio = d.value("val_ratio", s.val_ratio);
  s.test_ratio = d.value("test_ratio", s.test_ratio);
  s.last_n = d.value("last_n", s.last_n);
  const std::uint64_t training_seed = config.at("training").value("seed", std::uint64_t{42});
  s.seed = d.contains("split_seed") && !d["split_seed"].is_null() ? d["split_seed"].get<std::uint64_t>() : training_seed;
  return s;
}

// Models saved before the content_features: section existed were fitted with the
// struct's defaults, which equal the YAML's (ConfigSchema test). (The saved
// config.json's "features" is the fitted layout, hence the section's longer name.)
FeatureConfig feature_config_from(const nlohmann::json& config) {
  return config.contains("content_features") ? FeatureConfig::from_json(config["content_features"]) : FeatureConfig{};
}

EvalOptions eval_options(const nlohmann::json& config, const std::string& part, bool ranking_only) {
  EvalOptions o;
  o.part = part;
  o.ranking_only = ranking_only;
  if (config.contains("evaluation") && config["evaluation"].contains("k"))
    o.ks = config["evaluation"]["k"].get<std::vector<int>>();
  if (config.contains("evaluation") && config["evaluation"].contains("group_by"))
    o.group_by = config["evaluation"]["group_by"].get<std::string>();
  o.threads = config["training"].value("threads", 2);
  o.seed = config["training"].value("seed", 42);
  o.negatives_per_positive = config["data"].value("negative_sampling_ratio", 4);
  return o;
}


namespace {

// Everything the SGD path needs from run_training's setup.
struct SgdSetup {
  const TrainRequest& request;
  const TrainingConfig& tc;
  Dataset& dataset;
  const Split& split;
  const Split& val_split;
  ModelBundle& bundle;
  const Recommender* own_popularity;
  EvalOptions val_options;
  ShardCollectives* shards;
  bool evaluates, root;
  Progress& progress;
};

// A family trained step by step by the Trainer: checkpoints, resume, MPI data
// parallelism, validation every epoch and early stopping.
TrainOutcome train_by_sgd(Recommender& model, SgdTrainable& sgd, const TrainingContext& ctx, SgdSetup& s) {
  const TrainingConfig& tc = s.tc;
  DataParallel* dp = s.request.data_parallel;
  sgd.create_network(ctx);
  Network& net = sgd.network();
  auto positives = collect_positives(s.dataset, s.split, tc.positives);
  if (dp && !s.shards) positives = shard_positives(positives, dp->rank(), dp->size());  // sharded: already its own
  std::optional<SeenMasks> global_seen;
  if (s.shards) global_seen = seen_masks_over_shards(s.bundle, *s.shards);
  auto mark_seen = [&] {  // the same masks on every rank: the replicas must stay identical
    const SeenMasks masks =
        global_seen ? *global_seen : seen_masks(s.bundle.seen, s.bundle.users.size(), s.bundle.items.size());
    net.set_seen(masks.users, masks.items);
  };
  NegativeSampler sampler(s.bundle.seen, s.dataset.num_items());
  NegativeDraw draw = [&sampler](std::uint32_t user, Rng& rng) { return sampler.sample(user, rng); };
  // While training, a model with a cold path uses it (model.cold_user_path is decided after).
  EvalOptions val_options = s.val_options;
  val_options.cold_user_path = "auto";
  ValidationFn validate;  // empty: no validation part, so no early stopping (never peek at test)
  if (part_size(s.split.validation, s.shards) == 0)
    s.progress.log("note: the split has no validation part; training runs all epochs and keeps the last");
  else
    validate = [&, val_loss_batch = validation_loss_batch(s.dataset, s.val_split, s.bundle, tc, draw,
                                                          s.shards ? 20000 / s.shards->shards() : 20000,
                                                          global_seen ? &*global_seen : nullptr)](
                   const Network& trained) {
      mark_seen();  // the unknown rows follow the trained rows each epoch (every rank)
      if (!s.evaluates) return nlohmann::json();  // rank 0 alone validates
      nlohmann::json r = evaluate(model, s.dataset, s.val_split, val_options, s.own_popularity);
      nlohmann::json ranking = r.at("ranking");
      if (s.shards) {  // the mean loss over every shard's validation pairs
        double sums[2] = {0.0, static_cast<double>(val_loss_batch.size())};
        if (val_loss_batch.size() > 0) sums[0] = trained.evaluate_loss(val_loss_batch, tc.loss) * sums[1];
        s.shards->sum(sums, 2);
        if (sums[1] > 0) ranking["loss"] = sums[0] / sums[1];
      } else if (val_loss_batch.size() > 0) {
        ranking["loss"] = trained.evaluate_loss(val_loss_batch, tc.loss);
      }
      return s.root ? ranking : nlohmann::json();  // the trainer records each key as val_<key>: val_ndcg@10, val_loss
    };
  Trainer trainer(net, tc, s.progress);
  if (s.request.on_epoch) trainer.set_epoch_callback(s.request.on_epoch);
  if (s.request.stop_after_epoch) trainer.set_stop_predicate(s.request.stop_after_epoch);
  trainer.set_data_parallel(dp);
  // --resume continues the same run: every setting but the epoch count must match.
  nlohmann::json settings = s.request.config;
  if (settings.contains("training")) settings["training"].erase("num_epochs");
  for (const char* recorded : {"data_validation", "model_version"}) settings.erase(recorded);
  trainer.set_resume_settings(settings);
  TrainOutcome outcome = trainer.fit(positives, draw, validate, s.request.out / "checkpoint", s.request.resume);
  mark_seen();
  return outcome;
}

}  // namespace

TrainResult run_training(const TrainRequest& request) {
  auto t_start = std::chrono::steady_clock::now();
  Progress progress(request.progress);
  nlohmann::json config = request.config;  // the settings auto chooses are written into this copy
  TrainingConfig tc = TrainingConfig::from_json(config);
  const std::string type = config.at("model").at("type").get<std::string>();
  // --model auto: the family is chosen on validation (train/model_selection.h).
  const bool automatic = type == "auto";
  const ModelFamily* family = automatic ? nullptr : &model_family(type);  // an unknown name fails here, before loading data
  std::unique_ptr<Recommender> model = automatic ? nullptr : family->create(config);  // so does a bad family setting
  const bool baseline = family && family->baseline;
  if (automatic && request.data_parallel)
    throw ConfigError("--model auto runs in one process: choose a family for an mpirun job");
  std::string cold_user_path = config.at("model").value("cold_user_path", std::string("auto"));
  if (cold_user_path != "auto" && cold_user_path != "content" && cold_user_path != "popularity")
    throw ConfigError("model.cold_user_path must be auto, content or popularity (got '" + cold_user_path + "')");

  ShardCollectives* shards = request.data_parallel ? request.shards : nullptr;
  ShardLoadReport held;
  Dataset dataset = shards ? load_dataset_shard(request.data, request.load, *shards, &held)
                           : load_dataset(request.data, request.load);
  progress.log(fmt::format("loaded {} ({}): {} interactions, {} users, {} items", request.data.string(), dataset.format,
                           shards ? held.total : dataset.interactions.size(), dataset.num_users(), dataset.num_items()));
  if (shards)
    progress.log(fmt::format("sharded by user over {} ranks: interactions held per rank {}", shards->shards(),
                             fmt::join(held.held_per_shard, ", ")));
  // Before any table is allocated: a model that cannot fit is refused with its estimate.
  refuse_above_memory_limit(config, type, dataset.num_users(), dataset.num_items());
  Split split = make_split(dataset, split_config_from(config), shards);
  progress.log(fmt::format("split {}: train {}, validation {}, test {}", split.config.strategy,
                           part_size(split.train, shards), part_size(split.validation, shards),
                           part_size(split.test, shards)));
  // Guard rails: printed as they happen and saved with the run (config.json,
  // metrics.json "warnings"), so a weak result comes with its cause.
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& message) {
    warnings.push_back(message);
    progress.log("warning: " + message);
  };
  for (const char* part : {"train", "test"})
    if (part_size(part == std::string("train") ? split.train : split.test, shards) == 0)
      throw ConfigError(fmt::format("split {}: the {} part is empty: {}", split.config.strategy, part,
                                    why_part_is_empty(dataset, split, part)));
  if (part_size(split.validation, shards) == 0 && split.config.val_ratio > 0 && split.config.strategy != "files" &&
      split.config.strategy != "column")
    warn(fmt::format("split {}: the validation part is empty ({}), so nothing is chosen on validation and training "
                     "keeps its last epoch",
                     split.config.strategy, why_part_is_empty(dataset, split, "validation")));

  FeatureBuilder builder = FeatureBuilder::fit(dataset, split, feature_config_from(config), shards);
  FeatureSet features = builder.transform(dataset, split, shards);

  std::map<std::string, std::unique_ptr<Recommender>> baselines;
  DataParallel* dp = request.data_parallel;
  const bool root = !dp || dp->is_root();
  const bool evaluates = root || shards;  // sharded, every rank evaluates its own users
  {
    TrainingContext base_ctx{&dataset, &split, &features, config, tc.seed, tc.threads, shards};
    for (const auto& name : evaluates ? baseline_names(config) : std::vector<std::string>{}) {
      baselines[name] = make_model(name, config);
      baselines[name]->fit(base_ctx);
    }
    if (evaluates && !baselines.count("popularity")) {
      baselines["popularity"] = make_model("popularity", config);
      baselines["popularity"]->fit(base_ctx);
    }
  }
  const Recommender* popularity = evaluates ? baselines["popularity"].get() : nullptr;

  EvalOptions val_options = eval_options(config, "validation", true);
  val_options.shards = shards;
  const std::size_t max_val_users =
      config.contains("evaluation") ? config["evaluation"].value("validation_users", std::size_t{20000}) : 20000;
  const Split val_split = sample_part_users(dataset, split, &Split::validation, max_val_users, tc.seed, shards);
  const bool has_validation = part_size(split.validation, shards) > 0;

  // data.recency_half_life_days: auto is resolved before anything reads it and
  // written back as a number, so every reader (the family, its own popularity,
  // config.json) sees the same value.
  nlohmann::json auto_settings = nlohmann::json::object();
  if (!baseline) {  // a baseline's popularity counts every event
    double span = training_span_days(dataset, split);
    if (shards) span = static_cast<double>(shards->max(static_cast<std::int64_t>(span * 86400.0))) / 86400.0;
    // The proxy fit (one process only: ials fits on the whole dataset).
    HalfLifeScore proxy;
    if (tc.positives.recency_auto && has_validation && !dp && !baseline)
      proxy = [&](double days) {
        return recency_proxy_score(config, days, dataset, split, val_split, features, tc, val_options);
      };
    const RecencyChoice recency =
        choose_recency_half_life(tc.positives, dataset, split, span, proxy,
                                 dp ? "an mpirun job does not run the proxy fits" : "no validation part to choose on",
                                 progress);
    auto_settings["data.recency_half_life_days"] = recency.record;
    const double kept = recency.record.value("kept_fraction", 1.0);
    // A value auto chose on validation earned its small share; a configured one
    // (the 22-year dataset under a 10-day half-life) gets the warning.
    if (kept < kMinKeptFraction && !recency.automatic)
      warn(fmt::format("data.recency_half_life_days {} ({}) {} {:.1f}% of the training positives per epoch (under {:.0f}%): "
                       "old positives barely train{}",
                       describe_half_life(recency.half_life_days), recency.automatic ? "auto" : "set in the configuration",
                       tc.positives.recency_by_sampling ? "keeps" : "leaves the weight of", 100.0 * kept,
                       100.0 * kMinKeptFraction,
                       recency.automatic ? "" : "; set it to auto (chosen on validation) or off"));
    config["data"]["recency_half_life_days"] = recency.half_life_days;
    tc = TrainingConfig::from_json(config);

    // model.id_dropout_rate: auto, the same way: measured on this split's new
    // users and items (model/id_dropout_choice.h) and written back as a number.
    const IdDropoutChoice id_dropout = choose_id_dropout_rate(ModelConfig::from_json(config.at("model")), dataset, split, shards);
    config["model"]["id_dropout_rate"] = id_dropout.rate;
    if (automatic || (model && model->content_scoring())) {
      auto_settings["model.id_dropout_rate"] = id_dropout.record;
      progress.log(fmt::format("model.id_dropout_rate: {:.3g} ({}{})", id_dropout.rate,
                               id_dropout.automatic ? "auto: " : "", id_dropout.reason));
    }
    if (model) model = family->create(config);
  }

  ModelBundle bundle;
  bundle.config = config;
  bundle.config["auto_settings"] = auto_settings;
  bundle.config["training_data"] = training_data_summary(dataset, split, shards);
  if (shards) bundle.config["training_data"]["interactions_per_rank"] = held.held_per_shard;
  bundle.config["split"] = {{"strategy", split.config.strategy},
                            {"train_ratio", split.config.train_ratio},
                            {"val_ratio", split.config.val_ratio},
                            {"test_ratio", split.config.test_ratio},
                            {"seed", split.config.seed}};
  bundle.users = dataset.users;
  bundle.items = dataset.items;
  bundle.seen = user_train_items(dataset, split.train);
  {
    // The model's own fallback (users routing sends to popularity) follows its
    // recency setting; a baseline's is the plain popularity baseline.
    auto pop = weighted_item_popularity(dataset, split, PopularityWeights::from_config(config),
                                        baseline ? 0.0 : tc.positives.recency_half_life_days, shards);
    bundle.popularity.assign(pop.begin(), pop.end());
  }
  const PopularityBaseline own_popularity = bundle.popularity_model();

  // Id dropout trains the content path on simulated new entities (cold twins);
  // only a model with a content path has one.
  if ((automatic || model->content_scoring()) && ModelConfig::from_json(config.at("model")).uses_id_dropout())
    builder.add_cold_twins(dataset, split, features);
  bundle.features = std::move(features);
  bundle.feature_builder = builder;
  TrainingContext ctx{&dataset, &split, &bundle.features, config, tc.seed, tc.threads, shards};

  TrainResult result;
  if (automatic) {
    if (!has_validation) throw ConfigError("--model auto chooses on the validation part, and this split has none "
                                           "(set data.val_ratio > 0, or name a family with --model)");
    // Families trained by the trainer get the same SGD path as a single run, in a
    // folder of their own (their checkpoints must not mix).
    std::map<std::string, TrainOutcome> outcomes;
    const CandidateFit fit_any = [&](const SelectionCandidate& candidate, const TrainingContext& cctx) {
      auto m = make_model(candidate.family, cctx.config);
      if (SgdTrainable* sgd = m->sgd_trainable()) {
        TrainRequest sub = request;
        sub.out = request.out / "selection" / candidate.family;
        sub.resume = false;
        sub.on_epoch = nullptr;
        sub.stop_after_epoch = nullptr;
        const TrainingConfig ctc = TrainingConfig::from_json(cctx.config);
        SgdSetup setup{sub, ctc, dataset, split, val_split, bundle, &own_popularity, val_options, shards, evaluates,
                       root, progress};
        outcomes[candidate.family] = train_by_sgd(*m, *sgd, cctx, setup);
      } else {
        m->fit(cctx);
      }
      return m;
    };
    const double budget = config.at("model").value("auto", nlohmann::json::object()).value("budget_minutes", 10.0) * 60.0;
    AutoChoice choice = choose_model_automatically(auto_candidates(config, dataset), ctx, val_split, val_options,
                                                   own_popularity, budget, progress, fit_any);
    std::filesystem::remove_all(request.out / "selection");
    model = std::move(choice.model);
    bundle.config["model"] = choice.model_section;
    bundle.config["selection"] = choice.record;
    cold_user_path = bundle.cold_user_path();
    if (auto it = outcomes.find(choice.family); it != outcomes.end()) result.outcome = it->second;
  } else if (SgdTrainable* sgd = model->sgd_trainable()) {
    // The trainer's own selection is early stopping; a grid for an SGD family
    // would need one training run per overlay (select_model with a trainer fit).
    if (!family_grid(type, config, dataset).empty())
      progress.log("note: the validation grid of an SGD-trained family is not searched here");
    SgdSetup setup{request, tc, dataset, split, val_split, bundle, &own_popularity, val_options, shards, evaluates,
                   root, progress};
    result.outcome = train_by_sgd(*model, *sgd, ctx, setup);
  } else {
    if (request.resume)
      progress.log("--resume: " + type + " is fitted in one step and keeps no checkpoint; fitting it from the start");
    // The family's validation grid (e.g. ease's lambda): each overlay fitted and
    // ranked on validation, the best kept and recorded. Sharded, every rank fits
    // and evaluates the same candidates (collectives).
    const auto grid = family_grid(type, config, dataset);
    if (!grid.empty() && has_validation) {
      SelectionOutcome chosen = select_model(grid, ctx, val_split, val_options, &own_popularity, 0.0, progress);
      model = std::move(chosen.model);
      if (chosen.config.contains("model") && chosen.config["model"].contains(type))
        bundle.config["model"][type] = chosen.config["model"][type];
      bundle.config["selection"] = chosen.record;
    } else {
      if (!grid.empty()) progress.log("note: no validation part; the family's grid is not searched");
      model->fit(ctx);
    }
  }
  // A model with a cold path of its own: keep it or rank new users by popularity.
  if (!baseline && model->serves_cold_users()) {
    std::string path = cold_user_path;
    if (path == "auto")
      path = evaluates && has_validation  // sharded: every rank evaluates
                 ? choose_cold_user_path(*model, own_popularity, dataset, val_split, val_options, progress)
                 : "content";
    bundle.config["model"]["cold_user_path"] = path;
  }
  // The answer is never below a baseline on validation: the trained model and
  // every baseline rank the validation users with the same code; below the best
  // baseline the run warns and (TrainRequest::fallback_to_baseline) serves and
  // registers that baseline instead, keeping the trained model's scores in
  // the record. Chosen on validation, so the test part stays untouched.
  std::unique_ptr<Recommender> rejected;  // the trained model, when a baseline replaced it
  nlohmann::json fallback;
  if (!baseline && evaluates && has_validation) {
    EvalOptions model_val = val_options;
    model_val.cold_user_path = bundle.cold_user_path();
    const double trained = evaluate(*model, dataset, val_split, model_val, &own_popularity)
                               .at("ranking").value("ndcg@10", 0.0);
    std::string best_name;
    double best_baseline = -1.0;
    nlohmann::json baseline_scores = nlohmann::json::object();
    for (const auto& name : baseline_names(config)) {
      if (!baselines.count(name)) continue;
      const double score = evaluate(*baselines[name], dataset, val_split, val_options, popularity)
                               .at("ranking").value("ndcg@10", 0.0);
      baseline_scores[name] = score;
      if (score > best_baseline) best_baseline = score, best_name = name;
    }
    if (!best_name.empty() && trained < best_baseline - 1e-12) {
      const bool replace = request.fallback_to_baseline;
      const std::string family_name = bundle.type();
      warn(fmt::format("the trained model ({}) scores validation NDCG@10 {:.4f}, below the {} baseline's {:.4f}{}",
                       family_name, trained, best_name, best_baseline,
                       replace ? fmt::format("; the {} baseline is served and registered as this run's answer "
                                             "(model.fallback_to_baseline: false keeps the trained model)",
                                             best_name)
                               : "; the trained model is kept (model.fallback_to_baseline is false)"));
      fallback = {{"trained_family", family_name}, {"trained_validation_ndcg@10", trained},
                  {"baseline", best_name}, {"baseline_validation_ndcg@10", best_baseline},
                  {"baselines_validation_ndcg@10", baseline_scores}, {"served", replace ? best_name : family_name}};
      if (replace) {
        rejected = std::move(model);
        model = make_model(best_name, config);
        model->fit(TrainingContext{&dataset, &split, &bundle.features, config, tc.seed, tc.threads, shards});
        fallback["trained_model_section"] = bundle.config["model"];
        bundle.config["model"]["type"] = best_name;
        bundle.config["model"].erase("cold_user_path");
        const auto pop = weighted_item_popularity(dataset, split, PopularityWeights::from_config(config), 0.0, shards);
        bundle.popularity.assign(pop.begin(), pop.end());
      }
      bundle.config["fallback"] = fallback;
    }
  }
  bundle.recommender = std::move(model);
  result.family = bundle.type();
  const Recommender& evaluated = *bundle.recommender;
  result.history = result.outcome.history;
  if (!evaluates) return result;  // rank 0 evaluates, saves and reports

  // Test evaluation of the model and every baseline with the same code and options.
  EvalOptions test_options = eval_options(config, "test", false);
  test_options.shards = shards;
  progress.log("evaluating on the test part...");
  const std::size_t max_test_users =
      config.contains("evaluation") ? config["evaluation"].value("test_users", std::size_t{0}) : 0;
  std::optional<Split> sampled_test;  // a copy only when sampling (the split can be large)
  if (max_test_users > 0) {
    sampled_test = sample_part_users(dataset, split, &Split::test, max_test_users, tc.seed + 1, shards);
    progress.log(fmt::format("test part: a seeded sample of {} users (evaluation.test_users)", max_test_users));
  }
  const Split& test_split = sampled_test ? *sampled_test : split;
  EvalOptions model_options = test_options;
  model_options.cold_user_path = bundle.cold_user_path();
  nlohmann::json model_metrics = evaluate(evaluated, dataset, test_split, model_options, &own_popularity);
  std::map<std::string, nlohmann::json> baseline_metrics;
  const auto compared = baseline_names(config);
  for (const auto& [name, baseline] : baselines) {
    if (name == type) continue;
    if (std::find(compared.begin(), compared.end(), name) == compared.end()) continue;
    baseline_metrics[name] = evaluate(*baseline, dataset, test_split, test_options, popularity);
  }
  result.report = make_result_report(request.model_version, model_metrics, baseline_metrics);
  if (!fallback.is_null()) {
    if (rejected) {  // for the record only: the choice was made on validation
      EvalOptions rejected_options = test_options;
      rejected_options.cold_user_path = fallback["trained_model_section"].value("cold_user_path", std::string("auto"));
      fallback["trained_test_ndcg@10"] =
          evaluate(*rejected, dataset, test_split, rejected_options, &own_popularity).at("ranking").value("ndcg@10", 0.0);
    }
    result.report["fallback"] = fallback;
  }
  result.report["warnings"] = warnings;
  result.warnings = warnings;
  result.report["training"] = {{"epochs_run", result.outcome.epochs_run},
                               {"best_epoch", result.outcome.best_epoch},
                               {"stop_reason", result.outcome.stop_reason},
                               {"resumed", result.outcome.resumed}};
  result.data_summary = bundle.config["training_data"];
  result.data_summary["split"] = split_statistics(dataset, split, shards);
  if (shards) bundle.seen = gather_seen_items(bundle.seen, *shards);  // serving excludes every user's items
  if (!root) return result;  // sharded ranks took part in the collectives above; rank 0 saves

  bundle.config["warnings"] = warnings;
  // Serving recomputes a trained user's behaviour features after new events from
  // these aggregates (issue #19). One process's rows only: a sharded run has no
  // single place that holds every user's, so its models keep the trained features.
  if (!shards && bundle.feature_builder && bundle.recommender->feature_fold_in())
    bundle.training_behaviour = bundle.feature_builder->training_behaviour(dataset, split);
  bundle.save(request.out);
  write_json_atomic(request.out / "metrics.json", result.report);
  write_json_atomic(request.out / "training_history.json", result.history);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return result;
}

}  // namespace hybridrec
