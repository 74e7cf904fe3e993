// The `parley` subcommands. Each file registers one subcommand on the app and, when the user picks
// it, sets `run` to the function that does the work (called after parsing, inside main's error
// handling).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace parley::cli {

using Runner = std::function<int()>;

void register_translate(CLI::App& app, Runner& run);
void register_transcribe(CLI::App& app, Runner& run);
void register_serve(CLI::App& app, Runner& run);
void register_models(CLI::App& app, Runner& run);
void register_synthesize(CLI::App& app, Runner& run);
void register_translate_text(CLI::App& app, Runner& run);
void register_doctor(CLI::App& app, Runner& run);

}  // namespace parley::cli
