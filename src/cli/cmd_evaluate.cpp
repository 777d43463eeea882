#include <fmt/format.h>

#include <iostream>
#include <map>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/evaluator.h"
#include "eval/leave_one_out.h"
#include "eval/result_report.h"
#include "model/baselines.h"
#include "model/model_families.h"
#include "train/model_bundle.h"
#include "train/pipeline.h"

namespace hybridrec::cli {

namespace {
struct EvaluateArgs {
  std::string model_dir;
  DataOptions data;
  std::string part = "test";
  std::string ks;         // empty: the run's evaluation.k
  std::string baselines;  // empty: the run's evaluation.baselines
  std::string out;
  std::string group_by;
  int loo_negatives = 0;
  bool json = false;
};

// Evaluation needs the dense indices the model was trained with; a dataset that
// maps ids differently would silently score the wrong users.
void require_same_ids(const IdMap& model, const IdMap& data, const char* what, const std::string& path) {
  if (model.size() != data.size() || model.ids() != data.ids())
    throw Error(fmt::format("{} ids of {} differ from the model's {} id map ({} vs {} ids): evaluate on the data the "
                            "model was trained on",
                            what, path, what, data.size(), model.size()));
}
}  // namespace

void register_evaluate(CLI::App& app) {
  auto args = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate", "evaluate a trained model against the baselines on a split");
  cmd->add_option("--model", args->model_dir, "model folder written by 'hybridrec train'")->required();
  add_data_options(*cmd, args->data, false);
  cmd->add_option("--split", args->part, "part to evaluate")->check(CLI::IsMember({"test", "validation"}))->capture_default_str();
  cmd->add_option("--k", args->ks, "cut-offs, comma separated (default: the run's evaluation.k)");
  cmd->add_option("--baselines", args->baselines,
                  "baselines to compare with, comma separated, or 'none' (default: the run's evaluation.baselines)");
  cmd->add_option("--group-by", args->group_by, "user attribute for the fairness metrics (default: the first categorical one)");
  cmd->add_option("--out", args->out, "result file (default: the model folder's metrics.json)");
  cmd->add_option("--leave-one-out", args->loo_negatives,
                  "also rank each user's held-out item among N sampled negatives (HR@K, NDCG@K; use with a "
                  "leave_one_out split, e.g. 99 as in the NCF paper)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--json", args->json, "print the result JSON instead of the table");
  cmd->callback([args] {
    ModelBundle bundle = ModelBundle::load(args->model_dir);
    const nlohmann::json& td = bundle.config.at("training_data");
    std::string data_path = args->data.path.empty() ? td.at("path").get<std::string>() : args->data.path;
    // The data is read as training read it (the run's data.* keys), flags over them.
    nlohmann::json recorded = bundle.config;
    LoadOptions load = resolve_load_options(args->data, &recorded);
    if (args->data.path.empty()) load.format = td.value("format", std::string("auto"));
    if (!args->out.empty()) refuse_overwriting_inputs(args->out, data_path, load);
    Dataset dataset = load_dataset(data_path, load);
    require_same_ids(bundle.users, dataset.users, "user", data_path);
    require_same_ids(bundle.items, dataset.items, "item", data_path);
    Split split = make_split(dataset, split_config_from(bundle.config));

    // The run's evaluation settings (evaluation.k, group_by,
    // data.negative_sampling_ratio, threads, seed), as training evaluated it.
    EvalOptions options = eval_options(bundle.config, args->part, false);
    if (!args->ks.empty()) options.ks = parse_k_list(args->ks);
    if (!args->group_by.empty()) options.group_by = args->group_by;
    std::vector<std::string> baseline_list;
    if (args->baselines.empty()) {
      if (bundle.config.contains("evaluation") && bundle.config["evaluation"].contains("baselines"))
        baseline_list = bundle.config["evaluation"]["baselines"].get<std::vector<std::string>>();
    } else if (args->baselines != "none") {
      std::stringstream ss(args->baselines);
      for (std::string name; std::getline(ss, name, ',');)
        if (!name.empty()) baseline_list.push_back(name);
    }

    TrainingContext ctx{&dataset, &split, nullptr, bundle.config, options.seed, options.threads};
    auto popularity = make_model("popularity", bundle.config);
    popularity->fit(ctx);
    // The model's users routed to popularity get its own popularity, as in training.
    const PopularityBaseline own_popularity = bundle.popularity_model();
    EvalOptions model_options = options;
    model_options.cold_user_path = bundle.cold_user_path();
    nlohmann::json model_metrics = evaluate(*bundle.recommender, dataset, split, model_options, &own_popularity);
    std::map<std::string, nlohmann::json> baseline_metrics;
    for (const auto& name : baseline_list) {
      if (name == bundle.type()) continue;
      auto model = make_model(name, bundle.config);
      model->fit(ctx);
      baseline_metrics[name] = evaluate(*model, dataset, split, options, popularity.get());
    }
    std::string version = bundle.config.value("model_version", std::string("unregistered"));
    nlohmann::json report = make_result_report(version, model_metrics, baseline_metrics);
    if (args->loo_negatives > 0)
      report["leave_one_out"] = evaluate_leave_one_out(*bundle.recommender, dataset, split, args->loo_negatives,
                                                       options.ks, options.seed);
    std::filesystem::path out = args->out.empty() ? std::filesystem::path(args->model_dir) / "metrics.json"
                                                  : std::filesystem::path(args->out);
    write_json_atomic(out, report);
    if (args->json)
      std::cout << report.dump(2) << "\n";
    else {
      std::cout << format_metrics_table(report);
      if (report.contains("leave_one_out")) {
        const auto& loo = report["leave_one_out"];
        std::cout << fmt::format("\nleave-one-out, {} negatives per held-out item:", args->loo_negatives);
        for (int k : options.ks)
          std::cout << fmt::format("  HR@{} {:.4f}  NDCG@{} {:.4f}", k, loo.value("hit_rate@" + std::to_string(k), 0.0), k,
                                   loo.value("ndcg@" + std::to_string(k), 0.0));
        std::cout << "\n";
      }
      // Full-catalogue ranking cost: every evaluated user against every item.
      double seconds = model_metrics.value("elapsed_seconds", 0.0);
      double pairs = model_metrics.value("users_evaluated", 0.0) * static_cast<double>(dataset.num_items());
      std::cout << fmt::format("\nevaluated {} users x {} items in {:.3f} s ({:.1f}M pairs/s, {} threads)",
                               model_metrics.value("users_evaluated", 0), dataset.num_items(), seconds,
                               seconds > 0 ? pairs / seconds / 1e6 : 0.0, options.threads);
      std::cout << "\nwritten to " << out.string() << "\n";
    }
  });
}

}  // namespace hybridrec::cli
