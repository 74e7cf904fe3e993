// parley: speech-to-speech translation from the command line.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"Parley: speak any language, hear it in English (Whisper + SpeechT5 + HiFi-GAN)."};
  app.name("parley");
  app.require_subcommand(1);
  app.set_version_flag("--version", "parley 0.1.0");
  parley::cli::Runner run;
  parley::cli::register_translate(app, run);
  parley::cli::register_transcribe(app, run);
  parley::cli::register_serve(app, run);
  parley::cli::register_models(app, run);
  parley::cli::register_synthesize(app, run);
  parley::cli::register_translate_text(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any other parse error is a usage error: exit 2.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return run ? run() : 2;
  } catch (const parley::Error& e) {
    std::fprintf(stderr, "parley: error: %s\n", e.what());
    return e.kind() == parley::ErrorKind::InvalidArgument ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "parley: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parley: error: %s\n", e.what());
    return 1;
  }
}
