// Whisper's languages by code and name ("es" <-> "spanish"), for users who type a name and for results
// that show one. Which languages a checkpoint has comes from its files (WhisperConfig); the codes and
// names come from the product's language table (text/languages.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::whisper {

// Whisper's English name of one of its language codes, as Whisper spells it ("es" -> "spanish",
// "my" -> "myanmar"); nullopt for a code Whisper does not use.
std::optional<std::string> language_name(std::string_view code);

// Whisper's code for a language given in any form the language table accepts ("Spanish", "castilian",
// "spa", "spa_Latn", "es-MX" -> "es"); nullopt when the table does not know it or Whisper lacks it.
std::optional<std::string> language_code_of_name(std::string_view name);

}  // namespace parley::whisper
