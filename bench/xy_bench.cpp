// parley_bench's X->Y parts (issue 16 item 7, issue 17 item 6), each in a process of its own
// (--only mt, --only vits) so that its peak memory is its own. tools/bench_reference.py --part mt /
// vits does the same work with transformers:
//
//   mt    nllb-600m/ (facebook/nllb-200-distilled-600M's shape) and opus-mt/ (an opus-mt pair's):
//         load, the encoder on a 25-token sentence, decoder steps at beam 1 (one row) and beam 4 (four
//         rows, reordered every step as a beam search does), kMtSteps steps timed one by one whatever
//         the random weights predict; the step is compared with reading the decoder's weights once
//         at this machine's measured memory bandwidth. Then kMtBatch sentences of different lengths
//         translated (Translator::generate_batch, up to kMtSteps new tokens, greedy and beam 4) one
//         by one and as one batch: sentences per second, each sentence the same tokens both ways.
//   vits  mms-tts/ (facebook/mms-tts-*'s shape): noise scales 0 so that both sides make the same
//         number of frames; real-time factor of a paragraph in one piece, and time to the first audio
//         of that paragraph when it is spoken sentence by sentence as `--stream` does (the reference
//         has no streaming: its first audio is the whole paragraph's).
#include <atomic>

#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "mt/config.h"
#include "mt/model.h"
#include "mt/translator.h"
#include "tensor/parallel.h"
#include "text/sentences.h"
#include "vits/model.h"
#include "vits/noise.h"

