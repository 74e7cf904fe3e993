// parley_fake_server: `parley serve` over FakeSpeechService, for the HTTP-client and browser tests
// (tests/web/) and the SIGTERM test, until those run `parley serve` on the fixture models.
// Takes parley serve's server options plus --delay-ms (every model call sleeps that long).
#include <cstdio>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "fake_service.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"Parley's server over a fake speech service (for tests)"};
  parley::server::ServerOptions options;
  options.port = 0;
  double max_upload_mb = 25;
  int delay_ms = 0;
  app.add_option("--host", options.host);
  app.add_option("--port", options.port);
  app.add_option("--workers", options.workers);
  app.add_option("--queue", options.queue);
  app.add_option("--max-upload-mb", max_upload_mb);
  app.add_option("--max-audio-seconds", options.max_audio_seconds);
  app.add_option("--delay-ms", delay_ms);
  app.add_flag("--quiet", [&](int64_t) { options.log_requests = false; });
  app.add_option("--api-key", options.access.api_keys)->allow_extra_args(false);
  app.add_option("--allowed-host", options.access.allowed_hosts)->allow_extra_args(false);
  app.add_option("--cors-origin", options.access.cors_origins)->allow_extra_args(false);
  app.add_flag("--json-log", [&](int64_t) { options.log_format = parley::server::LogFormat::Json; });
  CLI11_PARSE(app, argc, argv);
  parley::server::add_environment_api_keys(options.access);
  options.max_upload_bytes = static_cast<size_t>(max_upload_mb * 1024 * 1024);
  try {
    return parley::server::serve_until_signal(
        [delay_ms] {
          auto fake = std::make_shared<parley::test::FakeSpeechService>();
          fake->set_delay_ms(delay_ms);
          return fake;
        },
        options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parley: error: %s\n", e.what());
    return 1;
  }
}
