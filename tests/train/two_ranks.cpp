#include "train/two_ranks.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace nnlab::train::testing {

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

void run_two_ranks(const std::function<void(ProcessGroup&)>& body) {
  const int port = free_port();
  auto rank = [&](int r) {
    try {
      DistributedOptions options;
      options.rank = r;
      options.world_size = 2;
      options.local_rank = r;
      options.master_port = port;
      options.timeout_seconds = 30;
      const auto group = ProcessGroup::connect(options);
      body(*group);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "rank " << r << ": " << e.what();
    }
  };
  std::thread zero(rank, 0), one(rank, 1);
  zero.join();
  one.join();
}

}  // namespace nnlab::train::testing
