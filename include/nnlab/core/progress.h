// A progress bar with rate and ETA on stderr; silent when stderr is not a terminal (logs, CI,
// JSON pipelines) or when disabled.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nnlab::core {

class Progress {
 public:
  // total: number of units (images, batches); unit: shown after the rate ("img/s").
  Progress(std::string label, std::int64_t total, std::string unit = "it");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t n = 1);
  // Extra text shown after the bar (for example the running loss).
  void set_postfix(const std::string& text);
  void finish();

  // Globally enables/disables bars (main turns them off when asked to be quiet); default: stderr is
  // a tty.
  static void set_enabled(bool enabled);
  static bool enabled();

 private:
  void draw(bool final);

  std::string label_;
  std::string unit_;
  std::string postfix_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1m23s", "4.2s".
std::string format_duration(double seconds);

}  // namespace nnlab::core
