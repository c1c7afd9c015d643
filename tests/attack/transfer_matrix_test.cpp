#include "nnlab/attack/transfer_matrix.h"

#include <gtest/gtest.h>

#include <thread>

#include "attack/folder_testing.h"
#include "nnlab/attack/folder_attack.h"
#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::attack::testing {
namespace {

// Two victims of one architecture: the trained model and a second one trained from another seed
// for fewer steps, saved so that every thread of the sharded test loads its own copies.
struct Victims {
  std::string a, b;  // checkpoint paths
};

models::Classifier second_model() {
  torch::manual_seed(11);
  auto m = models::create_model("lenet300", {/*num_classes=*/kClasses, 0});
  torch::optim::Adam optimizer(m.parameters(), torch::optim::AdamOptions(1e-3));
  m.train();
  for (int step = 0; step < 20; ++step) {
    const auto batch = make_batch(64, 5000 + step);
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(m.forward(batch.images), batch.labels).backward();
    optimizer.step();
  }
  m.eval();
  return m;
}

std::vector<models::Classifier> load_victims(const Victims& v) {
  std::vector<models::Classifier> out;
  for (const auto& path : {v.a, v.b})
    out.push_back(models::classifier_from_checkpoint(models::read_checkpoint(path), path));
  return out;
}

// The clean folder, each victim attacking itself (FGSM, 16/255) into adv_a and adv_b.
struct Setup {
  Victims victims;
  std::string clean, adv_a, adv_b;
  FolderAttackResult by_a, by_b;
};

Setup make_setup(const ScratchDir& dir) {
  Setup s;
  s.victims = {dir / "a.ckpt", dir / "b.ckpt"};
  models::save_checkpoint(s.victims.a, models::make_checkpoint(trained_model()));
  models::save_checkpoint(s.victims.b, models::make_checkpoint(second_model()));
  s.clean = dir / "clean";
  write_task_folder(s.clean, make_batch(15, 83));
  auto victims = load_victims(s.victims);
  FolderAttackOptions options;
  options.input = s.clean;
  options.sweep.epsilons = {16};
  options.sweep.progress = false;
  s.adv_a = options.sweep.output = dir / "adv_a";
  s.by_a = run_folder_attack(victims[0], options);
  s.adv_b = options.sweep.output = dir / "adv_b";
  s.by_b = run_folder_attack(victims[1], options);
  return s;
}

TEST(TransferMatrix, TheDiagonalIsEachModelAttackingItself) {
  ScratchDir dir;
  const auto s = make_setup(dir);
  auto victims = load_victims(s.victims);
  TransferMatrixOptions options;
  options.clean = s.clean;
  options.inputs = {s.adv_a, s.adv_b};
  options.victim_files = {"a", "b"};
  options.defenses = {parse_defense("bits:4")};
  const auto m = transfer_matrix(victims, options);

  EXPECT_EQ(m.count, 15);
  EXPECT_EQ(m.rows,
            (std::vector<std::string>{"clean", "lenet300 fgsm eps 16", "lenet300 fgsm eps 16"}));
  EXPECT_EQ(m.columns, (std::vector<std::string>{"lenet300 (a)", "lenet300 (a) [bits:4]",
                                                 "lenet300 (b)", "lenet300 (b) [bits:4]"}));
  ASSERT_EQ(m.accuracy.size(), 3u);
  // Clean row: each victim's clean accuracy; diagonal: each model on its own examples.
  EXPECT_DOUBLE_EQ(m.accuracy[0][0], s.by_a.sweep.runs[0].scores.clean_accuracy);
  EXPECT_DOUBLE_EQ(m.accuracy[0][2], s.by_b.sweep.runs[0].scores.clean_accuracy);
  EXPECT_DOUBLE_EQ(m.accuracy[1][0], s.by_a.sweep.runs[0].scores.adversarial_accuracy);
  EXPECT_DOUBLE_EQ(m.accuracy[2][2], s.by_b.sweep.runs[0].scores.adversarial_accuracy);
  // Behind a defense: the victim's accuracy on the defended images.
  EXPECT_DOUBLE_EQ(m.accuracy[1][1],
                   defended_accuracy(victims[0], parse_defense("bits:4"), s.by_a.sweep.adversarial,
                                     s.by_a.clean.labels));
  const auto csv = m.to_csv();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "images \\ victim,lenet300 (a),lenet300 (a) [bits:4],lenet300 (b),lenet300 (b) "
            "[bits:4]");
  EXPECT_NE(csv.find("clean," + report::fixed(m.accuracy[0][0], 6)), std::string::npos) << csv;

