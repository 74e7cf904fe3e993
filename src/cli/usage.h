// The command line's one rule for errors and exit codes, and the habits users bring from whisper.cpp.
//
//   0 success, 1 a failure at run time (I/O, model, network), 2 a usage error (unknown command or
//   option, bad value, unknown language or voice), 130 interrupted (Ctrl-C; 143 for SIGTERM).
//
// Every error is one line on stderr that starts with "parley: error:"; a mistyped command or option
// gets "did you mean ...?".
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace parley::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

// The --help footer that states the rule above.
std::string exit_code_help();

// argv as CLI11 should see it. whisper.cpp's spellings become Parley's (`-otxt` → `--output-txt`,
// `-of` → `--output-file`, `-tr` → `--translate` on transcribe), and an attached short value
// (`-oout.wav`) is refused, so that `-osrt` can never silently mean `-o srt`.
// Throws Error(InvalidArgument) for what it refuses, or for an unknown command (with a suggestion).
std::vector<std::string> normalize_args(const CLI::App& app, int argc, char** argv);

// Prints a CLI11 parse error as "parley: error: ..." with a did-you-mean when one is close, or the
// help/version text; returns the exit code (0 for --help/--version, else 2).
int report_parse_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args);

}  // namespace parley::cli
