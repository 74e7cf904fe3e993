#include "whisper/whisper.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"
#include "whisper/languages.h"
#include "whisper/window_decode.h"
#include "whisper/window_rules.h"

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
  g.control = o.control;
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
  generation::SearchResult s = generate(session, plan);
  r.tokens = std::move(s.tokens);
  r.score = s.score;
  r.text = tokenizer_->decode(r.tokens, true);
  if (options.timestamps) {
    const double precision = 2.0 * mel_->config().hop_length / mel_->config().sample_rate;  // 0.02 s per position
    r.text_with_timestamps = tokenizer_->decode_with_timestamps(r.tokens, precision);
  }
  return r;
}

// ------------------------------------------------------------------------------------ long form

std::vector<int> Whisper::sot_sequence(const std::string& task, const std::string& language) const {
  const WhisperConfig& c = config();
  if (!c.multilingual()) {
    // English-only checkpoints: <|startoftranscript|> alone (openai's tokenizer has no language or task then).
    if (language != "auto" && language != "en" && language != "<|en|>") c.language_id(language);  // throws
    if (task != "transcribe") c.task_id(task);  // throws
    return {c.decoder_start_token_id};
  }
  const int task_token = c.task_id(task);
  if (language == "auto") return {c.decoder_start_token_id, c.language_token_ids().front(), task_token};
  return {c.decoder_start_token_id, c.language_id(language), task_token};
}

void Whisper::check(const LongformOptions& o) const {
  sot_sequence(o.task, o.language);  // throws for a bad task or language
  if (o.temperatures.empty()) invalid_argument("give at least one temperature");
  for (float t : o.temperatures)
    if (!(t >= 0 && t <= 100)) invalid_argument("temperatures must be between 0 and 100");
  if (o.beam_size < 0 || o.beam_size > 64) invalid_argument("the beam size must be between 0 and 64");
  if (o.best_of < 1 || o.best_of > 64) invalid_argument("best_of must be between 1 and 64");
  if (!(o.patience > 0 && o.patience <= 64)) invalid_argument("patience must be above 0");
  if (o.length_penalty && !(*o.length_penalty >= 0 && *o.length_penalty <= 1))
    invalid_argument("the length penalty must be between 0 and 1");
  if (o.sample_len < 0 || o.sample_len > config().max_target_positions)
    invalid_argument("sample_len must be between 0 and " + std::to_string(config().max_target_positions));
  if (!config().has_timestamps()) invalid_argument("this model has no timestamp tokens, which long-form decoding needs");
  if (!o.initial_prompt.empty() && !config().prev_token_id)
    invalid_argument("this model has no <|startofprev|> token, so it cannot take a prompt");
}

LongformResult Whisper::transcribe_long(std::span<const float> samples16k, const LongformOptions& o,
                                        const std::function<void(const Segment&)>& on_segment,
                                        const std::function<void(const WindowTrace&, const LongformLanguage&)>& on_window) const {
  check(o);
  const WhisperConfig& c = config();
  const audio::MelConfig& mc = mel_->config();
  // openai's log_mel_spectrogram(audio, padding=N_SAMPLES): the whole signal and 30 s of silence.
  std::vector<float> padded(samples16k.begin(), samples16k.end());
  padded.resize(padded.size() + static_cast<size_t>(mc.n_samples), 0.f);
  const Tensor mel = mel_->log_mel(padded);
  const int64_t content_frames = mel.dim(1) - mc.nb_max_frames;

  LongformResult detected;
  std::string language = o.language;
  if (language == "auto" && c.multilingual()) {
    // Detected on the first window of the log-mel (pad_or_trim(mel, N_FRAMES)).
    Tensor first({mel.dim(0), mc.nb_max_frames});
    for (int64_t m = 0; m < mel.dim(0); ++m)
      std::copy_n(mel.row(m), mc.nb_max_frames, first.row(m));
    DecoderSession session(model_, 1, 1);
    session.set_encoder_states(model_->encode(first));
    LanguageDetection d = detect_language(session);
    language = d.code;
    for (size_t i = 0; i < d.token_ids.size(); ++i)
      if (d.token_ids[i] == d.token_id) detected.language_logprob = d.logprobs[i];
  }
  WindowDecodeOptions base;
  base.sot_sequence = sot_sequence(o.task, language);
  base.without_timestamps = o.without_timestamps;
  base.beam_size = o.beam_size;
  base.patience = o.patience;
  base.best_of = o.best_of;
  base.length_penalty = o.length_penalty;
  base.sample_len = o.sample_len;
  base.control = o.control;
  // openai: round(max_initial_timestamp / (CHUNK_LENGTH / n_audio_ctx))
  const double precision = static_cast<double>(mc.n_samples) / mc.sample_rate / c.max_source_positions;
  if (o.max_initial_timestamp > 0)
    base.max_initial_timestamp_index = static_cast<int>(std::nearbyint(o.max_initial_timestamp / precision));
  else
    base.max_initial_timestamp_index.reset();
  base.suppress_tokens = o.suppress_tokens ? *o.suppress_tokens : default_suppress_tokens(*tokenizer_);
  if (o.suppress_blank) base.blank_tokens = blank_tokens(*tokenizer_);
  ModelWindowDecoder decoder(model_, std::move(base));

  LongformSetup setup;
  setup.window_frames = static_cast<int>(mc.nb_max_frames);
  setup.hop_length = mc.hop_length;
  setup.sample_rate = mc.sample_rate;
  setup.input_stride = c.feature_frames / c.max_source_positions;
  setup.n_text_ctx = c.max_target_positions;
  setup.eot = c.eos_token_id;
  setup.timestamp_begin = c.timestamp_begin();
  setup.language = c.multilingual() ? c.language_code(c.language_id(language)) : "en";
  const double seconds = static_cast<double>(samples16k.size()) / mc.sample_rate;
  LongformLanguage lang;
  lang.code = setup.language;
  lang.name = language_name(lang.code).value_or(lang.code);
  lang.logprob = detected.language_logprob;
  std::function<void(const WindowTrace&)> window_done;
  if (on_window) window_done = [&](const WindowTrace& t) { on_window(t, lang); };
  LongformResult r = run_longform(mel, content_frames, seconds, decoder, *tokenizer_, setup, o, on_segment, window_done);
  r.language = lang.code;
  r.language_name = lang.name;
  r.language_logprob = lang.logprob;
  r.audio_seconds = seconds;
  return r;
}

}  // namespace parley::whisper
