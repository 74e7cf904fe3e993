// A test suite with one real `parley serve` on the fixture models (started once per suite, stopped
// after it) and the same pipeline loaded in-process, so every HTTP answer can be compared with what
// the pipeline computes for the same input. `Suite` (the deriving class) gives each suite its own
// server; `MaxNewTokens` is Whisper's token limit for both.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline_fixtures.h"
#include "serve_process.h"

namespace parley::test {

template <class Suite, int MaxNewTokens>
class RealServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> args = fixture_model_args(MaxNewTokens);
    args.push_back("--quiet");
    server_ = new ServeProcess(args);
    pipeline_ = pipeline::Pipeline::load(fixture_options(MaxNewTokens));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    pipeline_.reset();
  }
  void SetUp() override { ASSERT_GT(server_->port(), 0) << "parley serve did not start: " << server_->startup_output(); }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    c.set_write_timeout(30, 0);
    return c;
  }

  inline static ServeProcess* server_ = nullptr;
  inline static std::shared_ptr<pipeline::Pipeline> pipeline_;
};

}  // namespace parley::test
