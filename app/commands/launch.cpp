// nnlab launch --nproc N -- COMMAND...: runs N copies of a command on this machine as one
// distributed job, the way torchrun does: each gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and
// MASTER_PORT (a free port unless --master-port), and an equal share of the cores (NNLAB_THREADS).
// Ctrl-C and SIGTERM are forwarded to every worker; when one worker fails the others are stopped,
// and launch exits with the first failure's status (128 + signal for a worker killed by one).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/error.h"
#include "nnlab/core/runtime.h"

namespace nnlab::app {

namespace {

struct LaunchOptions {
  int nproc = 2;
  int master_port = 0;  // 0: a free port
  int threads = 0;      // per worker; 0: the cores divided by nproc
  std::vector<std::string> command;
};

std::vector<pid_t> workers;  // for the signal handler

void forward_signal(int signal) {
  for (const pid_t pid : workers) ::kill(pid, signal);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("launch: cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("launch: cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int run_launch(const LaunchOptions& options) {
  if (options.nproc < 1) throw core::OptionError("--nproc", "must be >= 1");
  if (options.command.empty()) throw core::OptionError("--", "no command to launch");
  const int port = options.master_port > 0 ? options.master_port : free_port();
  const int threads =
      options.threads > 0 ? options.threads : std::max(1, core::available_cores() / options.nproc);
  // "nnlab" means this very binary, whatever PATH holds.
  std::vector<std::string> command = options.command;
  if (command.front() == "nnlab") command.front() = "/proc/self/exe";

  struct sigaction action {};
  action.sa_handler = forward_signal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  for (int rank = 0; rank < options.nproc; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("launch: fork failed");
    if (pid == 0) {
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(options.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("NNLAB_THREADS", std::to_string(threads).c_str(), 1);
      ::setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : command) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      std::cerr << "nnlab: error: launch: cannot run " << options.command.front() << ": "
                << std::strerror(errno) << std::endl;
      ::_exit(127);
    }
    workers.push_back(pid);
  }
  int result = 0;
  std::size_t running = workers.size();
  bool stopping = false;
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    --running;
    for (auto& w : workers) {
      if (w == pid) w = -1;  // no longer signalled
    }
    const int code = exit_status(status);
    if (code != 0 && result == 0) {
      result = code;
      if (!stopping && running > 0) {
        std::cerr << "nnlab: launch: a worker exited with status " << code
                  << "; stopping the others" << std::endl;
        stopping = true;
        for (const pid_t w : workers) {
          if (w > 0) ::kill(w, SIGTERM);
        }
        // Workers blocked in a collective get a grace period, then SIGKILL.
        std::thread([] {
          std::this_thread::sleep_for(std::chrono::seconds(10));
          for (const pid_t w : workers) {
            if (w > 0) ::kill(w, SIGKILL);
          }
        }).detach();
      }
    }
  }
  return result;
}

}  // namespace

void setup_launch(CLI::App& app, GlobalOptions&) {
  auto options = std::make_shared<LaunchOptions>();
  auto* launch = app.add_subcommand(
      "launch", "run a command as N processes of one distributed job: launch --nproc N -- ...");
  launch->add_option("--nproc", options->nproc, "processes")
      ->check(domain::positive())
      ->capture_default_str();
  launch->add_option("--master-port", options->master_port, "rendezvous port (0: a free one)")
      ->check(domain::range(0, 65535))
      ->capture_default_str();
  launch
      ->add_option("--threads-per-process", options->threads,
                   "intra-op threads of each process (0: the cores divided by --nproc)")
      ->check(domain::non_negative())
      ->capture_default_str();
  launch->add_option("command", options->command, "the command, after --")->required();
  launch->callback([options] {
    const int code = run_launch(*options);
    std::cout.flush();
    std::exit(code);
  });
}

}  // namespace nnlab::app
