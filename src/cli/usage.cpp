#include "cli/usage.h"

#include <cstdio>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "text/languages.h"

namespace parley::cli {

namespace {

// whisper.cpp's output flags on `transcribe`, and the options they stand for here.
const std::map<std::string, std::string>& whisper_cpp_flags() {
  static const std::map<std::string, std::string> flags = {
      {"-otxt", "--output-txt"}, {"-osrt", "--output-srt"},   {"-ovtt", "--output-vtt"},
      {"-ojson", "--output-json"}, {"-of", "--output-file"}, {"-tr", "--translate"}};
  return flags;
}

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_name().empty()) out.push_back(sub);
  return out;
}

// The candidate nearest to `typed` when it is near enough to be a typo, else "".
std::string nearest(const std::string& typed, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, typed.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = text::edit_distance(typed, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  return best;
}

std::string names_of(const std::vector<const CLI::App*>& subs) {
  std::string names;
  for (const CLI::App* s : subs) names += (names.empty() ? "" : ", ") + s->get_name();
  return names;
}

// The (sub)command that args[1..] select, and the index of the first argument after its name.
// Throws Error(InvalidArgument) for a word that names no command.
const CLI::App* selected_command(const CLI::App& app, const std::vector<std::string>& args, size_t& next) {
  const CLI::App* cmd = &app;
  for (next = 1; next < args.size(); ++next) {
    const auto subs = subcommands_of(*cmd);
    if (subs.empty()) break;
    const std::string& word = args[next];
    if (word == "--") break;
    if (!word.empty() && word[0] == '-') continue;  // --help, --version
    const CLI::App* found = nullptr;
    std::vector<std::string> names;
    for (const CLI::App* s : subs) {
      names.push_back(s->get_name());
      if (s->check_name(word)) found = s;
    }
    if (!found) {
      const std::string guess = nearest(word, names);
      const std::string where = cmd == &app ? "parley" : "parley " + cmd->get_name();
      invalid_argument("unknown command '" + word + "' for '" + where + "'" +
                       (guess.empty() ? "" : " (did you mean '" + guess + "'?)") + "; commands: " + names_of(subs));
    }
    cmd = found;
  }
  return cmd;
}

bool takes_value(const CLI::App& cmd, const std::string& name) {
  const CLI::Option* opt = cmd.get_option_no_throw(name);
  return opt != nullptr && opt->get_items_expected_max() > 0;  // 0: a flag
}

}  // namespace

std::string exit_code_help() {
  return "Exit status: 0 success; 1 failure at run time (I/O, model, network); 2 usage error (unknown "
         "command or option, bad value, unknown language or voice); 130 interrupted (Ctrl-C). Errors are one "
         "line on stderr starting with 'parley: error:'. See docs/cli.md.\n";
}

std::vector<std::string> normalize_args(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  size_t i = 0;
  const CLI::App* cmd = selected_command(app, args, i);
  const bool whisper_cpp = cmd->get_name() == "transcribe";
  for (; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    if (whisper_cpp) {
      auto alias = whisper_cpp_flags().find(a);
      if (alias != whisper_cpp_flags().end()) a = alias->second;
    }
    if (a[1] == '-') {
      if (a.find('=') == std::string::npos && takes_value(*cmd, a)) ++i;
      continue;
    }
    const std::string short_name = a.substr(0, 2);
    if (!takes_value(*cmd, short_name)) continue;
    if (a.size() > 2)
      invalid_argument("'" + a + "' is not an option of 'parley " + cmd->get_name() + "'; write " + short_name +
                       " VALUE with a space (" + short_name + " " + a.substr(2) + ")");
    ++i;  // the option's value, whatever it looks like
  }
  return args;
}

int report_parse_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
  size_t next = 0;
  const CLI::App* cmd = selected_command(app, args, next);
  const std::string where = cmd == &app ? "parley" : "parley " + cmd->get_name();
  std::string message = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    // "The following argument(s) was/were not expected: A B"
    // An unknown option is what matters most; a stray word only when there is none.
    std::istringstream extras(message.substr(message.find(": ") + 2));
    std::string first, word;
    while (extras >> word) {
      if (first.empty() || (word[0] == '-' && first[0] != '-')) first = word;
    }
    std::vector<std::string> names;
    for (const CLI::Option* o : cmd->get_options()) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
      for (const auto& s : o->get_snames()) names.push_back("-" + s);
    }
    const std::string guess = first.rfind("-", 0) == 0 ? nearest(first, names) : "";
    message = (first.rfind("-", 0) == 0 ? "unknown option '" : "unexpected argument '") + first + "' for '" +
              where + "'" + (guess.empty() ? "" : " (did you mean " + guess + "?)");
  } else if (message.rfind("A subcommand is required", 0) == 0 && !subcommands_of(*cmd).empty()) {
    message = "'" + where + "' needs a command: " + names_of(subcommands_of(*cmd));
  }
  std::fprintf(stderr, "parley: error: %s (see %s --help)\n", message.c_str(), where.c_str());
  return kExitUsage;
}

}  // namespace parley::cli
