// A streamed answer of `parley serve` (text/event-stream), read over real HTTP as it arrives: each
// server-sent event parsed and stamped with the time it reached the client, for the stream routes'
// end-to-end tests.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::test {

struct Event {
  std::string name;
  nlohmann::json data;
  std::chrono::steady_clock::time_point arrived;
};

// A streamed answer: the response and its server-sent events, parsed as they arrive.
struct Stream {
  int status = 0;
  httplib::Headers headers;
  std::string body;             // the whole body as received
  std::vector<Event> events;    // all but the progress events
  std::vector<Event> progress;  // the progress events, in order
  std::string pending;

  void feed(const char* data, size_t n) {
    body.append(data, n);
    pending.append(data, n);
    size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      const std::string block = pending.substr(0, end);
      pending.erase(0, end + 2);
      Event e;
      e.arrived = std::chrono::steady_clock::now();
      size_t line_start = 0;
      while (line_start < block.size()) {
        size_t line_end = block.find('\n', line_start);
        if (line_end == std::string::npos) line_end = block.size();
        const std::string line = block.substr(line_start, line_end - line_start);
        if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
        if (line.rfind("data: ", 0) == 0) e.data = nlohmann::json::parse(line.substr(6));
        line_start = line_end + 1;
      }
      (e.name == "progress" ? progress : events).push_back(std::move(e));
    }
  }
  std::vector<const Event*> named(const std::string& name) const {
    std::vector<const Event*> out;
    for (const auto& e : events)
      if (e.name == name) out.push_back(&e);
    return out;
  }
};

inline std::string header(const Stream& s, const std::string& name) {
  auto it = s.headers.find(name);
  return it == s.headers.end() ? std::string() : it->second;
}

// POSTs a raw audio body to `path`, reading the answer as it streams in.
inline Stream post_stream(httplib::Client& c, const std::string& path, const std::string& body,
                          const std::string& type = "audio/wav") {
  Stream s;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  req.set_header("Content-Type", type);
  req.response_handler = [&s](const httplib::Response& r) {
    s.status = r.status;
    s.headers = r.headers;
    return true;
  };
  req.content_receiver = [&s](const char* data, size_t n, uint64_t, uint64_t) {
    s.feed(data, n);
    return true;
  };
  auto r = c.send(req);
  EXPECT_TRUE(r) << "no answer from " << path;
  return s;
}

}  // namespace parley::test