namespace parley::bench {

namespace fs = std::filesystem;

namespace {

constexpr int kMtSentenceTokens = 25;
constexpr int kMtSteps = 32;
constexpr int kMtBatch = 8;
const char* kParagraph =
    "The quick brown fox jumps over the lazy dog. Then it runs far away into the woods, where nobody "
    "can see it any more. The dog does not care at all, and goes back to sleep in the warm sun.";

int argmax_row(const float* x, int n) { return static_cast<int>(std::max_element(x, x + n) - x); }

// GB/s of a plain parallel read of 512 MB: what one pass over weights that do not fit in the caches
// can cost at best. The words are XOR-ed, which the compiler vectorises (a float sum it may not
// reorder, and would measure the adder instead of the memory).
double read_bandwidth() {
  const int64_t n = int64_t{1} << 26;  // 64-bit words
  std::vector<uint64_t> buf(static_cast<size_t>(n), 1);
  std::atomic<uint64_t> sink{0};
  auto pass = [&] {
    parallel::for_range(n, int64_t{1} << 18, [&](int64_t begin, int64_t end) {
      uint64_t x = 0;
      for (int64_t i = begin; i < end; ++i) x ^= buf[static_cast<size_t>(i)];
      sink.fetch_xor(x);  // keeps the reads alive
    });
  };
  const double s = timed(3, pass);
  return static_cast<double>(n) * sizeof(uint64_t) / s / 1e9;
}

// Decoder steps of `beams` rows: the time of each, after a first step from the start token.
std::vector<double> decoder_steps(mt::DecoderSession& s, int beams, int start, int vocab) {
  s.reset(beams);
  std::vector<int> tokens(static_cast<size_t>(beams), start);
  const Tensor* logits = &s.decode(tokens, 1);
  std::vector<int> rotate(static_cast<size_t>(beams));
  for (int b = 0; b < beams; ++b) rotate[static_cast<size_t>(b)] = (b + 1) % beams;
  std::vector<double> times;
  for (int i = 0; i < kMtSteps; ++i) {
    for (int b = 0; b < beams; ++b) tokens[static_cast<size_t>(b)] = argmax_row(logits->data() + int64_t{b} * vocab, vocab);
    const double t0 = now();
    if (beams > 1) s.reorder(rotate);
    logits = &s.decode(tokens, 1);
    times.push_back(now() - t0);
  }
  return times;
}

// Sentences per second of kMtBatch sentences (10 to 31 ordinary tokens and </s>) at `beams`, one by
// one and in one batch; fails if a sentence's tokens differ between the two.
nlohmann::json time_mt_batch(const Args& a, const mt::Translator& t, int beams) {
  const mt::MtConfig& c = t.model().config();
  std::vector<std::vector<int>> sentences(kMtBatch);
  for (int s = 0; s < kMtBatch; ++s) {
    for (int i = 0; i < 10 + (s * 7) % 22; ++i)
      sentences[s].push_back(4 + (100 + 37 * i + 11 * s) % static_cast<int>(c.vocab_size - 8));
    sentences[s].push_back(t.defaults().eos_token_id);
  }
  mt::GenerateOptions o;
  o.num_beams = beams;
  o.max_new_tokens = kMtSteps;
  std::vector<std::vector<int>> alone(kMtBatch), batched;
  const double one_by_one = timed(a.repeats, [&] {
    for (int s = 0; s < kMtBatch; ++s) alone[s] = t.generate(sentences[s], o);
  });
  const double batch = timed(a.repeats, [&] { batched = t.generate_batch(sentences, o); });
  nlohmann::json r;
  // f32 and bf16 give each sentence the same tokens both ways; int8 may not: a sentence alone runs
  // the few-row kernels (activations rounded to int8 per row), a batch the many-row ones.
  r["same_tokens"] = batched == alone;
  r["sentences"] = kMtBatch;
  r["one_by_one_sentences_per_s"] = kMtBatch / one_by_one;
  r["batched_sentences_per_s"] = kMtBatch / batch;
  r["speedup"] = one_by_one / batch;
  return r;
}

nlohmann::json time_mt_model(const Args& a, const fs::path& folder) {
  nlohmann::json r;
  const double t0 = now();
  const mt::Translator translator = mt::Translator::load(folder);
  const auto& model = translator.shared_model();
  r["load_s"] = now() - t0;
  const mt::MtConfig& c = model->config();
  const mt::GenerationDefaults g = mt::load_generation_defaults(folder);
  std::vector<int> ids;  // ordinary tokens (past the specials), whatever the vocabulary's size
  for (int i = 0; i + 1 < kMtSentenceTokens; ++i) ids.push_back(4 + (100 + 37 * i) % static_cast<int>(c.vocab_size - 8));
  ids.push_back(g.eos_token_id);
  Tensor states;
  r["encoder_s"] = timed(a.repeats, [&] { states = model->encode(ids); });
  mt::DecoderSession s(model, 4, kMtSteps + 2);
  s.set_encoder_states(states);
  const int vocab = static_cast<int>(c.vocab_size);
  decoder_steps(s, 1, g.decoder_start_token_id, vocab);  // warm-up
  r["decoder_token_s"] = median(decoder_steps(s, 1, g.decoder_start_token_id, vocab));
  r["decoder_beam4_step_s"] = median(decoder_steps(s, 4, g.decoder_start_token_id, vocab));
  // What one step must read: every decoder layer's weights and the output layer (the embedding
  // table's one row per token is negligible), at the precision the layers hold.
  const double bytes_per_weight = a.precision == Precision::F32 ? 4 : a.precision == Precision::BF16 ? 2 : 1;
  const double d = static_cast<double>(c.d_model), f = static_cast<double>(c.decoder_ffn_dim);
  // Self-attention q, k, v, o; cross-attention q and o (its k and v are made once per input, not per
  // step); fc1, fc2.
  const double layer = 4 * d * d + 2 * d * d + 2 * d * f;
  r["decoder_weight_bytes"] = (layer * static_cast<double>(c.decoder_layers) + d * static_cast<double>(vocab)) * bytes_per_weight;
  r["weight_bytes"] = folder_weight_bytes(folder);
  r["batch_greedy"] = time_mt_batch(a, translator, 1);
  r["batch_beam4"] = time_mt_batch(a, translator, 4);
  return r;
}

}  // namespace

nlohmann::json run_mt(const Args& a) {
  nlohmann::json r;
  r["bandwidth_gb_s"] = read_bandwidth();
  for (const char* name : {"nllb-600m", "opus-mt"})
    if (fs::exists(a.models / name)) r[name] = time_mt_model(a, a.models / name);
  r["peak_rss_bytes"] = peak_rss_bytes();
  return r;
}

nlohmann::json run_vits(const Args& a) {
  nlohmann::json r;
  const fs::path folder = a.models / "mms-tts";
  const double t0 = now();
  const auto model = vits::VitsModel::load(folder);
  r["load_s"] = now() - t0;
  vits::VitsOptions o;
  o.noise_scale = 0;
  o.noise_scale_duration = 0;
  size_t samples = 0;
  const double whole = timed(a.repeats, [&] {
    vits::SeededNoise noise(0);
    samples = model->synthesize(kParagraph, o, noise).audio.size();
  });
  const double seconds = static_cast<double>(samples) / model->sample_rate();
  r["audio_s"] = seconds;
  r["paragraph_s"] = whole;
  r["rtf"] = whole / seconds;
  const std::vector<std::string> sentences = sentences::split(kParagraph);
  r["sentences"] = sentences.size();
  r["ttfa_s"] = timed(a.repeats, [&] {
    vits::SeededNoise noise(0);
    model->synthesize(sentences.front(), o, noise);
  });
  r["weight_bytes"] = folder_weight_bytes(folder);
  r["peak_rss_bytes"] = peak_rss_bytes();
  return r;
}

}  // namespace parley::bench
