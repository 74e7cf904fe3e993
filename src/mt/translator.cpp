#include "mt/translator.h"

#include <algorithm>

#include "core/error.h"
#include "generation/search.h"

namespace parley::mt {

Translator Translator::load(const std::filesystem::path& folder) {
  Translator t;
  t.tokenizer_ = MtTokenizer::load(folder);
  t.model_ = MtModel::load(folder);
  t.defaults_ = load_generation_defaults(folder);
  const int64_t vocab = t.model_->config().vocab_size;
  // The language tokens and specials must be rows of the model (M2M100's made-up words may lie past
  // the vocabulary, as in the published files: they are never produced).
  std::vector<int> ids = {t.tokenizer_.eos_id(), t.tokenizer_.pad_id(), t.tokenizer_.unk_id()};
  for (const auto& lang : t.tokenizer_.language_tokens()) ids.push_back(lang.id);
  for (int id : ids)
    if (id >= vocab)
      bad_model(folder.string() + ": token id " + std::to_string(id) + " of the tokenizer is outside the model's vocabulary of " +
                std::to_string(vocab));
  for (int id : {t.defaults_.decoder_start_token_id, t.defaults_.eos_token_id})
    if (id < 0 || id >= vocab) bad_model(folder.string() + ": decoder_start_token_id or eos_token_id outside the vocabulary");
  return t;
}

bool Translator::hit_positions(std::span<const int> sequence) const {
  return static_cast<int64_t>(sequence.size()) >= model_->max_positions() && !sequence.empty() &&
         sequence.back() != defaults_.eos_token_id;
}

namespace {

// generate()'s search settings and logits processors, from the options and the model's defaults.
struct Generation {
  generation::SearchOptions search;
  generation::LogitsProcessors processors;
};

Generation generation_of(const GenerationDefaults& g, const MtModel& model, const GenerateOptions& o) {
  Generation out;
  generation::SearchOptions& search = out.search;
  search.eos = g.eos_token_id;
  search.control = o.control;
  search.num_beams = o.num_beams.value_or(g.num_beams);
  search.length_penalty = o.length_penalty.value_or(g.length_penalty);
  search.early_stopping = o.early_stopping.value_or(g.early_stopping);
  // The decoder prompt is one token, so max_new_tokens n means a sequence of 1 + n.
  search.max_length = o.max_new_tokens ? 1 + *o.max_new_tokens : o.max_length.value_or(g.max_length);
  if (search.num_beams < 1 || search.num_beams > 64) invalid_argument("the number of beams must be between 1 and 64");
  if (search.max_length < 2) invalid_argument("at least one new token must be allowed");
  // The decoder has no positions past the model's (the reference fails there).
  search.max_length = static_cast<int>(std::min<int64_t>(search.max_length, model.max_positions()));
  if (model.config().architecture == Architecture::Marian) search.never_token = model.config().pad_token_id;

  generation::LogitsProcessors& processors = out.processors;
  const float penalty = o.repetition_penalty.value_or(g.repetition_penalty);
  if (penalty != 1.0f) processors.add(std::make_unique<generation::RepetitionPenalty>(penalty));
  const int ngram = o.no_repeat_ngram_size.value_or(g.no_repeat_ngram_size);
  if (ngram > 0) processors.add(std::make_unique<generation::NoRepeatNGram>(ngram));
  if (!g.bad_words_ids.empty()) processors.add(std::make_unique<generation::BadWords>(g.bad_words_ids, g.eos_token_id));
  if (o.forced_bos_token_id) processors.add(std::make_unique<generation::ForceTokens>(1, *o.forced_bos_token_id));
  if (g.forced_eos_token_id >= 0)
    processors.add(std::make_unique<generation::ForceTokens>(search.max_length - 1, g.forced_eos_token_id));
  return out;
}

}  // namespace

std::vector<int> Translator::generate(std::span<const int> input_ids, const GenerateOptions& o) const {
  const std::vector<int> one(input_ids.begin(), input_ids.end());
  return std::move(generate_batch(std::span<const std::vector<int>>(&one, 1), o)[0]);
}

std::vector<std::vector<int>> Translator::generate_batch(std::span<const std::vector<int>> inputs,
                                                         const GenerateOptions& o) const {
  const Generation gen = generation_of(defaults_, *model_, o);
  if (inputs.empty()) invalid_argument("nothing to translate: no input");
  // The session's caches grow with its rows: at most kMaxRows (as many as the widest beam alone)
  // per pass, so a large batch at a wide beam runs in several passes instead of exhausting memory.
  // int8 layers: no more rows than their matrix-vector kernels take, where each row's result is the
  // one it gets alone (beyond, they round differently, and measured 2x slower: NLLB beam 4, 32 rows).
  constexpr int kMaxRows = 64;
  const int rows = model_->precision() == Precision::Int8 ? static_cast<int>(kLinearRowsReadOnce) : kMaxRows;
  const size_t per_pass = static_cast<size_t>(std::max(1, rows / gen.search.num_beams));
  std::vector<std::vector<int>> out;
  for (size_t first = 0; first < inputs.size(); first += per_pass) {
    const auto part = inputs.subspan(first, std::min(per_pass, inputs.size() - first));
    const int count = static_cast<int>(part.size());
    const Tensor states = model_->encode_batch(part);
    std::vector<int> lengths;
    for (const auto& ids : part) lengths.push_back(static_cast<int>(ids.size()));
    DecoderSession session(model_, count * gen.search.num_beams, gen.search.max_length);
    session.set_encoder_states(states, lengths);
    const int start = defaults_.decoder_start_token_id;
    for (auto& r : generation::search_batch(session, count, std::span<const int>(&start, 1), gen.processors, gen.search))
      out.push_back(std::move(r.tokens));
  }
  return out;
}

}  // namespace parley::mt
