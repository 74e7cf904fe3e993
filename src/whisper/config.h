// A Whisper checkpoint's configuration: architecture from config.json, token ids and generation
// defaults from generation_config.json, the feature layout from preprocessor_config.json.
//
// Nothing here is hard-coded: the special ids move between vocabularies (51865 tokens up to
// large-v2, 51866 from large-v3 with <|yue|>), and the published generation_config.json files
// differ from each other. Where a file lacks a key, the fallbacks are (in this order):
//   generation_config.json  ->  config.json  ->  the tokenizer's added tokens
//                                                 (added_tokens.json or tokenizer.json).
// From the added tokens: language tokens are the `<|...|>` tokens strictly between
// <|startoftranscript|> and <|translate|> (their order in every Whisper vocabulary), the task ids
// are <|translate|> / <|transcribe|>, and <|notimestamps|> gives no_timestamps_token_id.
// max_initial_timestamp_index defaults to 50 (openai/whisper's 1.0 s) when absent.
// A checkpoint without any language token is English-only (*.en): no language or task tokens.
//
// Every failure is one Error(BadModel) line naming the file and the key.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace parley::whisper {

struct WhisperConfig {
  // ---- architecture (config.json)
  int d_model = 0;
  int encoder_layers = 0;
  int decoder_layers = 0;
  int encoder_heads = 0;
  int decoder_heads = 0;
  int encoder_ffn_dim = 0;
  int decoder_ffn_dim = 0;
  int num_mel_bins = 0;
  int vocab_size = 0;
  int max_source_positions = 0;  // encoder positions (1500): the encoder needs 2x this many frames
  int max_target_positions = 0;  // decoder positions (448)
  // Read for completeness: transformers 4.27.1 computes embed_scale but never applies it, and every
  // published checkpoint has false, so the model ignores it as the reference does.
  bool scale_embedding = false;

  // ---- features (preprocessor_config.json; consistency with the architecture is checked)
  int feature_frames = 0;  // nb_max_frames: 2 * max_source_positions

  // ---- special token ids
  int decoder_start_token_id = 0;  // <|startoftranscript|>
  int eos_token_id = 0;            // <|endoftext|>
  int pad_token_id = 0;
  int no_timestamps_token_id = -1;  // <|notimestamps|>; the first timestamp token follows it (-1: none)
  std::map<std::string, int> lang_to_id;  // "en" -> id (codes without the <| |>)
  std::map<std::string, int> task_to_id;  // "transcribe" / "translate" -> id
  std::optional<int> prev_token_id;       // <|startofprev|> when the tokenizer has it (long-form prompts)
  std::optional<int> no_speech_token_id;  // <|nocaptions|> (or <|nospeech|>) when present

  // ---- generation defaults (generation_config.json)
  std::vector<int> suppress_tokens;
  std::vector<int> begin_suppress_tokens;
  // (position, token); token -1 = null (the reference leaves that position unforced).
  std::vector<std::pair<int, int>> forced_decoder_ids;
  std::optional<int> max_initial_timestamp_index;
  // (decoder layer, head) pairs whose cross-attention follows the speech, for word timestamps;
  // generation_config.json's alignment_heads, else every head of the last half of the layers (openai).
  std::vector<std::pair<int, int>> alignment_heads;
  int max_length = 0;            // default total sequence length (prompt included)
  float length_penalty = 1.0f;   // beam search
  bool early_stopping = false;   // beam search (only the boolean forms)

  // Reads and validates the three JSON files of a model folder (+ added tokens when needed).
  static WhisperConfig load(const std::filesystem::path& folder);
  // The same from already-parsed files (for fuzzing and tests): config.json, preprocessor_config.json
  // and generation_config.json (nullptr when absent), the tokenizer's added tokens (text -> id), and
  // the folder that messages name.
  static WhisperConfig from_json(const nlohmann::json& config, const nlohmann::json* preprocessor,
                                 const nlohmann::json* generation, const std::map<std::string, int>& added_tokens,
                                 const std::filesystem::path& folder);

  bool multilingual() const { return !lang_to_id.empty(); }
  bool has_timestamps() const { return no_timestamps_token_id >= 0; }
  int timestamp_begin() const { return no_timestamps_token_id + 1; }
  // Language token ids in id order, and the code of each (same order).
  std::vector<int> language_token_ids() const;
  std::vector<std::string> language_codes_by_id() const;
  // The id of a language given as "it", "<|it|>" or "italian"; throws Error(InvalidArgument)
  // listing the codes.
  int language_id(const std::string& language) const;
  // "transcribe" / "translate"; throws Error(InvalidArgument) for others or for English-only models.
  int task_id(const std::string& task) const;
  // Code of a language token id ("" when it is none).
  std::string language_code(int token_id) const;
};

}  // namespace parley::whisper
