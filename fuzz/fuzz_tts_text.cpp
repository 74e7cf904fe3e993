// Text for speech synthesis, as the server and CLI pass it on: SpeechT5's SentencePiece tokenizer
// (loaded once from the fixture model) and the sentence planner that cuts long text into pieces that
// fit the model. The first byte picks the token budget and the split mode. Every planned piece must fit,
// and the pieces hold only the text's own non-space characters, in order (pieces with nothing to say,
// such as a lone "...", are dropped).
#include "common.h"
#include "speecht5/synthesizer.h"
#include "text/sentences.h"
#include "text/speecht5_tokenizer.h"
#include "text/utf8.h"

namespace {
const parley::SpeechT5Tokenizer& tokenizer() {
  static const parley::SpeechT5Tokenizer t =
      parley::SpeechT5Tokenizer::load(parley::fuzz::data_path("models/speecht5-tiny-random"));
  return t;
}

// The text's code points that are not spaces, as UTF-8.
std::string without_spaces(std::string_view s) {
  std::string out;
  for (size_t pos = 0; pos < s.size();) {
    size_t start = pos;
    char32_t c = parley::utf8::next_code_point(s, pos);
    if (!parley::sentences::is_space(c)) out.append(s.substr(start, pos - start));
  }
  return out;
}
bool is_subsequence(const std::string& part, const std::string& whole) {
  size_t at = 0;
  for (char c : part) {
    at = whole.find(c, at);
    if (at == std::string::npos) return false;
    ++at;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  if (size < 1) return 0;
  const SpeechT5Tokenizer& tok = tokenizer();
  const int64_t max_tokens = 1 + data[0] % 64;
  const auto mode = data[0] & 0x80 ? speecht5::SplitMode::Sentences : speecht5::SplitMode::WhenTooLong;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  fuzz::refuse_cleanly([&] {
    std::vector<int> ids = tok.encode(text);
    for (int id : ids) FUZZ_CHECK(id >= 0 && id < tok.vocab_size());
    tok.has_speakable(ids);
  });
  fuzz::refuse_cleanly([&] { sentences::split(text); });
  fuzz::refuse_cleanly([&] {
    std::vector<std::string> pieces = speecht5::plan_pieces(tok, text, max_tokens, mode);
    FUZZ_CHECK(!pieces.empty());
    std::string joined;
    for (const std::string& p : pieces) {
      FUZZ_CHECK(!p.empty());
      FUZZ_CHECK(static_cast<int64_t>(tok.encode(p).size()) <= max_tokens);
      joined += p;
    }
    FUZZ_CHECK(is_subsequence(without_spaces(joined), without_spaces(text)));
  });
  return 0;
}
