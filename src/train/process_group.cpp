#include "nnlab/train/process_group.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "nnlab/core/error.h"

namespace nnlab::train {

namespace {

int env_int(const char* name, int fallback, int minimum) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  try {
    std::size_t used = 0;
    const int n = std::stoi(value, &used);
    if (used != std::string(value).size() || n < minimum) throw std::invalid_argument(value);
    return n;
  } catch (const std::exception&) {
    throw core::OptionError(name, std::string("expected an integer >= ") + std::to_string(minimum) +
                                      ", got '" + value + "'");
  }
}

// The local address this host uses to reach `host` (the interface Gloo should listen on, right
// on a machine with several networks); `host` itself when it cannot be found.
std::string local_address_toward(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return host;
  std::string local = host;
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd >= 0) {
    sockaddr_in self{};
    socklen_t length = sizeof(self);
    char text[INET_ADDRSTRLEN] = {0};
    // A UDP "connect" sends nothing; it only picks the route and so the local address.
    if (::connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &length) == 0 &&
        ::inet_ntop(AF_INET, &self.sin_addr, text, sizeof(text)) != nullptr) {
      local = text;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return local;
}

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

std::pair<std::int64_t, std::int64_t> share_of(std::int64_t n, int rank, int count) {
  return {n * rank / count, n * (rank + 1) / count};
}

DistributedOptions DistributedOptions::from_environment(double timeout_seconds) {
  DistributedOptions o;
  o.world_size = env_int("WORLD_SIZE", 1, 1);
  o.rank = env_int("RANK", 0, 0);
  o.local_rank = env_int("LOCAL_RANK", o.rank, 0);
  if (o.rank >= o.world_size)
    throw core::OptionError("RANK", std::to_string(o.rank) + " is not below WORLD_SIZE " +
                                        std::to_string(o.world_size));
  if (const char* addr = std::getenv("MASTER_ADDR"); addr != nullptr && *addr != '\0')
    o.master_addr = addr;
  o.master_port = env_int("MASTER_PORT", o.master_port, 1);
  if (o.master_port > 65535) throw core::OptionError("MASTER_PORT", "must be below 65536");
  if (timeout_seconds != 0) {
    if (!(std::isfinite(timeout_seconds) && timeout_seconds > 0)) {
      throw core::OptionError(
          "DistributedOptions.timeout_seconds",
          "must be a positive number of seconds, got " + std::to_string(timeout_seconds));
    }
    o.timeout_seconds = timeout_seconds;
  } else {
    o.timeout_seconds = env_int("NNLAB_DIST_TIMEOUT",
                                static_cast<int>(DistributedOptions::kDefaultTimeoutSeconds), 1);
  }
  return o;
}

namespace {

constexpr auto kBeatInterval = std::chrono::seconds(1);

std::string beat_key(int rank) {
  return "nnlab/heartbeat/" + std::to_string(rank);
}

// Every rank adds 1 to its counter in the store once a second, on a connection of its own (the
// store client is not shared with the rendezvous). A rank stopped by a signal or a debugger, or
// dead, stops beating; its peers read the counters when a collective fails.
class Heartbeat {
 public:
  Heartbeat(const DistributedOptions& o)
      : rank_(o.rank), world_size_(o.world_size), thread_([this, o] { beat(o); }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  // The peers whose counter did not move over two beat intervals, as "rank 1 and rank 3"; or
  // "rank 0" alone when the store (which rank 0 hosts) does not answer.
  std::string silent_peers() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!client_) return "";
    try {
      const auto first = counters();
      lock.unlock();
      std::this_thread::sleep_for(2 * kBeatInterval + std::chrono::milliseconds(500));
      lock.lock();
      const auto second = counters();
      std::string silent;
      for (int r = 0; r < world_size_; ++r) {
        if (r == rank_ || second[r] > first[r]) continue;
        silent += (silent.empty() ? "rank " : " and rank ") + std::to_string(r);
      }
      return silent;
    } catch (const std::exception&) {
      return rank_ == 0 ? "" : "rank 0 (the host of the rendezvous store)";
    }
  }

 private:
  std::vector<std::int64_t> counters() {
    std::vector<std::int64_t> out;
    for (int r = 0; r < world_size_; ++r) out.push_back(client_->add(beat_key(r), 0));
    return out;
  }

  void beat(const DistributedOptions& o) {
    std::unique_lock<std::mutex> lock(mutex_);
    try {
      c10d::TCPStoreOptions store;
      store.port = static_cast<std::uint16_t>(o.master_port);
      store.isServer = false;
      store.waitWorkers = false;
      store.timeout = std::chrono::seconds(5);
      client_ = c10::make_intrusive<c10d::TCPStore>(o.master_addr, store);
    } catch (const std::exception&) {
      return;  // no heartbeat: failures are still reported, without naming the silent peer
    }
    while (!stop_) {
      try {
        client_->add(beat_key(rank_), 1);
      } catch (const std::exception&) {
        return;  // the store is gone (rank 0 finished or died): nothing left to beat for
      }
      wake_.wait_for(lock, kBeatInterval, [this] { return stop_; });
    }
  }

