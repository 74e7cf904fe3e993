// Whisper's languages by code and English name ("es" <-> "spanish"), for users who type a name and
// for results that show one. Which languages a checkpoint has comes from its files (WhisperConfig);
// this table only names them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::whisper {

// The English name of a language code ("es" -> "spanish"); nullopt for a code Whisper does not use.
std::optional<std::string> language_name(std::string_view code);

// The code of a language name, case-insensitive ("Spanish" -> "es"), including the common
// alternative names ("castilian", "mandarin", "burmese", ...); nullopt when unknown.
std::optional<std::string> language_code_of_name(std::string_view name);

}  // namespace parley::whisper
