// parley translate-text: text in one language -> text in another (NLLB-200, M2M100, opus-mt).
//
//   parley translate-text [--model NAME|DIR] [--from CODE] [--to CODE] [--beams N] [--max-new-tokens N]
//                         [--no-split] [--batch-size N] [--precision f32|bf16|int8] [--threads N] [--json]
//                         [TEXT | -]
//
// TEXT, or stdin when it is "-" or absent. Languages in any form of the language table (text/
// languages.h). --json: {"text", "from", "to", "tokens" (one sequence only), "sentences", "timings"}.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "core/error.h"
#include "hf/hub.h"
#include "mt/text_translation.h"
#include "tensor/ops.h"
#include "tensor/precision.h"

namespace parley::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct TranslateTextArgs {
  std::string model = "facebook/nllb-200-distilled-600M";
  std::string from, to, text = "-", precision = "f32";
  std::optional<int> beams, max_new_tokens;
  bool no_split = false, json = false;
  int threads = 0;
  int batch_size = mt::TextRequest::kDefaultBatchSize;
};

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string to_json(const mt::TextResult& r, double load_ms, double translate_ms) {
  nlohmann::ordered_json j;
  j["text"] = r.text;
  j["from"] = r.from;
  j["to"] = r.to;
  if (r.sentences.size() == 1) j["tokens"] = r.sentences[0].tokens;
  j["sentences"] = nlohmann::ordered_json::array();
  for (const auto& s : r.sentences) {
    nlohmann::ordered_json one = {{"source", s.source}, {"text", s.text}, {"tokens", s.tokens}};
    if (s.cut_at_positions) one["cut_at_positions"] = true;
    j["sentences"].push_back(std::move(one));
  }
  j["timings"] = {{"load_ms", load_ms}, {"translate_ms", translate_ms}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run(const TranslateTextArgs& a) {
  std::string text = a.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  set_default_precision(parse_precision(a.precision));
  ops::set_threads(a.threads);
  const auto start = Clock::now();
  const auto folder = hub::resolve_model(a.model, hub::hub_options_from_env(), {"config.json"});
  const mt::Translator translator = mt::Translator::load(folder);
  const double load_ms = ms_since(start);
  mt::TextRequest request;
  request.text = std::move(text);
  request.from = a.from;
  request.to = a.to;
  request.split = !a.no_split;
  request.generate.num_beams = a.beams;
  request.generate.max_new_tokens = a.max_new_tokens;
  request.batch_size = a.batch_size;
  const auto t0 = Clock::now();
  const mt::TextResult r = mt::translate_text(translator, request);
  // The reference fails past the positions; Parley stops there, and says so rather than cut silently.
  for (size_t i = 0; i < r.sentences.size(); ++i)
    if (r.sentences[i].cut_at_positions)
      std::fprintf(stderr, "parley: warning: the translation of sentence %zu filled the model's %lld positions "
                           "before it ended; it may be cut short\n",
                   i + 1, static_cast<long long>(translator.model().max_positions()));
  const std::string out = a.json ? to_json(r, load_ms, ms_since(t0)) : r.text;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

void register_translate_text(CLI::App& app, Runner& run_fn) {
  auto args = std::make_shared<TranslateTextArgs>();
  CLI::App* cmd = app.add_subcommand("translate-text", "Translate text between languages (NLLB-200, M2M100, opus-mt)");
  cmd->add_option("text", args->text, "The text, or - (the default) to read it from stdin");
  cmd->add_option("--model", args->model, "Hub name ORG/NAME[@REV] or model folder")->capture_default_str();
  cmd->add_option("--from", args->from, "Language of the text (any code or name; a pair model knows its own)");
  cmd->add_option("--to", args->to, "Language of the translation (required by multilingual models)");
  cmd->add_option("--beams", args->beams, "Beam width (default: the model's generation_config.json)")->check(CLI::Range(1, 64));
  cmd->add_option("--max-new-tokens", args->max_new_tokens, "Most tokens generated per sentence")->check(CLI::Range(1, 100000));
  cmd->add_flag("--no-split", args->no_split, "Translate the input as one sequence, as generate() does");
  cmd->add_option("--batch-size", args->batch_size,
                  "Sentences translated together, each exactly as alone (1: one by one; batches are faster: docs/mt.md)")
      ->check(CLI::Range(1, mt::TextRequest::kMaxBatchSize))
      ->capture_default_str();
  add_precision_option(*cmd, args->precision);
  add_threads_option(*cmd, args->threads, "CPU threads (0 = every core)");
  cmd->add_flag("--json", args->json, "Print one JSON object: text, from, to, tokens, sentences, timings");
  cmd->callback([args, &run_fn] { run_fn = [args] { return run(*args); }; });
}

}  // namespace parley::cli
