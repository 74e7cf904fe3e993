#include "mt/text_translation.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "text/languages.h"
#include "text/sentences.h"
#include "text/utf8.h"

namespace parley::mt {

namespace {

// What goes around the text: the encoder's source token, the forced target token, Marian's prefix.
struct Plan {
  std::optional<int> source_token, target_token;
  std::string prefix;  // ">>fra<< " for a multi-target Marian model
  std::string from, to;
};

const LanguageToken& model_token(const MtTokenizer& tok, const std::string& code, const char* role) {
  const text::Language& language = text::resolve_language(code);
  const LanguageToken* t = tok.language_token(language);
  if (!t) invalid_argument("the model cannot translate " + std::string(role) + " " + text::describe(language));
  return *t;
}

// A Marian pair language: a given code must name the model's own language.
std::string check_pair_language(const std::string& given, const std::string& model_language, const char* role) {
  if (given.empty()) return model_language;
  const text::Language& want = text::resolve_language(given);
  const text::Language* have = text::find_language(model_language);
  if (have && have->iso3 != want.iso3)
    invalid_argument("this model translates " + std::string(role) + " " + text::describe(*have) + " only, not " +
                     text::describe(want));
  return std::string(text::short_code(want));
}

Plan plan_languages(const MtTokenizer& tok, const TextRequest& r) {
  Plan p;
  if (tok.kind() != TokenizerKind::Marian) {
    if (r.from.empty() || r.to.empty())
      invalid_argument("a multilingual model needs --from and --to (the languages of the text and of the translation)");
    const LanguageToken& src = model_token(tok, r.from, "from");
    const LanguageToken& tgt = model_token(tok, r.to, "into");
    p.source_token = src.id;
    p.target_token = tgt.id;
    p.from = std::string(text::short_code(*src.language));
    p.to = std::string(text::short_code(*tgt.language));
    return p;
  }
  p.from = check_pair_language(r.from, tok.pair_source(), "from");
  if (tok.language_tokens().empty()) {
    p.to = check_pair_language(r.to, tok.pair_target(), "into");
    return p;
  }
  if (r.to.empty()) invalid_argument("this model translates into several languages: --to picks one");
  const LanguageToken& tgt = model_token(tok, r.to, "into");
  p.prefix = tgt.token + " ";
  p.to = std::string(text::short_code(*tgt.language));
  return p;
}

// The pieces to translate: sentences, each cut further until its encoder input fits the positions.
std::vector<std::string> pieces_of(const Translator& t, const Plan& p, const TextRequest& r) {
  const int64_t positions = t.model().max_positions();
  auto tokens = [&](std::string_view piece) {
    return t.tokenizer().encode_source(p.prefix + std::string(piece), p.source_token).size();
  };
  if (!r.split) {
    const size_t n = tokens(r.text);
    if (static_cast<int64_t>(n) > positions)
      invalid_argument("the text is " + std::to_string(n) + " tokens, more than the model's " +
                       std::to_string(positions) + " positions: translate it in sentences (leave out --no-split)");
    return {r.text};
  }
  std::vector<std::string> out;
  for (const auto& sentence : sentences::split(r.text))
    for (auto& piece : sentences::split_to_fit(sentence, static_cast<size_t>(positions), tokens)) out.push_back(piece);
  return out;
}

}  // namespace

// Scripts written without spaces between sentences.
std::string sentence_separator(const std::string& code) {
  const text::Language* l = text::find_language(code);
  if (!l) return " ";
  for (const char* script : {"Hans", "Hant", "Jpan", "Thai"})
    if (l->script == script) return "";
  return " ";
}

TextResult translate_text(const Translator& t, const TextRequest& r) {
  utf8::require_valid(r.text, "the text");
  if (sentences::trim(r.text).empty()) bad_input("the text is empty: there is nothing to translate");
  const Plan plan = plan_languages(t.tokenizer(), r);
  TextResult result;
  result.from = plan.from;
  result.to = plan.to;
  GenerateOptions options = r.generate;
  if (plan.target_token) options.forced_bos_token_id = plan.target_token;
  const std::string separator = sentence_separator(plan.to);
  if (r.batch_size < 1 || r.batch_size > TextRequest::kMaxBatchSize)
    invalid_argument("the batch size must be between 1 and " + std::to_string(TextRequest::kMaxBatchSize));
  const std::vector<std::string> pieces = pieces_of(t, plan, r);
  for (size_t first = 0; first < pieces.size(); first += static_cast<size_t>(r.batch_size)) {
    const size_t end = std::min(pieces.size(), first + static_cast<size_t>(r.batch_size));
    std::vector<std::vector<int>> inputs;
    for (size_t i = first; i < end; ++i)
      inputs.push_back(t.tokenizer().encode_source(plan.prefix + pieces[i], plan.source_token));
    std::vector<std::vector<int>> outputs = t.generate_batch(inputs, options);
    for (size_t i = first; i < end; ++i) {
      TranslatedSentence s;
      s.source = pieces[i];
      s.tokens = std::move(outputs[i - first]);
      s.cut_at_positions = t.hit_positions(s.tokens);
      s.text = t.tokenizer().decode(s.tokens);
      if (!s.text.empty()) result.text += (result.text.empty() ? "" : separator) + s.text;
      result.sentences.push_back(std::move(s));
    }
  }
  return result;
}

}  // namespace parley::mt
