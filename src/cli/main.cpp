// parley: speech-to-speech translation from the command line.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "cli/usage.h"
#include "core/error.h"

namespace {

// The exit code of a failure at run time (cli/usage.h): 2 for what the user asked wrongly.
int exit_code(parley::ErrorKind kind) {
  using parley::ErrorKind;
  if (kind == ErrorKind::InvalidArgument) return parley::cli::kExitUsage;
  if (kind == ErrorKind::Cancelled) return parley::cli::kExitInterrupted;
  return parley::cli::kExitFailure;
}

int report(const char* message, int code) {
  std::fprintf(stderr, "parley: error: %s\n", message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley::cli;
  CLI::App app{"Parley: speak any language, hear it in English (Whisper + SpeechT5 + HiFi-GAN)."};
  app.name("parley");
  app.require_subcommand(1);
  app.set_version_flag("--version", "parley 0.1.0");
  Runner run;
  register_translate(app, run);
  register_transcribe(app, run);
  register_serve(app, run);
  register_models(app, run);
  register_synthesize(app, run);
  register_doctor(app, run);
  register_translate_text(app, run);
  app.footer(exit_code_help());
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) sub->footer(exit_code_help());

  std::vector<std::string> args;
  try {
    args = normalize_args(app, argc, argv);
    std::vector<char*> pointers;
    for (auto& a : args) pointers.push_back(a.data());
    try {
      app.parse(static_cast<int>(pointers.size()), pointers.data());
    } catch (const CLI::ParseError& e) {
      return report_parse_error(app, e, args);
    }
  } catch (const parley::Error& e) {
    return report(e.what(), kExitUsage);
  }
  install_interrupt_handlers();
  try {
    return run ? run() : kExitUsage;
  } catch (const parley::Error& e) {
    return report(e.what(), exit_code(e.kind()));
  } catch (const std::bad_alloc&) {
    return report("out of memory", kExitFailure);
  } catch (const std::exception& e) {
    return report(e.what(), kExitFailure);
  }
}
