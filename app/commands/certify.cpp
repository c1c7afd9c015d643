// nnlab certify: randomized smoothing's certified L2 radii (attack/randomized_smoothing.h, Cohen et
// al. 2019) for the test images of a data set: per image the certified class or an abstention and
// its radius; certified accuracy at a list of radii.
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/randomized_smoothing.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct CertifyCommandOptions {
  ModelFlags model;
  std::string data;
  attack::SmoothingOptions smoothing;
  std::int64_t limit = 0;
  std::string radii = "0,0.25,0.5,1.0";
  std::string output;
};

void run_certify(CertifyCommandOptions options, const GlobalOptions& global) {
  const auto radii =
      domain::number_list("--radii", options.radii, 0, std::numeric_limits<double>::infinity(),
                          "L2, [0,1] pixel units");
  options.smoothing.validate();  // before the model and the data are read
  const core::ExecutionContext context = start(global);
  options.smoothing.seed = context.seed;
  auto model = load_model_from_flags(options.model, context);
  const auto& mi = model.info();
  // Options are checked before the data is read.
  attack::RandomizedSmoothing smoothing(model, options.smoothing);
  const std::string spec = data_spec_for(mi, options.data);
  auto test = data::load_data(spec, data_options_for(mi)).test;
  if (options.limit > 0) test = test.head(options.limit);
  if (test.size() == 0) throw core::OptionError("--data", spec + " has no test images");

  const auto n = test.size();
  std::vector<attack::SmoothingCertificate> certificates;
  std::vector<std::int64_t> labels;
  std::vector<double> seconds;
  report::Table rows({"index", "label", "predicted", "radius", "correct", "seconds"});
  nlohmann::json images = nlohmann::json::array();
  const auto start_time = std::chrono::steady_clock::now();
  core::Progress progress("certify", n, "img");
  for (std::int64_t i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto c = smoothing.certify(test.images[i], i);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto label = test.labels[i].item<std::int64_t>();
    const bool correct = c.prediction == label;
    certificates.push_back(c);
    labels.push_back(label);
    seconds.push_back(s);
    rows.add_row({std::to_string(i), std::to_string(label), std::to_string(c.prediction),
                  report::fixed(c.radius, 4), correct ? "1" : "0", report::fixed(s, 3)});
    images.push_back({{"index", i},
                      {"label", label},
                      {"predicted", c.prediction},
                      {"radius", c.radius},
                      {"correct", correct},
                      {"count", c.count},
                      {"p_lower", c.p_lower},
                      {"seconds", s}});
    progress.advance();
  }
  progress.finish();
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  if (!options.output.empty()) core::write_text_atomically(options.output, rows.to_csv());

  const auto accuracy = attack::certified_accuracy(certificates, labels, radii);
  std::int64_t abstained = 0;
  for (const auto& c : certificates) abstained += c.prediction == attack::kAbstain ? 1 : 0;
  const double abstention = static_cast<double>(abstained) / static_cast<double>(n);

  nlohmann::json json = {
      {"model", options.model.model.empty() ? options.model.weights : options.model.model},
      {"arch", mi.arch},
      {"data", spec},
      {"count", n},
      {"sigma", options.smoothing.sigma},
      {"n0", options.smoothing.n0},
      {"n", options.smoothing.n},
      {"alpha", options.smoothing.alpha},
      {"batch_size", options.smoothing.batch_size},
      {"abstention_rate", abstention},
      {"seconds", total}};
  json["certified_accuracy"] = nlohmann::json::array();
  report::Table summary({"radius", "certified accuracy"});
  for (size_t k = 0; k < radii.size(); ++k) {
    json["certified_accuracy"].push_back({{"radius", radii[k]}, {"accuracy", accuracy[k]}});
    summary.add_row({core::number_text(radii[k]), report::percent(accuracy[k])});
  }
  json["images"] = images;
  if (!options.output.empty()) json["output"] = options.output;
  std::string human =
      mi.arch + " smoothed with sigma " + core::number_text(options.smoothing.sigma) + " on " +
      std::to_string(n) + " images of " + spec + " (n0 " + std::to_string(options.smoothing.n0) +
      ", n " + std::to_string(options.smoothing.n) + ", alpha " +
      core::number_text(options.smoothing.alpha) + "): abstained on " +
      report::percent(abstention) + ", " + report::fixed(total, 1) + " s\n\n" + summary.render();
  if (!options.output.empty()) human += "\nper image: " + options.output;
  emit(global, context, json, human);
}

}  // namespace

void setup_certify(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<CertifyCommandOptions>();
  auto* command = app.add_subcommand(
      "certify", "certified L2 radii by randomized smoothing (Cohen et al. 2019)");
  add_model_flags(*command, options->model);
  auto& s = options->smoothing;
  command->add_option("--data", options->data, "fashion-mnist | idx:DIR | folder:DIR (test split)");
  command
      ->add_option("--sigma", s.sigma,
                   "noise std in [0,1] pixel units (the one the model was trained with)")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->check(domain::positive());
  command->add_option("--n0", s.n0, "noise draws that pick the class")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--n", s.n, "noise draws that estimate its probability")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--alpha", s.alpha, "failure probability of each certificate")
      ->check(domain::range(0, 1, /*lo_open=*/true, /*hi_open=*/true))
      ->capture_default_str();
  command->add_option("--batch-size", s.batch_size, "noisy copies per forward pass")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--limit", options->limit, "the first N test images only")
      ->check(domain::non_negative());
  command->add_option("--radii", options->radii, "L2 radii of the certified accuracy (comma list)")
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "per-image CSV");
  command->callback([options, &global] { run_certify(*options, global); });
}

}  // namespace nnlab::app
