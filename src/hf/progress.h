// A one-line download progress bar on stderr ("config.json  45% [#####     ] 1.2/2.7 MB 3.1 MB/s"),
// redrawn at most ten times a second; nothing at all when disabled (stderr not a terminal).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace parley::hub {

class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string label, uint64_t total, uint64_t initial);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(uint64_t done);
  // Draws the final state and ends the line (also done by the destructor if not called).
  void finish();

 private:
  void draw(bool final);

  bool enabled_;
  bool finished_ = false;
  std::string label_;
  uint64_t total_, initial_, done_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "290.4 MB", "1.9 kB", "12 B": decimal units, as the Hub's pages show sizes.
std::string format_bytes(uint64_t bytes);

}  // namespace parley::hub
