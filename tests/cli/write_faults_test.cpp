// Faults while writing. A full disk (a small tmpfs when the test may mount one; a file-size limit
// always) and a read-only folder, while writing a checkpoint, an .nnz, a folder of adversarial
// PNGs and an HTML report; SIGTERM and SIGKILL in the middle of writing a 200 MB model file, a
// 500 MB classifier checkpoint, a 250 MB .nnz, a folder of adversarial PNGs and an HTML report
// (a few kilobytes, held half written by an LD_PRELOAD library, tests/preload/stall_writes.cpp).
// Each ends with exit status 1 and one line (SIGTERM: killed by it, one line; SIGKILL: no line),
// the previous outputs intact and no temporary left under any name -- except the staging folder a
// SIGKILL leaves, which the next run writing the same folder removes (docs/FORMAT.md, "How files
// are written").
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "cli/cli_test_util.h"
#include "nnlab/data/image_folder_writer.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPrevious = "previous output\n";

std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

// nnlab started directly (no shell), so that its pid is known and signals reach it.
struct Process {
  pid_t pid = -1;
  std::string err_path;
  int exit_code = -1;
  int signal = 0;

  // file_size_limit > 0: RLIMIT_FSIZE in the child, SIGXFSZ ignored, so a write past it fails
  // with EFBIG as on a full disk. env: variables set in the child.
  Process(const std::string& args, const std::string& err, long file_size_limit = 0,
          const std::vector<std::pair<std::string, std::string>>& env = {})
      : err_path(err) {
    std::vector<std::string> words;
    std::istringstream in(args);
    for (std::string w; in >> w;) words.push_back(w);
    pid = ::fork();
    if (pid == 0) {
      ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
      for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
      const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDERR_FILENO);
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDIN_FILENO);
      if (file_size_limit > 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{static_cast<rlim_t>(file_size_limit),
                           static_cast<rlim_t>(file_size_limit)};
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      std::vector<char*> argv = {const_cast<char*>(NNLAB_BINARY)};
      for (auto& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      ::execv(NNLAB_BINARY, argv.data());
      ::_exit(127);
    }
  }
  // True once it has ended (status recorded).
  bool poll() {
    if (pid < 0) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) return false;
    record(status);
    return true;
  }
  void wait() {
    if (pid < 0) return;
    int status = 0;
    ::waitpid(pid, &status, 0);
    record(status);
  }
  std::string err() const { return read_text(err_path); }

 private:
  void record(int status) {
    if (WIFEXITED(status)) exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) signal = WTERMSIG(status);
    pid = -1;
  }
};

CommandResult run_limited(const std::string& args, const std::string& err, long limit) {
  Process p(args, err, limit);
  p.wait();
  return {p.exit_code, p.signal, "", p.err()};
}

