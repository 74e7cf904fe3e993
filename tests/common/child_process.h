// A program the tests start (the fake server, `parley serve`) as a child process with its stdout on a
// pipe; shared by the server and pipeline tests.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace parley::test {

// A server program (the fake server, or `parley serve`) as a child process with its stdout on a pipe;
// killed when destroyed if still running.
struct Child {
  pid_t pid = -1;
  int out = -1;

  explicit Child(const std::vector<std::string>& args);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // The port from "listening on http://127.0.0.1:PORT", or 0 when the program exits first.
  int read_port();
  // Exit status (128 + signal when killed by one), or -1 if still running after `seconds`.
  int wait_exit(int seconds);
  // Peak resident memory (VmHWM) and current resident memory (VmRSS) in MiB, from /proc; -1 when gone.
  double peak_rss_mb() const;
  double rss_mb() const;
};

}  // namespace parley::test
