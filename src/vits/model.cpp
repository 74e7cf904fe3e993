#include "vits/model.h"

#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"
#include "weights/weights.h"

namespace parley::vits {

namespace {

// A frame is 256 samples in the published models (11.6 ms at 22.05 kHz, 16 ms at 16 kHz): an hour.
constexpr int64_t kMaxFrames = int64_t{1} << 18;

}  // namespace

std::shared_ptr<const VitsModel> VitsModel::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  auto m = std::make_shared<VitsModel>();
  m->config_ = VitsConfig::from_json(dir.json("config.json"), (folder / "config.json").string());
  const VitsConfig& c = m->config_;
  m->tokenizer_ = std::make_unique<VitsTokenizer>(VitsTokenizer::load(folder, c.vocab_size));
  const Weights w = Weights::load_folder(folder);
  m->encoder_ = TextEncoder(w, c);
  m->duration_ = DurationPredictor(w, c);
  m->flow_ = PriorFlow(w, c);
  m->decoder_ = Decoder(w, c);
  if (c.num_speakers > 1) m->embed_speaker_ = w.get("embed_speaker.weight", {c.num_speakers, c.speaker_embedding_size}).clone();
  w.drop_unshared_pages();
  return m;
}

void VitsModel::check(const VitsOptions& o) const {
  auto positive = [](const std::optional<double>& v, const char* what) {
    if (v && !(std::isfinite(*v) && *v > 0 && *v <= 100))
      invalid_argument(std::string(what) + " must be a positive number up to 100");
  };
  auto non_negative = [](const std::optional<double>& v, const char* what) {
    if (v && !(std::isfinite(*v) && *v >= 0 && *v <= 100))
      invalid_argument(std::string(what) + " must be a number in [0, 100]");
  };
  positive(o.speaking_rate, "the speaking rate");
  non_negative(o.noise_scale, "the noise scale");
  non_negative(o.noise_scale_duration, "the duration noise scale");
  if (o.speaker < 0 || o.speaker >= config_.num_speakers)
    invalid_argument("speaker " + std::to_string(o.speaker) + " is outside this model's speakers 0.." +
                     std::to_string(config_.num_speakers - 1));
}

Tensor VitsModel::speaker_embedding(int64_t speaker) const {
  if (config_.num_speakers <= 1) return Tensor();
  const int64_t E = config_.speaker_embedding_size;
  return Tensor::from_vector({E}, std::vector<float>(embed_speaker_.data() + speaker * E,
                                                     embed_speaker_.data() + (speaker + 1) * E));
}

VitsOutput VitsModel::synthesize_ids(const std::vector<int64_t>& ids, const VitsOptions& options,
                                     NoiseSource& noise) const {
  check(options);
  if (ids.empty()) bad_input("nothing to synthesize: no input ids");
  for (int64_t id : ids)
    if (id < 0 || id >= config_.vocab_size) bad_input("input id " + std::to_string(id) + " is outside the vocabulary");
  const int64_t T = static_cast<int64_t>(ids.size()), F = config_.flow_size;
  const Tensor speaker = speaker_embedding(options.speaker);
  const TextEncoding enc = encoder_.forward(ids);

  VitsOutput out;
  const float noise_duration = static_cast<float>(options.noise_scale_duration.value_or(config_.noise_scale_duration));
  out.log_duration = duration_.forward(enc.hidden, speaker,
                                       duration_.stochastic() ? noise.duration(T) : Tensor(), noise_duration);
  // The reference: ceil(exp(log_duration) * mask * (1 / speaking_rate)), the scale a float32 scalar.
  const float length_scale = static_cast<float>(1.0 / options.speaking_rate.value_or(config_.speaking_rate));
  int64_t frames = 0;
  for (float ld : out.log_duration) {
    const float d = std::ceil(std::exp(ld) * 1.0f * length_scale);
    if (!(d >= 0) || d > static_cast<float>(kMaxFrames)) bad_input("the predicted durations are out of range");
    out.durations.push_back(static_cast<int64_t>(d));
    frames += out.durations.back();
    if (frames > kMaxFrames) bad_input("the text is too long to speak at once (over " + std::to_string(kMaxFrames) + " frames)");
  }
  frames = std::max<int64_t>(frames, 1);  // the reference clamps the length to at least one frame

  const Tensor draws = noise.prior(F, frames);
  const float noise_scale = static_cast<float>(options.noise_scale.value_or(config_.noise_scale));
  Tensor z({frames, F});
  int64_t t = 0;
  for (int64_t i = 0; i < T; ++i)
    for (int64_t k = 0; k < out.durations[i]; ++k, ++t)
      for (int64_t c = 0; c < F; ++c)
        z[t * F + c] = enc.means[i * F + c] + draws[c * frames + t] * std::exp(enc.log_scales[i * F + c]) * noise_scale;
  for (; t < frames; ++t)  // the one frame of an all-zero prediction: no token's prior, noise alone
    for (int64_t c = 0; c < F; ++c) z[t * F + c] = draws[c * frames + t] * 1.f * noise_scale;
  flow_.reverse(z, speaker);
  out.audio = decoder_.forward(z, speaker);
  return out;
}

}  // namespace parley::vits
