// Helpers shared by the tests: test data paths, golden comparisons, running the parley binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/tensor.h"

namespace parley::test {

// tests/data/<relative>
std::filesystem::path data_path(const std::string& relative);
// A fresh, empty temporary folder for one test (removed by the OS's tmp cleaning, not by the test).
std::filesystem::path temp_dir(const std::string& tag);

Tensor load_npy(const std::string& relative);

// Largest |a - b| and the index where it occurs; sizes must match.
struct Diff {
  double max_abs = 0;
  double mean_abs = 0;
  int64_t worst_index = -1;
  float got = 0, want = 0;
};
Diff compare(const float* got, const float* want, int64_t n);
// gtest assertion: shapes equal and max |got - want| <= tol; on failure prints the worst element.
::testing::AssertionResult AllClose(const Tensor& got, const Tensor& want, double tol);

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs `program` with `args` (no shell), capturing output; kills it after `timeout_s`.
RunResult run_program(const std::string& program, const std::vector<std::string>& args, int timeout_s = 300,
                      const std::string& stdin_data = "");
// run_program on the built parley binary.
inline RunResult run_parley(const std::vector<std::string>& args, int timeout_s = 300,
                            const std::string& stdin_data = "") {
  return run_program(PARLEY_BINARY, args, timeout_s, stdin_data);
}

// The CLI's contract for bad input: nothing on stdout, one line "parley: error: ..." on stderr that
// names `needle`, and a non-zero exit.
void expect_one_line_error(const RunResult& r, const std::string& needle);

}  // namespace parley::test
