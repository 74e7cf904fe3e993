// SIGTERM drains: the server process stops accepting, finishes the request in flight, exits 0.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <future>
#include <thread>

#include "http_test_util.h"

namespace parley::test {
namespace {

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
