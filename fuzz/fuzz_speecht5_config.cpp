// SpeechT5 and HiFi-GAN config.json: one JSON text read as both configs. Whatever is accepted must
// have positive dimensions (the models size their buffers from them).
#include <nlohmann/json.hpp>

#include "common.h"
#include "speecht5/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  nlohmann::json j = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, false);
  if (j.is_discarded()) return 0;
  fuzz::refuse_cleanly([&] {
    auto c = speecht5::TtsConfig::from_json(j, "fuzz/config.json");
    FUZZ_CHECK(c.vocab_size > 0 && c.hidden_size > 0 && c.num_mel_bins > 0 && c.reduction_factor > 0);
    FUZZ_CHECK(c.encoder_attention_heads > 0 && c.hidden_size % c.encoder_attention_heads == 0);
    FUZZ_CHECK(c.decoder_attention_heads > 0 && c.hidden_size % c.decoder_attention_heads == 0);
    FUZZ_CHECK(c.max_text_positions > 0 && c.max_speech_positions > 0);
  });
  fuzz::refuse_cleanly([&] {
    const auto c = speecht5::HifiGanConfig::from_json(j, "fuzz/config.json").generator;
    FUZZ_CHECK(c.in_channels > 0 && c.sampling_rate > 0 && c.hop_length() > 0);
    FUZZ_CHECK(c.upsample_rates.size() == c.upsample_kernel_sizes.size());
    FUZZ_CHECK(c.resblock_kernel_sizes.size() == c.resblock_dilation_sizes.size());
  });
  return 0;
}