// A small tmpfs (the test runs as root in CI); mounted is false where that is not allowed.
struct Tmpfs {
  std::string dir;
  bool mounted = false;
  explicit Tmpfs(const std::string& path) : dir(path) {
    fs::create_directories(dir);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=32k") == 0;
  }
  void make_read_only() const {
    ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=32k"), 0);
  }
  ~Tmpfs() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

// A trained-size lenet300 checkpoint, a small IDX set and a folder of its test images.
struct Fixture {
  std::string dir, data, model, images;
  explicit Fixture(const std::string& name)
      : dir(scratch_dir(name)), data(dir + "/data"), model(dir + "/d.ckpt"), images(dir + "/set") {
    write_synthetic_idx(data, 60, 120);
    torch::manual_seed(0);
    models::save_checkpoint(model, models::make_checkpoint(models::create_model("lenet300")));
    const auto r =
        run_nnlab("export-images --data idx:" + data + " --split test -n 0 -o " + images + " -q");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  // The command writing each kind of output into folder `out`.
  std::string checkpoint(const std::string& out) const {
    return "prune --model " + model +
           " --sparsity 0.5 --steps 1 --finetune-epochs 0 --data idx:" + data + " -o " + out +
           "/m.ckpt -q";
  }
  std::string nnz(const std::string& out) const {
    return "quantize --model " + model +
           " --method float16 --finetune-epochs 0 --data idx:" + data + " -o " + out + "/m.nnz -q";
  }
  std::string attack(const std::string& out) const {
    return "attack --method fgsm --model " + model + " --input " + images + " -o " + out +
           "/adv -q";
  }
  std::string report(const std::string& out) const {
    return "attack --method fgsm --model " + model + " --input " + images + " -o " + dir +
           "/adv_for_report --report " + out + "/r.html -q";
  }
};

void write_previous(const std::string& out) {
  std::ofstream(out + "/m.ckpt") << kPrevious;
  std::ofstream(out + "/m.nnz") << kPrevious;
  std::ofstream(out + "/r.html") << kPrevious;
  fs::create_directories(out + "/adv");
  std::ofstream(out + "/adv/metrics.json") << kPrevious;
}

// Every previous output exactly as it was, and nothing else: no temporary of any kind.
void expect_previous_only(const std::string& out) {
  EXPECT_EQ(listing(out), (std::set<std::string>{"adv", "m.ckpt", "m.nnz", "r.html"}));
  EXPECT_EQ(listing(out + "/adv"), std::set<std::string>{"metrics.json"});
  for (const auto* file : {"/m.ckpt", "/m.nnz", "/r.html", "/adv/metrics.json"})
    EXPECT_EQ(read_text(out + file), kPrevious) << file;
}

void expect_one_line(const CommandResult& r, const std::string& command,
                     const std::string& problem) {
  EXPECT_EQ(r.exit_code, 1) << command << "\nsignal " << r.signal << "\n" << r.err;
  EXPECT_EQ(line_count(r.err), 1) << command << "\n" << r.err;
  EXPECT_NE(r.err.find(problem), std::string::npos) << command << "\n" << r.err;
}

}  // namespace

TEST(WriteFaults, FullDiskLeavesThePreviousOutputs) {
  Fixture f("faults_full_disk");
  Tmpfs disk(f.dir + "/disk");
  if (disk.mounted) {
    write_previous(disk.dir);
    for (const auto& command :
         {f.checkpoint(disk.dir), f.nnz(disk.dir), f.attack(disk.dir), f.report(disk.dir)}) {
      expect_one_line(run_nnlab(command), command, "No space left on device");
    }
    expect_previous_only(disk.dir);
  }
  // Without a mount (not root), or as well: a file-size limit fails the same writes with EFBIG.
  const std::string out = f.dir + "/limited";
  fs::create_directories(out);
  write_previous(out);
  for (const auto& command : {f.checkpoint(out), f.nnz(out), f.attack(out), f.report(out)}) {
    expect_one_line(run_limited(command, f.dir + "/err", 512), command, "File too large");
  }
  expect_previous_only(out);
}

TEST(WriteFaults, ReadOnlyFolderLeavesThePreviousOutputs) {
  Fixture f("faults_read_only");
  Tmpfs disk(f.dir + "/ro");
  if (disk.mounted) {
    write_previous(disk.dir);
    disk.make_read_only();
  } else {
    write_previous(disk.dir);
    fs::permissions(disk.dir, fs::perms::owner_read | fs::perms::owner_exec);
    fs::permissions(disk.dir + "/adv", fs::perms::owner_read | fs::perms::owner_exec);
  }
  for (const auto& command :
       {f.checkpoint(disk.dir), f.nnz(disk.dir), f.attack(disk.dir), f.report(disk.dir)}) {
    expect_one_line(run_nnlab(command), command, disk.dir);
  }
  expect_previous_only(disk.dir);
}

namespace {

// Waits until the process has a file open for writing in dir (its unnamed O_TMPFILE file, or a
// named temporary), then sends sig. False if it ended first.
bool signal_while_writing_in(Process& p, const std::string& dir, int sig) {
  const std::string prefix = fs::canonical(dir).string() + "/";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (p.poll()) return false;
    const std::string fds = "/proc/" + std::to_string(p.pid) + "/fd";
    std::error_code error;
    for (fs::directory_iterator it(fds, error), end; !error && it != end; it.increment(error)) {
      const std::string target = fs::read_symlink(it->path(), error).string();
      if (!error && target.rfind(prefix, 0) == 0) {
        ::kill(p.pid, sig);
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

// Waits until the attack's staging folder beside out/adv holds files, then sends sig.
bool signal_while_staging(Process& p, const std::string& out, int sig) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (p.poll()) return false;
    for (const auto& name : listing(out)) {
      if (name.rfind(".nnlab-tmp.", 0) == 0 && fs::is_directory(out + "/" + name) &&
          listing(out + "/" + name).size() > 10) {
        ::kill(p.pid, sig);
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// g2p train writing a G2P model of about 200 MB (an nnlab archive, the container of
// checkpoints): long enough to be caught while it is written. (A classifier that big would need
// hundreds of thousands of classes, and its evaluation a confusion matrix of their square.)
std::string big_model_command(const Fixture& f, const std::string& out) {
  std::ofstream(f.dir + "/dict") << "abc AA B K\ncab K AA B\nbac B AA K\nbad B AA D\ndab D AA B\n";
  return "g2p train --train " + f.dir +
         "/dict --dev-fraction 0.4 --epochs 1 --embedding 256 --hidden 1024 --decoder-hidden "
         "1536 -o " +
         out + "/m.ckpt -q";
}

}  // namespace

TEST(WriteFaults, SigtermWhileWritingAModelFileLeavesThePreviousOne) {
  Fixture f("faults_sigterm_checkpoint");
  const std::string out = f.dir + "/out";
  fs::create_directories(out);
  write_previous(out);
  Process p(big_model_command(f, out), f.dir + "/err");
  ASSERT_TRUE(signal_while_writing_in(p, out, SIGTERM)) << p.err();
  p.wait();
  EXPECT_EQ(p.signal, SIGTERM);
  EXPECT_EQ(p.err(), "nnlab: error: stopped by SIGTERM; unfinished outputs removed\n");
  expect_previous_only(out);
}

TEST(WriteFaults, SigkillWhileWritingAModelFileLeavesNothing) {
  Fixture f("faults_sigkill_checkpoint");
  const std::string out = f.dir + "/out";
  fs::create_directories(out);
  write_previous(out);
  Process p(big_model_command(f, out), f.dir + "/err");
  ASSERT_TRUE(signal_while_writing_in(p, out, SIGKILL)) << p.err();
  p.wait();
  EXPECT_EQ(p.signal, SIGKILL);
  // The unnamed O_TMPFILE file went with the process: not even a temporary is left.
  expect_previous_only(out);
}

TEST(WriteFaults, SigtermWhileWritingAdversarialImagesLeavesThePreviousFolder) {
  Fixture f("faults_sigterm_attack");
  const std::string out = f.dir + "/out";
  fs::create_directories(out);
  write_previous(out);
  Process p(f.attack(out), f.dir + "/err");
  ASSERT_TRUE(signal_while_staging(p, out, SIGTERM)) << p.err();
  p.wait();
  EXPECT_EQ(p.signal, SIGTERM);
  EXPECT_EQ(p.err(), "nnlab: error: stopped by SIGTERM; unfinished outputs removed\n");
  expect_previous_only(out);
}

TEST(WriteFaults, SigkillWhileWritingAdversarialImagesIsCleanedByTheNextRun) {
  Fixture f("faults_sigkill_attack");
  const std::string out = f.dir + "/out";
  fs::create_directories(out);
  write_previous(out);
  Process p(f.attack(out), f.dir + "/err");
  ASSERT_TRUE(signal_while_staging(p, out, SIGKILL)) << p.err();
  p.wait();
  EXPECT_EQ(p.signal, SIGKILL);
  // The previous folder is whole; the staging folder stays, under its temporary name only.
  EXPECT_EQ(listing(out + "/adv"), std::set<std::string>{"metrics.json"});
  EXPECT_EQ(read_text(out + "/adv/metrics.json"), kPrevious);
  const auto left = listing(out);
  EXPECT_EQ(left.size(), 5u);
  // The next run writing the same folder removes it and puts the whole new folder in place.
  const auto r = run_nnlab(f.attack(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listing(out), (std::set<std::string>{"adv", "m.ckpt", "m.nnz", "r.html"}));
  EXPECT_EQ(listing(out + "/adv").size(), 120u + 2u);  // the PNGs, metrics.json, per_image.csv
  EXPECT_NE(read_text(out + "/adv/metrics.json"), kPrevious);
}

// A classifier checkpoint and an .nnz big enough to be caught while written: VGG-11's 133 M
// weights (prune, of one layer to keep it quick, writes them as a 530 MB checkpoint, quantize
// --method float16 as a 265 MB .nnz), tested on two 224x224 images. Each signal leaves the previous
// files and no temporary.
TEST(WriteFaults, SignalsWhileWritingAClassifierCheckpointOrAnNnzLeaveThePreviousOne) {
  Fixture f("faults_signal_big");
  const std::string big = f.dir + "/vgg11.ckpt", images = f.dir + "/photos";
  torch::manual_seed(0);
  models::save_checkpoint(big, models::make_checkpoint(models::create_model("vgg11")));
  data::Dataset photos;
  photos.images = torch::rand({2, 3, 224, 224});
  photos.labels = torch::tensor({3, 7}, torch::kLong);
  data::write_image_folder(photos, images);
  const std::string tail = " --finetune-epochs 0 --latency-batch 1 --data folder:" + images + " -q";
  const std::string checkpoint =
      "prune --model " + big + " --layers features.0.weight --sparsity 0.5 --steps 1" + tail;
  const std::string nnz = "quantize --model " + big + " --method float16" + tail;
  for (const auto& [command, file] :
       {std::pair{checkpoint, std::string("m.ckpt")}, std::pair{nnz, std::string("m.nnz")}}) {
    for (const int sig : {SIGTERM, SIGKILL}) {
      const std::string out = f.dir + "/out_" + file + "_" + std::to_string(sig);
      fs::create_directories(out);
      write_previous(out);
      Process p(command + " -o " + out + "/" + file, f.dir + "/err");
      ASSERT_TRUE(signal_while_writing_in(p, out, sig)) << command << "\n" << p.err();
      p.wait();
      EXPECT_EQ(p.signal, sig) << command;
      if (sig == SIGTERM) {
        EXPECT_EQ(p.err(), "nnlab: error: stopped by SIGTERM; unfinished outputs removed\n");
      }
      expect_previous_only(out);
    }
  }
}

// The HTML report is a few kilobytes, written in one call: too quick to catch by watching the
// process. The preloaded library holds that write half done (half the bytes in the unnamed
// O_TMPFILE file), says so through a marker file, and waits; then the signal comes. SIGTERM: the
// one line, killed by it; both: the previous report intact and no temporary of any kind.
TEST(WriteFaults, SignalsWhileWritingAReportLeaveThePreviousOne) {
  Fixture f("faults_signal_report");
  for (const int sig : {SIGTERM, SIGKILL}) {
    const std::string out = f.dir + "/out_" + std::to_string(sig);
    const std::string marker = f.dir + "/stalled_" + std::to_string(sig);
    fs::create_directories(out);
    write_previous(out);
    Process p(f.report(out), f.dir + "/err", /*file_size_limit=*/0,
              {{"LD_PRELOAD", NNLAB_STALL_WRITES},
               {"NNLAB_TEST_STALL_DIR", fs::canonical(out).string()},
               {"NNLAB_TEST_STALL_MARKER", marker}});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(marker) && !p.poll() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(fs::exists(marker)) << "the report's write was never reached\n" << p.err();
    ::kill(p.pid, sig);
    p.wait();
    EXPECT_EQ(p.signal, sig);
    if (sig == SIGTERM) {
      EXPECT_EQ(p.err(), "nnlab: error: stopped by SIGTERM; unfinished outputs removed\n");
    }
    expect_previous_only(out);
  }
}

}  // namespace nnlab::testing
