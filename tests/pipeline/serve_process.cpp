#include "serve_process.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

namespace parley::test {

namespace {

std::vector<std::string> serve_command(const std::vector<std::string>& serve_args) {
  std::vector<std::string> args = {PARLEY_BINARY, "serve", "--port", "0"};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  return args;
}

}  // namespace

ServeProcess::ServeProcess(const std::vector<std::string>& serve_args) : child_(serve_command(serve_args)) {
  if (child_.pid <= 0) return;
  // Models load first; the address is printed once they did (at most a minute on a busy machine).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (output_.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{child_.out, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    const ssize_t n = read(child_.out, buf, sizeof buf);
    if (n <= 0) break;
    output_.append(buf, static_cast<size_t>(n));
  }
  const auto at = output_.find("listening on http://");
  if (at == std::string::npos) return;
  const auto colon = output_.find(':', at + 20);
  if (colon != std::string::npos) port_ = std::atoi(output_.c_str() + colon + 1);
}

int ServeProcess::stop(int seconds) {
  if (child_.pid <= 0) return -1;
  kill(child_.pid, SIGTERM);
  return child_.wait_exit(seconds);
}

ServeProcess::~ServeProcess() = default;  // the Child kills a server still running

std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = chars.find(c);
    if (v == std::string::npos) ADD_FAILURE() << "not base64: " << c;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

}  // namespace parley::test
