// SIGTERM drains: the server process stops accepting, finishes the request in flight, exits 0.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "http_test_util.h"

extern char** environ;

namespace parley::test {
namespace {

// The fake server as a child process with its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;

  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out = fds[0];
  }
  ~Child() {
    if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }
  // The port from "listening on http://127.0.0.1:PORT", or 0.
  int read_port() {
    std::string text;
    char c;
    while (text.find('\n') == std::string::npos && read(out, &c, 1) == 1) text += c;
    auto at = text.find("127.0.0.1:");
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 10);
  }
  // Exit status, or -1 if still running after `seconds`.
  int wait_exit(int seconds) {
    for (int i = 0; i < seconds * 100; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
};

TEST(SignalTest, SigtermDrainsRequestsInFlightThenExitsZero) {
  Child server({PARLEY_FAKE_SERVER, "--port", "0", "--quiet", "--delay-ms", "1500"});
  ASSERT_GT(server.pid, 0);
  int port = server.read_port();
  ASSERT_GT(port, 0);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  std::string es = fixture("audio/es.wav");
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client c2("127.0.0.1", port);
    c2.set_read_timeout(30, 0);
    return c2.Post("/v1/speech-translation", form(es, "es.wav"));
  });
  // Wait until the request is being processed, then ask the server to stop.
  for (int i = 0; i < 300; ++i) {
    auto h = c.Get("/health");
    if (h && h->status == 200 && json_of(h)["in_flight"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(kill(server.pid, SIGTERM), 0);
  auto r = in_flight.get();
  ASSERT_TRUE(r) << "the request in flight was cut off";
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(json_of(r)["audio"].get<std::string>().empty());
  EXPECT_EQ(server.wait_exit(20), 0);
  // Gone: new connections are refused.
  httplib::Client after("127.0.0.1", port);
  EXPECT_FALSE(after.Get("/health"));
}

TEST(SignalTest, SigintOnAnIdleServerExitsZero) {
  Child server({PARLEY_FAKE_SERVER, "--port", "0", "--quiet"});
  ASSERT_GT(server.pid, 0);
  ASSERT_GT(server.read_port(), 0);
  ASSERT_EQ(kill(server.pid, SIGINT), 0);
  EXPECT_EQ(server.wait_exit(20), 0);
}

}  // namespace
}  // namespace parley::test
