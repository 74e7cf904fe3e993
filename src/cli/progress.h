// The progress line of long work (issue 20), on stderr:
//
//   on a terminal       one line redrawn in place ("\r" + erase line) and erased at the end, so the
//                       terminal is left as it was and the result's own output is not interleaved
//   --progress on       forced where stderr is not a terminal: each update on a line of its own
//   --progress json     each update as a JSON line for programs ({"type":"progress",...})
//   --no-progress / --progress off, and by default where stderr is not a terminal: nothing
//
// The line says how much of what is done out of the total, what part is running (window 3), the
// time since the start and an estimate of the time left (elapsed x remaining / done).
#pragma once

#include <chrono>
#include <string>

#include "core/run_control.h"

namespace CLI {
class App;
}

namespace parley::cli {

enum class ProgressMode { Auto, On, Off, Json };

// --progress auto|on|off|json and --no-progress (= off).
void add_progress_options(CLI::App& cmd, std::string& mode);
// "auto", "on", "off" or "json". Throws Error(InvalidArgument) for anything else.
ProgressMode parse_progress_mode(const std::string& mode);

class ProgressLine {
 public:
  // Auto is On when `fd` is a terminal (and TERM is not "dumb"), else Off.
  explicit ProgressLine(ProgressMode mode, int fd = 2);
  ~ProgressLine();  // erases the line on a terminal
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return mode_ != ProgressMode::Off; }
  // One update: `p` counts the work, `detail` (else p.detail) names the part running ("window 3").
  void update(const Progress& p, const std::string& detail = "");
  // Erases the line now (before the command prints its result to the same terminal).
  void clear();

 private:
  void write(const std::string& text);

  ProgressMode mode_;
  int fd_;
  bool in_place_ = false;  // a terminal: redraw the one line
  bool drawn_ = false;     // a line is on screen (in place) that clear() must erase
  std::chrono::steady_clock::time_point start_;
};

// "1:05" for 65 seconds; "1:02:05" past an hour.
std::string clock_time(double seconds);

}  // namespace parley::cli
