// `parley serve` as a child process for end-to-end HTTP tests: started with the given arguments
// (plus --port 0), its port read from the "listening on http://HOST:PORT" line, stopped with SIGTERM
// (the exit status is kept for the test to check), killed if the test fails before that.
#pragma once

#include <string>
#include <vector>

#include "common/child_process.h"

namespace parley::test {

// Decodes standard base64 (the API's audio fields); a test failure for any other character.
std::string base64_decode(const std::string& in);

class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& serve_args);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }  // 0 when the server did not start
  std::string startup_output() const { return output_; }
  // SIGTERM, then waits up to `seconds`: the exit status, or -1 when it did not exit.
  int stop(int seconds = 60);

 private:
  Child child_;
  int port_ = 0;
  std::string output_;
};

}  // namespace parley::test
