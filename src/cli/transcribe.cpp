// parley transcribe: Whisper speech recognition / translation to English text.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/error.h"

namespace parley::cli {

void register_transcribe(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("transcribe", "Speech to text with a Whisper model (not yet implemented)");
  cmd->callback([&run] { run = [] { fail(ErrorKind::Internal, "transcribe is not implemented yet"); return 1; }; });
}

}  // namespace parley::cli
