// A Whisper checkpoint's JSON files: config.json, generation_config.json, preprocessor_config.json
// and added_tokens.json, as four texts separated by NUL bytes (JSON text never holds a raw NUL).
// Text that is not JSON is the JSON library's business; every parsed document goes to
// WhisperConfig::from_json, which must refuse absurd values with an Error and return only ids inside
// the vocabulary.
#include <nlohmann/json.hpp>

#include "common.h"
#include "whisper/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  using nlohmann::json;
  auto pieces = fuzz::split(fuzz::as_text(data, size), '\0', 4);
  pieces.resize(4);
  json docs[4];
  bool present[4];
  for (int i = 0; i < 4; ++i) {
    present[i] = !pieces[i].empty();
    if (!present[i]) continue;
    docs[i] = json::parse(pieces[i], nullptr, false);
    if (docs[i].is_discarded()) return 0;
  }
  if (!present[0]) return 0;
  // added_tokens.json as WhisperConfig::load reads it: an object of integer ids.
  std::map<std::string, int> added;
  if (present[3]) {
    if (!docs[3].is_object()) return 0;
    for (auto& [tok, id] : docs[3].items()) {
      if (!id.is_number_integer()) return 0;
      added[tok] = id.get<int>();
    }
  }
  fuzz::refuse_cleanly([&] {
    auto c = whisper::WhisperConfig::from_json(docs[0], present[2] ? &docs[2] : nullptr, present[1] ? &docs[1] : nullptr,
                                               added, "fuzz");
    const int v = c.vocab_size;
    FUZZ_CHECK(c.d_model > 0 && c.encoder_layers > 0 && c.decoder_layers > 0 && v > 0);
    FUZZ_CHECK(c.d_model % c.encoder_heads == 0 && c.d_model % c.decoder_heads == 0);
    auto in_vocab = [v](int id) { return id >= 0 && id < v; };
    FUZZ_CHECK(in_vocab(c.decoder_start_token_id) && in_vocab(c.eos_token_id) && in_vocab(c.pad_token_id));
    if (c.has_timestamps()) FUZZ_CHECK(in_vocab(c.timestamp_begin()));
    for (int id : c.language_token_ids()) FUZZ_CHECK(in_vocab(id));
    for (const auto& [task, id] : c.task_to_id) FUZZ_CHECK(in_vocab(id));
    for (int id : c.suppress_tokens) FUZZ_CHECK(in_vocab(id));
    for (int id : c.begin_suppress_tokens) FUZZ_CHECK(in_vocab(id));
    for (const auto& [pos, id] : c.forced_decoder_ids) FUZZ_CHECK(pos >= 1 && pos < c.max_target_positions && (id == -1 || in_vocab(id)));
    fuzz::refuse_cleanly([&] { c.language_id("en"); });
    fuzz::refuse_cleanly([&] { c.task_id("translate"); });
  });
  return 0;
}
