// Whisper's input features: log-mel spectrograms of 16 kHz audio.
//
// Both variants compute the same short-time Fourier transform: an n_fft-point FFT (400) every
// hop_length samples (160) under a periodic Hann window, centred on each hop with the signal
// reflected at both ends, the last frame dropped; power spectra through Slaney-style mel filters
// (computed for n_mels bands as librosa/transformers do; equal to openai/whisper's mel_filters.npz),
// then log10 clamped at 1e-10, floored at (max - 8) and mapped by (x + 4) / 4.
//
// The numerics follow transformers' NumPy code: the windowed frame and FFT in float64 (FFTW), the
// spectrum rounded to float32 before the power, float32 logs. Against the reference's goldens the
// features differ by at most 2 ulp (2.4e-7); against openai/whisper's float32 torch.stft by ~3e-5.
// 30 s of audio takes a few milliseconds. Methods are const and thread-safe (the FFT plan
// is made once per LogMel and shared; each call uses its own buffers).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensor/tensor.h"

namespace parley::audio {

struct MelConfig {
  int n_mels = 80;                // preprocessor_config.json "feature_size" (80, or 128 for large-v3)
  int n_fft = 400;
  int hop_length = 160;
  int sample_rate = 16000;        // "sampling_rate"; Parley decodes to 16 kHz, so nothing else is accepted
  int64_t n_samples = 480000;     // chunk_length * sample_rate: the 30 s window whisper_features fills
  int64_t nb_max_frames = 3000;   // n_samples / hop_length: frames of that window
  float padding_value = 0.0f;     // what pads short audio to n_samples

  // From a checkpoint's preprocessor_config.json (WhisperFeatureExtractor's fields and defaults;
  // n_samples and nb_max_frames are derived from chunk_length as the reference's constructor does,
  // whatever the file says). Throws Error(BadModel) naming `source` for values out of range.
  static MelConfig from_json(const nlohmann::json& preprocessor_config, const std::string& source);
  // Throws Error(BadModel) naming `source` unless the fields are usable.
  void validate(const std::string& source) const;
};

class LogMel {
 public:
  explicit LogMel(MelConfig config);
  ~LogMel();
  LogMel(const LogMel&);
  LogMel& operator=(const LogMel&);

  const MelConfig& config() const { return config_; }
  // The mel filter bank, [n_mels, n_fft / 2 + 1] row-major.
  const std::vector<float>& filters() const { return filters_; }

  // transformers' WhisperFeatureExtractor: the audio padded with padding_value or cut to n_samples,
  // then features normalised over that window -> [n_mels, nb_max_frames].
  Tensor whisper_features(std::span<const float> samples) const;

  // openai/whisper's log_mel_spectrogram for long-form transcription: features of the whole signal
  // as given (the caller appends any padding, e.g. 30 s of zeros), normalised with the maximum over
  // all of it -> [n_mels, samples.size() / hop_length].
  Tensor log_mel(std::span<const float> samples) const;

 private:
  struct Fft;
  // log10 of the clamped mel power, [n_mels, size / hop], and its maximum.
  Tensor log10_mel(std::span<const float> samples, float& max_value) const;

  MelConfig config_;
  std::vector<float> filters_;
  std::vector<int> band_begin_, band_end_;  // non-zero bins [begin, end) of each band
  std::vector<double> window_;
  std::shared_ptr<const Fft> fft_;
};

// Slaney-style mel filters as transformers' get_mel_filters (= librosa.filters.mel with norm="slaney")
// computes them: [n_mels, n_fft / 2 + 1] row-major, float32.
std::vector<float> mel_filter_bank(int sample_rate, int n_fft, int n_mels);

}  // namespace parley::audio
