// The one table of the languages Parley knows, and lookups that accept any way of naming one.
//
// A row is one language in one script, as the models see it: every FLORES-200 code of NLLB-200, every
// M2M100 code, every Whisper language, with their ISO 639 codes, the MMS-TTS checkpoint that speaks it
// and its ISO 15924 script (the rows themselves: language_table.cpp; how to add one: docs/languages.md).
//
// Forms a lookup accepts, case-insensitive, around spaces: ISO 639-1 ("fr"), ISO 639-3 ("fra"), Whisper's
// code ("jw", also as the token "<|jw|>"), FLORES-200 ("fra_Latn", or its language part "arb"), M2M100's
// token "__fr__", the MMS-TTS suffix ("urd-script_arabic"), the English name ("French") and the other
// names and codes a row lists ("Castilian", ISO 639-2/B "fre"). A code with a script or region subtag
// picks a script variant ("zh-Hant", "zh_TW", "uz-Cyrl"); other regions are dropped ("pt-BR" -> pt).
// Rules for forms that several rows share (only script variants of one language do, see the test):
// the first row wins, and a language's variants follow its primary script ("zh" and "zho" -> Chinese in
// Simplified script; "zho_Hant" or "zh-Hant" -> Traditional).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::text {

struct Language {
  std::string_view name;     // English name, unique ("French", "Chinese (Traditional)")
  std::string_view iso1;     // ISO 639-1 ("fr"); empty when there is none
  std::string_view iso3;     // ISO 639-3 ("fra"); the macrolanguage when iso1 names one ("ar" -> "ara")
  std::string_view whisper;  // Whisper's language code ("fr", "jw", "haw"); empty when Whisper lacks it
  std::string_view flores;   // FLORES-200 code as NLLB-200's tokenizer spells it ("arb_Arab"); empty: none
  std::string_view m2m100;   // M2M100's code, token "__fr__" ("fr", "ns"); empty when M2M100 lacks it
  std::string_view mms_tts;  // the checkpoint facebook/mms-tts-<this> ("fra", "urd-script_arabic"); empty: none
  std::string_view script;   // ISO 15924 script of the text this row stands for ("Latn", "Hans", "Deva")
  std::string_view aliases;  // other names and codes that find this row, '|'-separated ("Iranian Persian|Farsi|per")
};

// Every row, in table order (by English name, a language's script variants after its primary row).
std::span<const Language> all_languages();

// The row that `code` names in any of the forms above; nullptr when none does.
const Language* find_language(std::string_view code);

// find_language(), or Error(InvalidArgument) with one line: "unknown language 'xx' (did you mean
// xh (Xhosa)?)" naming up to 3 close rows (edit distance over codes and names).
const Language& resolve_language(std::string_view code);

// Up to `n` rows whose codes or names are closest to `code` (what resolve_language suggests).
std::vector<const Language*> closest_languages(std::string_view code, size_t n = 3);

// Levenshtein distance over bytes (the language suggestions here, the CLI's "did you mean").
size_t edit_distance(std::string_view a, std::string_view b);

// The shortest code that finds this row: ISO 639-1, else ISO 639-3, FLORES ("zho_Hant"), MMS-TTS.
std::string_view short_code(const Language& language);

// The row's `aliases`, one by one.
std::vector<std::string_view> alias_list(const Language& language);

// "fr (French)": how messages name a row.
std::string describe(const Language& language);

// The row of the same language (same ISO 639-3) written in `script` ("Hant"); nullptr when none.
const Language* script_variant(const Language& language, std::string_view script);

// M2M100's 100 codes in the order of its language tokens (the first "__af__" follows the vocabulary):
// transformers lists them sorted, so this is the table's m2m100 column sorted.
std::vector<std::string_view> m2m100_codes();

// "facebook/mms-tts-fra"; empty when MMS-TTS has no checkpoint for the row.
std::string mms_tts_model(const Language& language);

}  // namespace parley::text
