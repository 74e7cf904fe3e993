// Romanization for MMS-TTS (text/romanize.h) on arbitrary bytes: text that is not UTF-8 and letters
// of scripts it does not cover end in a one-line parley::Error; anything it returns is valid UTF-8
// and never longer than a bounded multiple of the input (no run-away expansion), and script_of()
// answers for the same bytes.
#include "common.h"
#include "text/romanize.h"
#include "text/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::refuse_cleanly([&] {
    const std::string latin = text::romanize(text);
    FUZZ_CHECK(utf8::is_valid(latin));
    FUZZ_CHECK(latin.size() <= 8 * text.size() + 8);  // the longest letter ("shch") per byte, with room
  });
  fuzz::refuse_cleanly([&] {
    const std::string script = text::script_of(text);
    FUZZ_CHECK(!script.empty());
  });
  return 0;
}
