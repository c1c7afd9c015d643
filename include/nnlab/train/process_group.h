// Processes that train or attack together, on PyTorch's own distributed engine: c10d with a
// TCPStore rendezvous and ProcessGroupGloo (no transport of our own). Processes find each other
// by torchrun's conventions — RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT — so the
// same binary runs under `nnlab launch`, torchrun, Slurm or by hand on several hosts. Every
// collective has a timeout: a peer that died or hangs makes the others fail with an error
// instead of waiting forever. Every rank also beats a heartbeat counter in the store once a
// second, so that a rank whose collective failed can name the peer that stopped (SIGSTOP, a
// debugger, a swapped-out host) or died.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nnlab::train {

struct DistributedOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_seconds = kDefaultTimeoutSeconds;  // rendezvous and each collective

  // Long enough for the slowest step of a big model on a loaded host, short enough that a job
  // with a hung rank ends within minutes.
  static constexpr double kDefaultTimeoutSeconds = 300;

  bool enabled() const { return world_size > 1; }
  // From RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT and NNLAB_DIST_TIMEOUT (seconds);
  // absent variables keep the defaults (one process). timeout_seconds > 0 overrides the
  // variable (a command-line setting). Throws core::OptionError naming the variable
  // when a value is malformed or out of range.
  static DistributedOptions from_environment(double timeout_seconds = 0);
};

// The contiguous share [first, second) of n items that `rank` of `count` takes: in rank order,
// sizes differing by at most one, every item in exactly one share.
std::pair<std::int64_t, std::int64_t> share_of(std::int64_t n, int rank, int count);

class ProcessGroup {
 public:
  // Rendezvous at master_addr:master_port (rank 0 hosts the store) and connect every rank.
  // Throws std::runtime_error ("distributed: ...") when the others do not come in time.
  static std::shared_ptr<ProcessGroup> connect(const DistributedOptions& options);
  // connect(DistributedOptions::from_environment(timeout_seconds)) when the environment names
  // several processes; nullptr for a single one.
  static std::shared_ptr<ProcessGroup> join_from_environment(double timeout_seconds = 0);
  ~ProcessGroup();

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  // This rank's share of n items (share_of).
  std::pair<std::int64_t, std::int64_t> share(std::int64_t n) const {
    return share_of(n, rank(), world_size());
  }

  // In place; every tensor on the CPU or all on one device. Throw std::runtime_error
  // ("distributed: rank R: ... rank P stopped responding ...") when a peer fails or the timeout
  // passes; the message names the peers whose heartbeat stopped.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
  void barrier();

 private:
  explicit ProcessGroup(DistributedOptions options);
  // Runs a collective; a failure becomes one line naming this rank, the collective and the
  // peers that stopped.
  template <typename F>
  void guarded(const char* what, F&& f);
  // "rank 1 stopped responding (no heartbeat for 4 s)", or "" when every peer still beats.
  std::string silent_peers();
  struct Impl;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnlab::train
