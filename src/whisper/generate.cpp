#include "whisper/generate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "core/error.h"
#include "tensor/ops.h"
#include "whisper/logits.h"

namespace parley::whisper {

namespace {

// The reference's forced_decoder_ids for a request (WhisperForConditionalGeneration.generate).
std::vector<std::pair<int, int>> forced_ids(const WhisperConfig& c, const GenerateOptions& o) {
  std::vector<std::pair<int, int>> forced;
  if (!c.multilingual()) {
    // English-only checkpoints have no language or task tokens: the file's forced ids (which
    // force <|notimestamps|>), minus that token in timestamp mode.
    if (!o.language.empty() && o.language != "en" && o.language != "<|en|>") c.language_id(o.language);  // throws
    if (o.task != "transcribe") c.task_id(o.task);  // throws
    for (const auto& f : c.forced_decoder_ids)
      if (!(o.timestamps && f.second == c.no_timestamps_token_id)) forced.push_back(f);
    return forced;
  }
  forced.emplace_back(1, o.language.empty() ? -1 : c.language_id(o.language));
  forced.emplace_back(2, c.task_id(o.task));
  if (!o.timestamps && c.has_timestamps()) forced.emplace_back(3, c.no_timestamps_token_id);
  return forced;
}

int max_length(const WhisperConfig& c, const GenerateOptions& o, int prompt_len) {
  if (o.max_new_tokens < 0 || o.max_length < 0) invalid_argument("token limits must not be negative");
  int len = o.max_new_tokens > 0 ? prompt_len + o.max_new_tokens : (o.max_length > 0 ? o.max_length : c.max_length);
  // The decoder has max_target_positions positions; the last token needs none of its own.
  const int limit = c.max_target_positions + 1;
  if (len > limit)
    invalid_argument("at most " + std::to_string(limit - prompt_len) + " new tokens fit this model's decoder (asked for " +
                     std::to_string(len - prompt_len) + ")");
  return len;
}

}  // namespace

DecodingPlan make_plan(const WhisperConfig& c, const GenerateOptions& o) {
  if (o.num_beams < 1) invalid_argument("the number of beams must be at least 1");
  if (!(o.temperature >= 0 && o.temperature <= 100)) invalid_argument("the temperature must be between 0 and 100");
  if (o.temperature > 0 && o.num_beams > 1) invalid_argument("sampling (temperature > 0) works without beams");
  if (o.timestamps && !c.has_timestamps()) invalid_argument("this model has no timestamp tokens");
  DecodingPlan plan;
  plan.prompt = {c.decoder_start_token_id};
  const auto forced = forced_ids(c, o);
  const int prompt_len = static_cast<int>(plan.prompt.size());

  plan.processors.add(std::make_unique<generation::SuppressTokens>(c.suppress_tokens));
  // Generation "begins" after the last forced position.
  const int begin_index = prompt_len + (forced.empty() ? 0 : forced.back().first);
  plan.processors.add(std::make_unique<generation::SuppressTokensAtBegin>(c.begin_suppress_tokens, begin_index));
  std::map<int, int> force_map;
  for (const auto& [pos, id] : forced) force_map[pos] = id;
  plan.processors.add(std::make_unique<generation::ForceTokens>(std::move(force_map)));
  if (o.timestamps) {
    // The reference's begin index: len(forced_decoder_ids) + 2, one less when the last forced
    // token is <|notimestamps|>.
    int ts_begin = static_cast<int>(forced.size()) + 2;
    if (!forced.empty() && forced.back().second == c.no_timestamps_token_id) --ts_begin;
    plan.processors.add(std::make_unique<TimestampRules>(
        TimestampRules::Ids{c.eos_token_id, c.no_timestamps_token_id, c.timestamp_begin()}, ts_begin,
        c.max_initial_timestamp_index));
  }
  plan.search.max_length = max_length(c, o, prompt_len);
  plan.search.eos = c.eos_token_id;
  plan.search.num_beams = o.num_beams;
  plan.search.length_penalty = c.length_penalty;
  plan.search.early_stopping = c.early_stopping;
  plan.search.compute_logprobs = o.compute_logprobs;
  plan.search.temperature = o.temperature;
  plan.search.seed = o.seed;
  plan.search.control = o.control;
  return plan;
}

generation::SearchResult generate(DecoderSession& session, const DecodingPlan& plan) {
  return generation::search(session, plan.prompt, plan.processors, plan.search);
}

LanguageDetection detect_language(DecoderSession& session) {
  const WhisperConfig& c = session.model().config();
  LanguageDetection r;
  r.token_ids = c.language_token_ids();
  if (r.token_ids.empty()) return r;  // English-only
  session.reset(1);
  const int sot = c.decoder_start_token_id;
  const Tensor& logits = session.decode(std::span<const int>(&sot, 1), 1);
  for (int id : r.token_ids) r.logprobs.push_back(logits[id]);
  ops::log_softmax(r.logprobs.data(), static_cast<int64_t>(r.logprobs.size()));
  const size_t best = static_cast<size_t>(std::max_element(r.logprobs.begin(), r.logprobs.end()) - r.logprobs.begin());
  r.token_id = r.token_ids[best];
  r.code = c.language_code(r.token_id);
  session.reset(1);
  return r;
}

}  // namespace parley::whisper
