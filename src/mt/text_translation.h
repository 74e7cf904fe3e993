// Text in, text out: languages in any form of the language table, sentences split (text/sentences.h)
// and translated in batches of `batch_size` (each sentence gets the tokens it gets alone), and the
// checks a model's kind needs.
//
//   NLLB-200 / M2M100   multilingual: `from` and `to` are required; the source token starts the
//                       encoder input, the target token is forced after the decoder start.
//   Marian pair model   knows both languages (tokenizer_config.json source_lang / target_lang):
//                       `from` / `to`, when given, must be those. A multi-target Marian model (its
//                       vocabulary has ">>xxx<<" tokens) needs `to` for the prefix.
// A sentence longer than the model's positions is cut further (clauses, words); with split off, an
// input that does not fit is an error. Nothing is truncated silently.
#pragma once

#include <string>
#include <vector>

#include "mt/translator.h"

namespace parley::mt {

struct TextRequest {
  std::string text;
  std::string from, to;  // any form the language table accepts; empty: not given
  bool split = true;     // false: the text is one sequence, as generate() on the whole input
  GenerateOptions generate;
  // Sentences translated together (Translator::generate_batch); 1: one by one. The default is where
  // the benchmark (docs/mt.md) measured batching faster on this kind of machine.
  int batch_size = kDefaultBatchSize;
  static constexpr int kDefaultBatchSize = 8;
  static constexpr int kMaxBatchSize = 64;
};

struct TranslatedSentence {
  std::string source, text;
  std::vector<int> tokens;  // the whole generated sequence
  bool cut_at_positions = false;  // generation stopped at the model's positions, not at </s>
};

struct TextResult {
  std::string text;
  std::string from, to;  // short codes of the languages ("it"), or the Marian model's own names
  std::vector<TranslatedSentence> sentences;
};

// Throws Error(InvalidArgument) for a missing, unknown or unsupported language, Error(BadInput) for
// text with nothing to translate (empty, only spaces) or not valid UTF-8.
TextResult translate_text(const Translator& translator, const TextRequest& request);

// What translate_text puts between the sentences of a text in `language` (any code form): "" for
// scripts written without spaces (Chinese, Japanese, Thai), else " ".
std::string sentence_separator(const std::string& language);

}  // namespace parley::mt
