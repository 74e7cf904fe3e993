#include "audio/mel.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "audio/decode.h"
#include "core/error.h"
#include "hf/model_dir.h"

namespace parley::audio {

namespace {

// FFTW's planner is not thread-safe (executing a finished plan is).
std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};

// Index into a signal of length n reflected at both ends without repeating the edge sample, as
// numpy.pad(mode="reflect") and torch's reflect padding do (periodic, so any offset works).
int64_t reflect_index(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// Slaney's mel scale as librosa's hz_to_mel/mel_to_hz (htk=False) compute it.
constexpr double kMinLogHz = 1000.0;
const double kFSp = 200.0 / 3;
const double kMinLogMel = kMinLogHz / kFSp;
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) { return hz >= kMinLogHz ? kMinLogMel + std::log(hz / kMinLogHz) / kLogStep : hz / kFSp; }
double mel_to_hz(double mel) { return mel >= kMinLogMel ? kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel)) : kFSp * mel; }

}  // namespace

std::vector<float> mel_filter_bank(int sample_rate, int n_fft, int n_mels) {
  const int n_bins = n_fft / 2 + 1;
  // Centre frequency of each FFT bin (numpy.fft.rfftfreq).
  std::vector<double> bin_hz(n_bins);
  const double bin_step = 1.0 / (n_fft * (1.0 / sample_rate));
  for (int k = 0; k < n_bins; ++k) bin_hz[k] = k * bin_step;
  // n_mels + 2 band edges evenly spaced in mels from 0 Hz to Nyquist (numpy.linspace: the last exact).
  const double max_mel = hz_to_mel(sample_rate / 2.0);
  const double mel_step = max_mel / (n_mels + 1);
  std::vector<double> edge_hz(n_mels + 2);
  for (int i = 0; i < n_mels + 2; ++i) edge_hz[i] = mel_to_hz(i == n_mels + 1 ? max_mel : i * mel_step);

  std::vector<float> w(static_cast<size_t>(n_mels) * n_bins);
  for (int m = 0; m < n_mels; ++m) {
    const double lo_width = edge_hz[m + 1] - edge_hz[m], hi_width = edge_hz[m + 2] - edge_hz[m + 1];
    // Slaney normalisation: each triangle has the same area.
    const double norm = 2.0 / (edge_hz[m + 2] - edge_hz[m]);
    for (int k = 0; k < n_bins; ++k) {
      const double rising = -(edge_hz[m] - bin_hz[k]) / lo_width;
      const double falling = (edge_hz[m + 2] - bin_hz[k]) / hi_width;
      // The reference stores the triangle as float32 first, then scales it (two roundings).
      const float tri = static_cast<float>(std::max(0.0, std::min(rising, falling)));
      w[static_cast<size_t>(m) * n_bins + k] = static_cast<float>(tri * norm);
    }
  }
  return w;
}

// ----------------------------------------------------------------------------------------- config

MelConfig MelConfig::from_json(const nlohmann::json& j, const std::string& source) {
  MelConfig c;
  const int64_t n_mels = json_int_or(j, "feature_size", 80, source);
  const int64_t n_fft = json_int_or(j, "n_fft", 400, source);
  const int64_t hop = json_int_or(j, "hop_length", 160, source);
  const int64_t rate = json_int_or(j, "sampling_rate", 16000, source);
  const int64_t chunk = json_int_or(j, "chunk_length", 30, source);
  auto check = [&](const char* key, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi)
      bad_model(source + ": " + key + " " + std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  };
  check("feature_size", n_mels, 1, 1024);
  check("n_fft", n_fft, 2, 65536);
  check("hop_length", hop, 1, 65536);
  check("sampling_rate", rate, 1, 1000000);
  check("chunk_length", chunk, 1, 3600);
  c.n_mels = static_cast<int>(n_mels);
  c.n_fft = static_cast<int>(n_fft);
  c.hop_length = static_cast<int>(hop);
  c.sample_rate = static_cast<int>(rate);
  c.n_samples = chunk * rate;
  c.nb_max_frames = c.n_samples / hop;
  c.padding_value = static_cast<float>(json_number_or(j, "padding_value", 0.0, source));
  c.validate(source);
  return c;
}

void MelConfig::validate(const std::string& source) const {
  if (sample_rate != kSampleRate)
    bad_model(source + ": sampling_rate " + std::to_string(sample_rate) + " Hz is not supported (Parley decodes to " +
              std::to_string(kSampleRate) + " Hz)");
  if (n_mels < 1 || n_mels > 1024) bad_model(source + ": feature_size " + std::to_string(n_mels) + " is out of range");
  // The reference centres frames with (n_fft - 1) // 2 + 1 samples each side, which is n_fft / 2
  // (a frame of exactly n_fft samples) only for even sizes.
  if (n_fft < 2 || n_fft > 65536 || n_fft % 2 != 0)
    bad_model(source + ": n_fft " + std::to_string(n_fft) + " must be even and at most 65536");
  if (hop_length < 1) bad_model(source + ": hop_length must be positive");
  if (n_samples < n_fft || n_samples / hop_length != nb_max_frames)
    bad_model(source + ": inconsistent window (" + std::to_string(n_samples) + " samples, " +
              std::to_string(nb_max_frames) + " frames)");
  if (!std::isfinite(padding_value)) bad_model(source + ": padding_value must be finite");
}

// -------------------------------------------------------------------------------------- spectrogram

