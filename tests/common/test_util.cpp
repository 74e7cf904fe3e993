#include "common/test_util.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include "weights/npy.h"

namespace parley::test {

namespace fs = std::filesystem;

fs::path data_path(const std::string& relative) { return fs::path(PARLEY_TEST_DATA) / relative; }

fs::path temp_dir(const std::string& tag) {
  std::random_device rd;
  fs::path p = fs::temp_directory_path() / ("parley-test-" + tag + "-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(rd() % 1000000));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

Tensor load_npy(const std::string& relative) { return read_npy(data_path(relative)); }

Diff compare(const float* got, const float* want, int64_t n) {
  Diff d;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double e = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (std::isnan(got[i]) != std::isnan(want[i])) e = INFINITY;
    sum += e;
    if (e > d.max_abs || d.worst_index < 0) {
      d.max_abs = e;
      d.worst_index = i;
      d.got = got[i];
      d.want = want[i];
    }
  }
  d.mean_abs = n ? sum / n : 0;
  return d;
}

::testing::AssertionResult AllClose(const Tensor& got, const Tensor& want, double tol) {
  if (got.shape() != want.shape())
    return ::testing::AssertionFailure() << "shape " << got.shape_string() << " != expected " << want.shape_string();
  Diff d = compare(got.data(), want.data(), got.numel());
  if (d.max_abs <= tol)
    return ::testing::AssertionSuccess() << "max |diff| " << d.max_abs << " (mean " << d.mean_abs << ")";
  return ::testing::AssertionFailure() << "max |diff| " << d.max_abs << " > " << tol << " at flat index "
                                       << d.worst_index << " (got " << d.got << ", want " << d.want
                                       << "); mean |diff| " << d.mean_abs;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args, int timeout_s,
                      const std::string& stdin_data) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe(out_pipe) || pipe(err_pipe) || pipe(in_pipe)) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], in_pipe[0], in_pipe[1]}) close(fd);
    std::vector<char*> argv;
    std::string bin = program;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  if (!stdin_data.empty()) {
    size_t off = 0;
    signal(SIGPIPE, SIG_IGN);
    while (off < stdin_data.size()) {
      ssize_t n = write(in_pipe[1], stdin_data.data() + off, stdin_data.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  close(in_pipe[1]);
  RunResult r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (ms <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (poll(fds, 2, ms) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (killed) {
    r.exit_code = -9;
    r.err += "\n[test harness: killed after " + std::to_string(timeout_s) + " s]";
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else {
    r.exit_code = 128 + WTERMSIG(status);  // crashed: a signal
  }
  return r;
}

void expect_one_line_error(const RunResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_EQ(r.err.rfind("parley: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "'" << needle << "' not in: " << r.err;
}

}  // namespace parley::test
