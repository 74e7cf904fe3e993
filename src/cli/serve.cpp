// parley serve: the HTTP API and the web page, with the models loaded once and shared.
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/first_run.h"
#include "cli/model_options.h"
#include "tensor/precision.h"
#include "core/error.h"
#include "pipeline/pipeline.h"
#include "server/server.h"
#include "tensor/ops.h"

namespace parley::cli {

namespace {

struct ServeArgs {
  server::ServerOptions server;
  pipeline::PipelineOptions models;
  int threads = 0;
  std::string precision = "f32";
  double max_upload_mb = 25;
};

// Loads the models named on the command line, once, into the service every worker shares.
SpeechServiceFactory service_factory(const ServeArgs& args) {
  return [args]() -> std::shared_ptr<SpeechService> {
    return pipeline::Pipeline::load(args.models);
  };
}

void add_access_options(CLI::App& cmd, server::AccessOptions& access) {
  cmd.add_option("--api-key", access.api_keys,
                 "Require this key as 'Authorization: Bearer KEY' on the API (repeatable; also PARLEY_API_KEY, "
                 "comma-separated). /health and the web page stay open")
      ->allow_extra_args(false);
  cmd.add_option("--allowed-host", access.allowed_hosts,
                 "Also answer requests whose Host header names this (repeatable; '*': any, behind a proxy). "
                 "Always: the --host address, localhost, 127.0.0.1, [::1]")
      ->allow_extra_args(false);
  cmd.add_option("--cors-origin", access.cors_origins,
                 "Let web pages from this origin (https://example.org, repeatable; '*': any) call the API")
      ->allow_extra_args(false);
}

}  // namespace

void register_serve(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve the web page and the HTTP API (OpenAI-compatible audio routes)");
  auto& s = args->server;
  cmd->add_option("--host", s.host, "Address to listen on (0.0.0.0 for every interface)")->capture_default_str();
  cmd->add_option("--port", s.port, "Port to listen on (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  add_model_options(*cmd, args->models);
  add_target_model_options(*cmd, args->models);
  add_threads_option(*cmd, args->threads, "CPU threads in all (0: every core), split evenly between the workers");
  add_precision_option(*cmd, args->precision);
  cmd->add_option("--workers", s.workers, "Requests processed at once")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--queue", s.queue, "Requests that may wait for a worker; more get 503")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--max-upload-mb", args->max_upload_mb, "Largest request body, in MB (413 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 4096.0));
  cmd->add_option("--max-audio-seconds", s.max_audio_seconds, "Longest input audio, in seconds (413 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--max-text-chars", s.max_text_chars, "Longest text-to-speech input (413 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--quiet", [args](int64_t) { args->server.log_requests = false; }, "Do not log each request on stderr");
  cmd->add_option_function<std::string>(
         "--log-format", [args](const std::string& f) { args->server.log_format = f == "json" ? server::LogFormat::Json : server::LogFormat::Text; },
         "Log lines as text, or as one JSON object each (for log collectors)")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  add_access_options(*cmd, s.access);
  cmd->callback([&run, args] {
    run = [args] {
      args->server.max_upload_bytes = static_cast<size_t>(args->max_upload_mb * 1024 * 1024);
      server::add_environment_api_keys(args->server.access);
      // Each worker runs one request at a time on its share of the cores.
      ops::set_threads(pipeline::threads_per_worker(args->threads, args->server.workers));
      set_default_precision(parse_precision(args->precision));
      check_models_reachable(args->models);
      try {
        return server::serve_until_signal(service_factory(*args), args->server);
      } catch (const Error& e) {
        // A port in use is a failure at run time (exit 1), not a usage error (cli/usage.h).
        if (e.kind() == ErrorKind::InvalidArgument && std::string(e.what()).rfind("cannot listen", 0) == 0)
          fail(ErrorKind::Internal, e.what());
        throw;
      }
    };
  });
}

}  // namespace parley::cli
