#include "whisper/whisper.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"
#include "whisper/languages.h"

namespace parley::whisper {

Whisper Whisper::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  Whisper w;
  w.model_ = WhisperModel::load(folder);
  w.tokenizer_ = std::make_shared<const WhisperTokenizer>(WhisperTokenizer::load(dir));
  const std::string pre = (dir.path() / "preprocessor_config.json").string();
  w.mel_ = std::make_shared<const audio::LogMel>(audio::MelConfig::from_json(dir.json("preprocessor_config.json"), pre));
  const WhisperConfig& c = w.config();
  if (w.mel_->config().n_mels != c.num_mel_bins || w.mel_->config().nb_max_frames != c.feature_frames)
    bad_model(pre + ": the features (" + std::to_string(w.mel_->config().n_mels) + " x " +
              std::to_string(w.mel_->config().nb_max_frames) + ") do not fit the encoder (" +
              std::to_string(c.num_mel_bins) + " x " + std::to_string(c.feature_frames) + ")");
  if (w.tokenizer_->vocab_size() != c.vocab_size)
    bad_model(folder.string() + ": the tokenizer has " + std::to_string(w.tokenizer_->vocab_size()) +
              " tokens but the model " + std::to_string(c.vocab_size));
  return w;
}

GenerateOptions Whisper::generate_options(const TranscribeOptions& o, const std::string& language) const {
  GenerateOptions g;
  g.task = o.task;
  g.language = language;
  g.timestamps = o.timestamps;
  g.num_beams = o.num_beams;
  if (o.max_new_tokens < 1) invalid_argument("max_new_tokens must be at least 1");
  g.max_new_tokens = o.max_new_tokens;
  g.compute_logprobs = true;
  g.temperature = o.temperature;
  g.seed = o.seed;
  return g;
}

void Whisper::check(const TranscribeOptions& o) const {
  const WhisperConfig& c = config();
  std::string language = o.language;
  if (language == "auto") language = c.multilingual() ? c.language_codes_by_id().front() : "";
  make_plan(c, generate_options(o, language));  // throws for a bad task, language or limit
}

TranscribeResult Whisper::transcribe(std::span<const float> samples16k, const TranscribeOptions& options) const {
  check(options);
  const audio::MelConfig& mc = mel_->config();
  TranscribeResult r = transcribe_features(mel_->whisper_features(samples16k), options);
  r.audio_seconds = static_cast<double>(samples16k.size()) / mc.sample_rate;
  r.window_seconds = static_cast<double>(mc.n_samples) / mc.sample_rate;
  r.truncated = static_cast<int64_t>(samples16k.size()) > mc.n_samples;
  return r;
}

TranscribeResult Whisper::transcribe_features(const Tensor& features, const TranscribeOptions& options) const {
  check(options);
  const WhisperConfig& c = config();
  Tensor states;
  EncoderBuffers buffers;
  model_->encode(features, states, buffers);
  // The caches hold only what this request can decode (the last token is never fed back).
  const int max_length = make_plan(c, generate_options(options, "")).search.max_length;
  DecoderSession session(model_, options.num_beams, std::max(1, max_length - 1));
  session.set_encoder_states(states);

  TranscribeResult r;
  std::string language = options.language;
  if (language == "auto") {
    if (c.multilingual()) {
      LanguageDetection d = detect_language(session);
      language = d.code;
      for (size_t i = 0; i < d.token_ids.size(); ++i)
        if (d.token_ids[i] == d.token_id) r.language_logprob = d.logprobs[i];
    } else {
      language = "";
    }
  }
  r.language = c.multilingual() ? c.language_code(c.language_id(language)) : "en";
  r.language_name = language_name(r.language).value_or(r.language);
  DecodingPlan plan = make_plan(c, generate_options(options, language));
  SearchResult s = generate(session, plan);
  r.tokens = std::move(s.tokens);
  r.score = s.score;
  r.text = tokenizer_->decode(r.tokens, true);
  if (options.timestamps) {
    const double precision = 2.0 * mel_->config().hop_length / mel_->config().sample_rate;  // 0.02 s per position
    r.text_with_timestamps = tokenizer_->decode_with_timestamps(r.tokens, precision);
  }
  return r;
}

}  // namespace parley::whisper
