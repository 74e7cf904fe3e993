// A request body as the server's routes read it: read_body() over httplib's reader (bytes arriving in
// chunks of fuzzed sizes, counted against the limits), then what the routes do with it: the form
// fields' typed readers (language, temperature, seed, response_format) for multipart bodies, the
// /v1/audio/speech JSON reader for the others. The input is the Content-Type, a NUL byte, one byte of
// chunk size, then the body. Every refusal is an ApiError with an HTTP status of 400 to 499.
#include <httplib.h>

#include "common.h"
#include "server/request_body.h"
#include "server/routes.h"
#include "server/speech_request.h"
#include "server/transcript_format.h"

namespace {

void check_status(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const parley::server::ApiError& e) {
    parley::fuzz::check_message(e.what());
    FUZZ_CHECK(e.status() >= 400 && e.status() < 500);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  auto pieces = fuzz::split(fuzz::as_text(data, size), '\0', 2);
  if (pieces.size() < 2 || pieces[1].empty()) return 0;
  const size_t chunk = 1 + static_cast<uint8_t>(pieces[1][0]) * 7;
  const std::string_view body = pieces[1].substr(1);

  httplib::Request req;
  req.method = "POST";
  if (!pieces[0].empty()) req.headers.emplace("Content-Type", std::string(pieces[0]));
  size_t delivered = 0;
  httplib::ContentReader reader(
      [&](httplib::ContentReceiver receive) {
        for (size_t at = 0; at < body.size(); at += chunk) {
          size_t n = std::min(chunk, body.size() - at);
          delivered += n;
          if (!receive(body.data() + at, n)) return false;
        }
        return true;
      },
      [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
  server::BodyLimits limits;
  limits.max_bytes = 4096;
  limits.max_parts = 8;
  limits.max_field_bytes = 256;

  check_status([&] {
    server::RequestBody b = server::read_body(req, reader, limits);
    FUZZ_CHECK(req.get_header_value("Content-Type") == std::string(pieces[0]));  // restored
    FUZZ_CHECK(b.raw.size() <= limits.max_bytes);
    FUZZ_CHECK(b.parts.size() <= limits.max_parts);
    if (b.multipart) {
      for (const char* name : {"language", "temperature", "seed", "response_format"}) {
        const std::string v = server::option(req, b, name);
        check_status([&] {
          if (std::string(name) == "language") server::language_option(v);
          else if (std::string(name) == "temperature") server::number_option(v, name, 0, 1);
          else if (std::string(name) == "seed") server::seed_option(v);
          else server::is_transcript_format(v);
        });
      }
    } else {
      check_status([&] {
        auto r = server::parse_speech_request(b.raw, {64, {"wav", "mp3", "pcm"}, {"slt", "awb"}, "slt"});
        FUZZ_CHECK(!r.tts.text.empty() && r.tts.text.size() <= 64);
        FUZZ_CHECK(r.tts.voice == "slt" || r.tts.voice == "awb");
        FUZZ_CHECK(r.format == "wav" || r.format == "mp3" || r.format == "pcm");
      });
    }
  });
  (void)delivered;
  return 0;
}
