#include "http_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/files.h"
#include "common/test_util.h"


namespace parley::test {

namespace {
// Clients in these tests keep writing to servers that answer early and close (413, 408, ...) on
// purpose: such a write must fail with EPIPE, not kill the test program with SIGPIPE.
const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();
}  // namespace

server::ServerOptions test_options() {
  server::ServerOptions o;
  o.port = 0;
  o.workers = 2;
  o.queue = 4;
  o.log_requests = false;
  return o;
}

TestServer::TestServer(server::ServerOptions options) : fake(std::make_shared<FakeSpeechService>()) {
  server = std::make_unique<server::Server>(fake, options);
  server->start();
}

TestServer::~TestServer() {
  fake->release();
  server->stop();
}

httplib::Client TestServer::client() const {
  httplib::Client c("127.0.0.1", server->port());
  c.set_read_timeout(30, 0);
  c.set_write_timeout(30, 0);
  c.set_keep_alive(false);
  return c;
}

std::string fixture(const std::string& relative) { return read_file(data_path(relative)); }

RawResponse raw_request(int port, const std::vector<std::string>& pieces, int pause_ms, int timeout_ms) {
  RawResponse out;
  int fd = connect_loopback(port);
  if (fd < 0) return out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0 && pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    // MSG_NOSIGNAL: the server may close early (that is what some tests check).
    if (::send(fd, pieces[i].data(), pieces[i].size(), MSG_NOSIGNAL) < 0) break;
  }
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t header_end = std::string::npos;
  size_t want = std::string::npos;
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) break;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    data.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
      std::string head = data.substr(0, header_end);
      out.status = std::atoi(head.substr(9, 3).c_str());
      size_t pos = head.find("\r\n");
      while (pos != std::string::npos && pos < head.size()) {
        size_t next = head.find("\r\n", pos + 2);
        std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          out.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        }
        pos = next;
      }
      if (out.headers.count("content-length")) want = header_end + 4 + std::stoul(out.headers["content-length"]);
    }
    if (want != std::string::npos && data.size() >= want) {
      // Read on briefly to see whether the server closes the connection.
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 300) > 0 && ::recv(fd, buf, sizeof buf, MSG_PEEK) == 0) out.closed = true;
      break;
    }
  }
  if (header_end != std::string::npos) out.body = data.substr(header_end + 4);
  ::close(fd);
  return out;
}

httplib::MultipartFormDataItems form(const std::string& file_bytes, const std::string& filename,
                                     const std::vector<std::pair<std::string, std::string>>& fields) {
  httplib::MultipartFormDataItems items;
  items.push_back({"file", file_bytes, filename, "audio/wav"});
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  return items;
}

nlohmann::json json_of(const httplib::Result& r) {
  EXPECT_TRUE(r) << "no response";
  if (!r) return {};
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r->body.substr(0, 200);
  return j;
}

std::string error_code(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  const auto& e = j["error"];
  if (!e.contains("message") || !e["message"].is_string() || !e.contains("type") || !e["type"].is_string() ||
      !e.contains("code") || !e["code"].is_string() || !e.contains("param")) {
    return "";
  }
  return e["code"].get<std::string>();
}

std::vector<float> decode_wav(const std::string& bytes) { return server::default_audio_codec().decode(bytes, "x.wav", 1e9); }

int health_status(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  auto r = c.Get("/health");
  return r ? r->status : 0;
}

double metric(int port, const std::string& name) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(5, 0);
  auto r = c.Get("/metrics");
  if (!r) return -1;
  auto at = r->body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atof(r->body.c_str() + at + name.size() + 2);
}

int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string base64_decode(const std::string& in) {
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace parley::test
