// Helpers for the server's tests: a server over FakeSpeechService on a free loopback port, an HTTP
// client for it, and raw-socket requests for what ordinary clients never send.
#pragma once

#include "common/child_process.h"

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "fake_service.h"
#include "server/server.h"

namespace parley::test {

// A running server on 127.0.0.1 with a FakeSpeechService; stopped when destroyed.
struct TestServer {
  explicit TestServer(server::ServerOptions options = {});
  ~TestServer();

  httplib::Client client() const;  // long timeouts, keep-alive off
  std::string url() const { return server->url(); }
  int port() const { return server->port(); }

  std::shared_ptr<FakeSpeechService> fake;
  std::unique_ptr<server::Server> server;
};

// Default options for tests: quiet, small queue.
server::ServerOptions test_options();

std::string fixture(const std::string& relative);  // bytes of tests/data/<relative>

// A raw HTTP exchange: sends `request` (optionally in pieces with pauses), reads the response.
struct RawResponse {
  int status = 0;  // 0 when no response came
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  bool closed = false;  // the server closed the connection after the response
};
RawResponse raw_request(int port, const std::vector<std::string>& pieces, int pause_ms = 0, int timeout_ms = 10000);

// multipart/form-data parts for httplib's client.
httplib::MultipartFormDataItems form(const std::string& file_bytes, const std::string& filename,
                                     const std::vector<std::pair<std::string, std::string>>& fields = {});

nlohmann::json json_of(const httplib::Result& r);  // parses r->body; fails the test when not JSON
// The error object's "code" of an OpenAI-shaped error body, or "" when the body is not one.
std::string error_code(const std::string& body);

// The bytes of a base64 text (the server's JSON audio fields).
std::string base64_decode(const std::string& in);

// A WAV file's samples (16-bit or float) via the server's codec, to compute expected answers.
std::vector<float> decode_wav(const std::string& bytes);

// GET /health with short timeouts (the answer must come while the server is under attack); 0 when none.
int health_status(int port);
// The value of a metric line "name value" in /metrics, or -1.
double metric(int port, const std::string& name);

// A TCP connection to 127.0.0.1:port (-1 on failure), for clients that misbehave on purpose.
int connect_loopback(int port);

}  // namespace parley::test
