// Romanization as uroman does it, for MMS-TTS checkpoints trained on romanized text (`is_uroman`).
//
// MMS-TTS models for languages written in other scripts (Russian, Hindi, Arabic, Chinese, Korean…)
// were trained on the output of uroman (github.com/isi-nlp/uroman), so text must reach them in the
// same Latin letters. romanize() reproduces uroman's letter choices with tables of our own per script
// and ICU (pinyin for Han, Latin-ASCII for accented Latin); docs/romanization.md says how closely it
// agrees with uroman for each script, measured on tests/data/romanization/.
//
// Like uroman, case is kept (the VITS tokenizer lower-cases) and ASCII passes through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace parley::text {

// `utf8` in Latin letters. Throws parley::Error (BadInput) for text that is not valid UTF-8 and for a
// letter of a script romanization does not cover: "romanization does not cover the Malayalam script
// (U+0D07 'ഇ')".
std::string romanize(std::string_view utf8);

// The Unicode name of the script of the first letter of `utf8` that is not Latin/Common ("Cyrillic",
// "Han"), or "Latin" when there is none. For messages and for choosing whether a text needs
// romanization.
std::string script_of(std::string_view utf8);

// Whether romanize() covers the script named by script_of() (an ICU/Unicode script name).
bool romanization_covers(std::string_view script);

}  // namespace parley::text