  // A folder without metrics.json is named by its folder; one victim per architecture alone.
  std::filesystem::remove(s.adv_a + "/metrics.json");
  options.victim_files = {};
  options.defenses = {};
  const auto plain = transfer_matrix(victims, options);
  EXPECT_EQ(plain.rows[1], "adv_a");
  EXPECT_EQ(plain.columns, (std::vector<std::string>{"lenet300", "lenet300"}));
  EXPECT_DOUBLE_EQ(plain.accuracy[1][0], m.accuracy[1][0]);
}

TEST(TransferMatrix, ShardedOverTwoProcessesEqualsOneProcess) {
  ScratchDir dir;
  const auto s = make_setup(dir);
  TransferMatrixOptions options;
  options.clean = s.clean;
  options.inputs = {s.adv_a, s.adv_b};
  options.defenses = {parse_defense("median:3")};
  options.batch_size = 4;  // shares of 8 and 7 images: several batches, one short
  auto victims = load_victims(s.victims);
  const auto whole = transfer_matrix(victims, options);

  // Two ranks in two threads of this process, meeting on a free port.
  const int port = 29600 + static_cast<int>(::getpid() % 1000);
  std::vector<TransferMatrix> shards(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    ranks.emplace_back([&, rank] {
      try {
        train::DistributedOptions d;
        d.rank = rank;
        d.local_rank = rank;
        d.world_size = 2;
        d.master_port = port;
        d.timeout_seconds = 60;
        auto group = train::ProcessGroup::connect(d);
        auto own = load_victims(s.victims);
        auto sharded = options;
        sharded.group = group.get();
        shards[static_cast<size_t>(rank)] = transfer_matrix(own, sharded);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(rank)] = e.what();
      }
    });
  }
  for (auto& t : ranks) t.join();
  for (int rank = 0; rank < 2; ++rank) {
    ASSERT_EQ(errors[static_cast<size_t>(rank)], "") << "rank " << rank;
    EXPECT_EQ(shards[static_cast<size_t>(rank)].accuracy, whole.accuracy) << "rank " << rank;
    EXPECT_EQ(shards[static_cast<size_t>(rank)].rows, whole.rows);
  }
}

TEST(TransferMatrix, BadInputNamesTheFieldOrFile) {
  ScratchDir dir;
  write_task_folder(dir / "clean", make_batch(3, 89));
  std::vector<models::Classifier> victims = {trained_model()};
  TransferMatrixOptions options;
  options.clean = dir / "clean";
  try {
    transfer_matrix(victims, options);
    ADD_FAILURE();
  } catch (const core::OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("TransferMatrixOptions.inputs"), std::string::npos);
  }
  options.inputs = {dir / "nowhere"};
  try {
    transfer_matrix(victims, options);
    ADD_FAILURE();
  } catch (const core::FileError& e) {
    EXPECT_EQ(e.path(), dir / "nowhere");
  }
  // A folder without the adversarial images: the first missing file is named.
  options.inputs = {dir / "clean"};
  try {
    transfer_matrix(victims, options);
    ADD_FAILURE();
  } catch (const core::FileError& e) {
    EXPECT_EQ(e.path(), dir / "clean/000.png");
  }
}

}  // namespace
}  // namespace nnlab::attack::testing