// A real-to-complex FFT plan, made once and executed on each call's own aligned buffers.
struct LogMel::Fft {
  fftw_plan plan = nullptr;
  explicit Fft(int n) {
    std::unique_ptr<double, FftwFree> in(fftw_alloc_real(n));
    std::unique_ptr<fftw_complex, FftwFree> out(fftw_alloc_complex(n / 2 + 1));
    if (!in || !out) fail(ErrorKind::Internal, "out of memory (FFT buffers)");
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    plan = fftw_plan_dft_r2c_1d(n, in.get(), out.get(), FFTW_ESTIMATE);
    if (!plan) fail(ErrorKind::Internal, "cannot plan a " + std::to_string(n) + "-point FFT");
  }
  ~Fft() {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fftw_destroy_plan(plan);
  }
};

LogMel::LogMel(MelConfig config) : config_(config) {
  config_.validate("mel configuration");
  const int n_fft = config_.n_fft, n_bins = n_fft / 2 + 1;
  filters_ = mel_filter_bank(config_.sample_rate, n_fft, config_.n_mels);
  band_begin_.assign(config_.n_mels, 0);
  band_end_.assign(config_.n_mels, 0);
  for (int m = 0; m < config_.n_mels; ++m) {
    const float* row = filters_.data() + static_cast<size_t>(m) * n_bins;
    int b = 0, e = n_bins;
    while (b < n_bins && row[b] == 0.0f) ++b;
    while (e > b && row[e - 1] == 0.0f) --e;
    band_begin_[m] = b;
    band_end_[m] = e;
  }
  // Periodic Hann window, as numpy.hanning(n_fft + 1)[:-1].
  window_.resize(n_fft);
  for (int i = 0; i < n_fft; ++i) window_[i] = 0.5 - 0.5 * std::cos(2.0 * M_PI * i / n_fft);
  fft_ = std::make_shared<const Fft>(n_fft);
}

LogMel::~LogMel() = default;
LogMel::LogMel(const LogMel&) = default;
LogMel& LogMel::operator=(const LogMel&) = default;

Tensor LogMel::log10_mel(std::span<const float> x, float& max_value) const {
  const int n_fft = config_.n_fft, n_bins = n_fft / 2 + 1, n_mels = config_.n_mels, half = n_fft / 2;
  const int64_t n = static_cast<int64_t>(x.size());
  const int64_t frames = n / config_.hop_length;  // n / hop + 1 centred frames, the last one dropped
  Tensor out({n_mels, frames});
  max_value = -INFINITY;
  if (frames == 0) return out;

  std::unique_ptr<double, FftwFree> in(fftw_alloc_real(n_fft));
  std::unique_ptr<fftw_complex, FftwFree> spec(fftw_alloc_complex(n_bins));
  if (!in || !spec) fail(ErrorKind::Internal, "out of memory (FFT buffers)");
  std::vector<float> power(n_bins);
  double* frame = in.get();
  for (int64_t t = 0; t < frames; ++t) {
    const int64_t start = t * config_.hop_length - half;
    if (start >= 0 && start + n_fft <= n) {
      for (int i = 0; i < n_fft; ++i) frame[i] = static_cast<double>(x[start + i]) * window_[i];
    } else {
      for (int i = 0; i < n_fft; ++i) frame[i] = static_cast<double>(x[reflect_index(start + i, n)]) * window_[i];
    }
    fftw_execute_dft_r2c(fft_->plan, frame, spec.get());
    for (int k = 0; k < n_bins; ++k) {
      // The reference keeps the spectrum as complex64 and squares its float32 magnitude; re² + im² in
      // float32 is the same within an ulp and avoids hypot's cost.
      const float re = static_cast<float>(spec.get()[k][0]), im = static_cast<float>(spec.get()[k][1]);
      power[k] = re * re + im * im;
    }
    for (int m = 0; m < n_mels; ++m) {
      const float* w = filters_.data() + static_cast<size_t>(m) * n_bins;
      double acc = 0;
      for (int k = band_begin_[m]; k < band_end_[m]; ++k) acc += static_cast<double>(w[k]) * power[k];
      const float v = std::log10(std::max(static_cast<float>(acc), 1e-10f));
      out[m * frames + t] = v;
      max_value = std::max(max_value, v);
    }
  }
  return out;
}

namespace {

void check_finite(std::span<const float> x) {
  for (float v : x)
    if (!std::isfinite(v)) bad_input("audio samples contain NaN or infinity");
}

// Dynamic-range floor at (max - 8), then the reference's (x + 4) / 4 scaling, in float32.
void normalise(Tensor& t, float max_value) {
  const float floor = max_value - 8.0f;
  float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = (std::max(p[i], floor) + 4.0f) / 4.0f;
}

}  // namespace

Tensor LogMel::whisper_features(std::span<const float> samples) const {
  check_finite(samples);
  std::vector<float> window(static_cast<size_t>(config_.n_samples), config_.padding_value);
  std::copy_n(samples.begin(), std::min<size_t>(samples.size(), window.size()), window.begin());
  float max_value = 0;
  Tensor t = log10_mel(window, max_value);
  normalise(t, max_value);
  return t;
}

Tensor LogMel::log_mel(std::span<const float> samples) const {
  check_finite(samples);
  float max_value = 0;
  Tensor t = log10_mel(samples, max_value);
  if (t.numel() > 0) normalise(t, max_value);
  return t;
}

}  // namespace parley::audio