  int rank_;
  int world_size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  c10::intrusive_ptr<c10d::TCPStore> client_;
  std::thread thread_;  // last: it starts after the members it uses
};

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::unique_ptr<Heartbeat> heartbeat;
};

ProcessGroup::ProcessGroup(DistributedOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

ProcessGroup::~ProcessGroup() {
  // The heartbeat stops first: its connection must close before rank 0's store server does.
  impl_->heartbeat.reset();
}

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const DistributedOptions& options) {
  std::shared_ptr<ProcessGroup> pg(new ProcessGroup(options));
  const std::string where = options.master_addr + ":" + std::to_string(options.master_port);
  try {
    c10d::TCPStoreOptions store;
    store.port = static_cast<std::uint16_t>(options.master_port);
    store.isServer = options.rank == 0;
    store.numWorkers = options.world_size;
    store.timeout = milliseconds(options.timeout_seconds);
    pg->impl_->store = c10::make_intrusive<c10d::TCPStore>(options.master_addr, store);
    auto gloo = c10d::ProcessGroupGloo::Options::create(milliseconds(options.timeout_seconds));
    gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(
        local_address_toward(options.master_addr, options.master_port)));
    pg->impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(pg->impl_->store, options.rank,
                                                                   options.world_size, gloo);
    pg->impl_->heartbeat = std::make_unique<Heartbeat>(options);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw std::runtime_error("distributed: rank " + std::to_string(options.rank) + " of " +
                             std::to_string(options.world_size) + " could not join at " + where +
                             ": " + what.substr(0, what.find('\n')));
  }
  return pg;
}

std::shared_ptr<ProcessGroup> ProcessGroup::join_from_environment(double timeout_seconds) {
  const auto options = DistributedOptions::from_environment(timeout_seconds);
  return options.enabled() ? connect(options) : nullptr;
}

std::string ProcessGroup::silent_peers() {
  return impl_->heartbeat ? impl_->heartbeat->silent_peers() : "";
}

template <typename F>
void ProcessGroup::guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    const std::string message = e.what();
    const auto silent = silent_peers();
    const std::string cause =
        silent.empty() ? "a peer died or hung?"
                       : silent + " stopped responding (no heartbeat: stopped, hung or dead)";
    throw std::runtime_error("distributed: rank " + std::to_string(options_.rank) + ": " + what +
                             " failed (" + cause + "; timeout " +
                             std::to_string(std::lround(options_.timeout_seconds)) +
                             " s): " + message.substr(0, message.find('\n')));
  }
}

namespace {

// Gloo's collectives take one tensor (one per local device); many tensors travel in flat buckets
// of one dtype, about kBucketBytes each, and are copied back after.
constexpr std::int64_t kBucketBytes = 16 << 20;

template <typename Collective>
void in_buckets(std::vector<torch::Tensor>& tensors, Collective&& collective) {
  std::size_t i = 0;
  while (i < tensors.size()) {
    std::size_t j = i;
    std::int64_t bytes = 0;
    while (j < tensors.size() && tensors[j].scalar_type() == tensors[i].scalar_type() &&
           (j == i || bytes + tensors[j].nbytes() <= static_cast<std::size_t>(kBucketBytes))) {
      bytes += static_cast<std::int64_t>(tensors[j].nbytes());
      ++j;
    }
    std::vector<torch::Tensor> flat;
    for (std::size_t k = i; k < j; ++k) flat.push_back(tensors[k].reshape({-1}));
    std::vector<torch::Tensor> bucket = {torch::cat(flat)};
    collective(bucket);
    std::int64_t offset = 0;
    for (std::size_t k = i; k < j; ++k) {
      const auto n = tensors[k].numel();
      tensors[k].copy_(bucket[0].narrow(0, offset, n).view_as(tensors[k]));
      offset += n;
    }
    i = j;
  }
}

}  // namespace

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (options_.world_size == 1 || tensors.empty()) return;
  guarded("all-reduce", [&] {
    in_buckets(tensors, [&](std::vector<torch::Tensor>& b) { impl_->group->allreduce(b)->wait(); });
  });
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  if (options_.world_size == 1 || tensors.empty()) return;
  c10d::BroadcastOptions o;
  o.rootRank = root;
  guarded("broadcast", [&] {
    in_buckets(tensors,
               [&](std::vector<torch::Tensor>& b) { impl_->group->broadcast(b, o)->wait(); });
  });
}

void ProcessGroup::barrier() {
  if (options_.world_size == 1) return;
  guarded("barrier", [&] { impl_->group->barrier()->wait(); });
}

}  // namespace nnlab::train
