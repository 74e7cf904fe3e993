// Whisper's byte-level BPE tokenizer (loaded once from the fixture model): the input is both text to
// encode and, read three bytes at a time, token ids to decode (some outside the vocabulary). Text
// without special-token markup must come back unchanged from decode(encode(text)); decoding any ids
// gives valid UTF-8 or an Error.
#include "common.h"
#include "text/utf8.h"
#include "text/whisper_tokenizer.h"

namespace {
const parley::WhisperTokenizer& tokenizer() {
  static const parley::WhisperTokenizer t =
      parley::WhisperTokenizer::load(parley::ModelDir(parley::fuzz::data_path("models/whisper-tiny-random")));
  return t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  const WhisperTokenizer& tok = tokenizer();
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::refuse_cleanly([&] {
    std::vector<int> ids = tok.encode(text);
    FUZZ_CHECK(utf8::is_valid(text));  // encode refuses the rest
    for (int id : ids) FUZZ_CHECK(id >= 0 && id < tok.vocab_size());
    if (text.find("<|") == std::string_view::npos) FUZZ_CHECK(tok.decode(ids, false) == text);
  });
  // Ids from -2 to past the timestamps.
  std::vector<int> ids;
  const int range = tok.vocab_size() + 1600;
  for (size_t i = 0; i + 3 <= size; i += 3) ids.push_back(static_cast<int>((data[i] | data[i + 1] << 8 | data[i + 2] << 16) % range) - 2);
  fuzz::refuse_cleanly([&] { FUZZ_CHECK(utf8::is_valid(tok.decode(ids, true))); });
  fuzz::refuse_cleanly([&] { FUZZ_CHECK(utf8::is_valid(tok.decode(ids, false))); });
  fuzz::refuse_cleanly([&] { FUZZ_CHECK(utf8::is_valid(tok.decode_with_timestamps(ids))); });
  for (size_t i = 0; i < ids.size() && i < 4; ++i) fuzz::refuse_cleanly([&] { tok.id_to_token(ids[i]); });
  return 0;
}
