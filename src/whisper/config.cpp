#include "whisper/config.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "hf/model_dir.h"
#include "text/languages.h"

namespace parley::whisper {

namespace {

using nlohmann::json;

// "<|en|>" -> "en"; other strings unchanged.
std::string strip_brackets(const std::string& token) {
  if (token.size() > 4 && token.rfind("<|", 0) == 0 && token.compare(token.size() - 2, 2, "|>") == 0)
    return token.substr(2, token.size() - 4);
  return token;
}

bool is_bracketed(const std::string& token) { return strip_brackets(token) != token; }

// The tokenizer's added (special) tokens: added_tokens.json, else tokenizer.json's "added_tokens".
std::map<std::string, int> added_tokens(const ModelDir& dir) {
  std::map<std::string, int> out;
  if (auto j = dir.optional_json("added_tokens.json")) {
    if (!j->is_object()) bad_model((dir.path() / "added_tokens.json").string() + " is not a JSON object");
    for (auto& [tok, id] : j->items()) {
      if (!id.is_number_integer())
        bad_model((dir.path() / "added_tokens.json").string() + ": the id of \"" + tok + "\" is not an integer");
      out[tok] = id.get<int>();
    }
  } else if (auto t = dir.optional_json("tokenizer.json")) {
    const std::string src = (dir.path() / "tokenizer.json").string();
    if (t->contains("added_tokens") && (*t)["added_tokens"].is_array())
      for (const auto& e : (*t)["added_tokens"]) {
        if (!e.is_object() || !e.contains("content") || !e["content"].is_string() || !e.contains("id") ||
            !e["id"].is_number_integer())
          bad_model(src + ": an \"added_tokens\" entry lacks \"content\" or \"id\"");
        out[e["content"].get<std::string>()] = e["id"].get<int>();
      }
  }
  return out;
}

std::optional<int> token(const std::map<std::string, int>& added, const std::string& name) {
  auto it = added.find(name);
  if (it == added.end()) return std::nullopt;
  return it->second;
}

std::vector<int> int_list(const json& j, const std::string& key, const std::string& src) {
  std::vector<int> out;
  for (int64_t v : json_int_list_or(j, key, {}, src)) out.push_back(static_cast<int>(v));
  return out;
}

// eos_token_id may be an integer or a list of them; Whisper uses one.
int eos_id(const json& j, const std::string& src) {
  if (j.contains("eos_token_id") && j["eos_token_id"].is_array()) {
    const auto& a = j["eos_token_id"];
    if (a.empty() || !a[0].is_number_integer()) bad_model(src + ": \"eos_token_id\" must be an integer");
    return a[0].get<int>();
  }
  return static_cast<int>(json_int(j, "eos_token_id", src));
}

// [[layer, head], ...] of the decoder's cross-attention heads that follow the speech (word timestamps).
// Absent: every head of the last half of the decoder layers, openai/whisper's default.
std::vector<std::pair<int, int>> read_alignment_heads(const json& j, int layers, int heads, const std::string& src) {
  std::vector<std::pair<int, int>> out;
  if (!j.contains("alignment_heads") || j["alignment_heads"].is_null()) {
    for (int l = layers / 2; l < layers; ++l)
      for (int h = 0; h < heads; ++h) out.emplace_back(l, h);
    return out;
  }
  const auto& a = j["alignment_heads"];
  const std::string what = src + ": \"alignment_heads\" must be a list of [layer, head] pairs within the decoder";
  if (!a.is_array() || a.empty()) bad_model(what);
  for (const auto& p : a) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer()) bad_model(what);
    const int l = p[0].get<int>(), h = p[1].get<int>();
    if (l < 0 || l >= layers || h < 0 || h >= heads) bad_model(what);
    out.emplace_back(l, h);
  }
  return out;
}

std::vector<std::pair<int, int>> forced_ids(const json& j, const std::string& src) {
  std::vector<std::pair<int, int>> out;
  if (!j.contains("forced_decoder_ids") || j["forced_decoder_ids"].is_null()) return out;
  const auto& a = j["forced_decoder_ids"];
  if (!a.is_array()) bad_model(src + ": \"forced_decoder_ids\" must be a list of [position, token] pairs");
  for (const auto& p : a) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !(p[1].is_number_integer() || p[1].is_null()))
      bad_model(src + ": \"forced_decoder_ids\" must be a list of [position, token] pairs");
    out.emplace_back(p[0].get<int>(), p[1].is_null() ? -1 : p[1].get<int>());
  }
  return out;
}

std::map<std::string, int> id_map(const json& j, const std::string& key, const std::string& src) {
  std::map<std::string, int> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_object()) bad_model(src + ": \"" + key + "\" must be an object of token ids");
  for (auto& [k, v] : j[key].items()) {
    if (!v.is_number_integer()) bad_model(src + ": \"" + key + "\" entry \"" + k + "\" is not an integer");
    out[strip_brackets(k)] = v.get<int>();
  }
  return out;
}

// Sizes: bounded well above every published checkpoint (large-v3: d_model 1280, 32 layers, 51866 tokens).
int positive(const json& j, const std::string& key, const std::string& src) {
  return static_cast<int>(json_int_in(j, key, 1, 1 << 20, src));
}

void read_architecture(WhisperConfig& c, const json& j, const std::string& src) {
  c.d_model = positive(j, "d_model", src);
  c.encoder_layers = positive(j, "encoder_layers", src);
  c.decoder_layers = positive(j, "decoder_layers", src);
  c.encoder_heads = positive(j, "encoder_attention_heads", src);
  c.decoder_heads = positive(j, "decoder_attention_heads", src);
  c.encoder_ffn_dim = positive(j, "encoder_ffn_dim", src);
  c.decoder_ffn_dim = positive(j, "decoder_ffn_dim", src);
  c.num_mel_bins = positive(j, "num_mel_bins", src);
  c.vocab_size = positive(j, "vocab_size", src);
  c.max_source_positions = positive(j, "max_source_positions", src);
  c.max_target_positions = positive(j, "max_target_positions", src);
  c.scale_embedding = json_bool_or(j, "scale_embedding", false, src);
  const std::string act = json_string_or(j, "activation_function", "gelu", src);
  if (act != "gelu") bad_model(src + ": \"activation_function\" is \"" + act + "\"; only \"gelu\" is supported");
  if (c.d_model % c.encoder_heads != 0)
    bad_model(src + ": \"d_model\" " + std::to_string(c.d_model) + " is not a multiple of \"encoder_attention_heads\"");
  if (c.d_model % c.decoder_heads != 0)
    bad_model(src + ": \"d_model\" " + std::to_string(c.d_model) + " is not a multiple of \"decoder_attention_heads\"");
}

// Language and task ids from the tokenizer's added tokens (for generation configs that lack them).
void ids_from_added_tokens(WhisperConfig& c, const std::map<std::string, int>& added) {
  auto translate = token(added, "<|translate|>");
  auto transcribe = token(added, "<|transcribe|>");
  if (c.task_to_id.empty() && translate && transcribe)
    c.task_to_id = {{"translate", *translate}, {"transcribe", *transcribe}};
  if (c.lang_to_id.empty() && translate)
    for (const auto& [tok, id] : added)
      if (id > c.decoder_start_token_id && id < *translate && is_bracketed(tok)) c.lang_to_id[strip_brackets(tok)] = id;
  if (c.no_timestamps_token_id < 0)
    if (auto nt = token(added, "<|notimestamps|>")) c.no_timestamps_token_id = *nt;
}

void check_id(int id, int vocab, const std::string& src, const std::string& key) {
  if (id < 0 || id >= vocab)
    bad_model(src + ": \"" + key + "\" " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab));
}

void validate(const WhisperConfig& c, const std::string& gsrc) {
  const int v = c.vocab_size;
  check_id(c.decoder_start_token_id, v, gsrc, "decoder_start_token_id");
  check_id(c.eos_token_id, v, gsrc, "eos_token_id");
  check_id(c.pad_token_id, v, gsrc, "pad_token_id");
  if (c.no_timestamps_token_id >= 0) check_id(c.no_timestamps_token_id + 1, v, gsrc, "no_timestamps_token_id");
  for (const auto& [code, id] : c.lang_to_id) check_id(id, v, gsrc, "lang_to_id");
  for (const auto& [task, id] : c.task_to_id) {
    if (task != "transcribe" && task != "translate") bad_model(gsrc + ": \"task_to_id\" has an unknown task " + task);
    check_id(id, v, gsrc, "task_to_id");
  }
  for (int id : c.suppress_tokens) check_id(id, v, gsrc, "suppress_tokens");
  for (int id : c.begin_suppress_tokens) check_id(id, v, gsrc, "begin_suppress_tokens");
  for (const auto& [pos, id] : c.forced_decoder_ids) {
    if (pos < 1 || pos >= c.max_target_positions) bad_model(gsrc + ": \"forced_decoder_ids\" has position " + std::to_string(pos));
    if (id != -1) check_id(id, v, gsrc, "forced_decoder_ids");
  }
  if (c.max_initial_timestamp_index && *c.max_initial_timestamp_index < 0)
    bad_model(gsrc + ": \"max_initial_timestamp_index\" must not be negative");
  if (c.max_length < 1) bad_model(gsrc + ": \"max_length\" must be positive");
  if (!(c.length_penalty > -100 && c.length_penalty < 100)) bad_model(gsrc + ": \"length_penalty\" is out of range");
}

}  // namespace

WhisperConfig WhisperConfig::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  const json cj = dir.json("config.json");
  const auto pj = dir.optional_json("preprocessor_config.json");
  const auto gj = dir.optional_json("generation_config.json");
  return from_json(cj, pj ? &*pj : nullptr, gj ? &*gj : nullptr, added_tokens(dir), dir.path());
}

WhisperConfig WhisperConfig::from_json(const json& cj, const json* pj, const json* gopt,
                                       const std::map<std::string, int>& added, const std::filesystem::path& folder) {
  WhisperConfig c;
  const std::string csrc = (folder / "config.json").string();
  if (!cj.is_object()) bad_model(csrc + " is not a JSON object");
  const std::string mt = json_string_or(cj, "model_type", "whisper", csrc);
  if (mt != "whisper") bad_model(csrc + ": \"model_type\" is \"" + mt + "\", not \"whisper\"");
  read_architecture(c, cj, csrc);

  // Feature layout: the encoder adds max_source_positions position rows after a stride-2 conv.
  c.feature_frames = 2 * c.max_source_positions;
  if (pj) {
    const std::string psrc = (folder / "preprocessor_config.json").string();
    int mels = static_cast<int>(json_int_or(*pj, "feature_size", c.num_mel_bins, psrc));
    if (mels != c.num_mel_bins)
      bad_model(psrc + ": \"feature_size\" " + std::to_string(mels) + " differs from config.json's num_mel_bins " +
                std::to_string(c.num_mel_bins));
    int frames = static_cast<int>(json_int_or(*pj, "nb_max_frames", c.feature_frames, psrc));
    if (frames != c.feature_frames)
      bad_model(psrc + ": \"nb_max_frames\" " + std::to_string(frames) + " does not match 2 x max_source_positions (" +
                std::to_string(c.feature_frames) + ")");
  }

  // Generation settings: generation_config.json when present (as the reference loads it), else config.json.
  const json& gj = gopt ? *gopt : cj;
  const std::string gsrc = gopt ? (folder / "generation_config.json").string() : csrc;
  if (!gj.is_object()) bad_model(gsrc + " is not a JSON object");
  c.decoder_start_token_id = static_cast<int>(json_int(gj, "decoder_start_token_id", gsrc));
  c.eos_token_id = eos_id(gj, gsrc);
  c.pad_token_id = static_cast<int>(json_int_or(gj, "pad_token_id", c.eos_token_id, gsrc));
  c.no_timestamps_token_id = static_cast<int>(json_int_or(gj, "no_timestamps_token_id", -1, gsrc));
  c.lang_to_id = id_map(gj, "lang_to_id", gsrc);
  c.task_to_id = id_map(gj, "task_to_id", gsrc);
  c.suppress_tokens = int_list(gj, "suppress_tokens", gsrc);
  c.begin_suppress_tokens = int_list(gj, "begin_suppress_tokens", gsrc);
  c.forced_decoder_ids = forced_ids(gj, gsrc);
  c.alignment_heads = read_alignment_heads(gj, c.decoder_layers, c.decoder_heads, gsrc);
  if (gj.contains("max_initial_timestamp_index") && !gj["max_initial_timestamp_index"].is_null())
    c.max_initial_timestamp_index = static_cast<int>(json_int(gj, "max_initial_timestamp_index", gsrc));
  else
    c.max_initial_timestamp_index = 50;
  // The reference's own default (20) is never what a Whisper user wants; the decoder's limit is.
  c.max_length = static_cast<int>(json_int_or(gj, "max_length", json_int_or(cj, "max_length", c.max_target_positions,
                                                                              csrc), gsrc));
  c.length_penalty = static_cast<float>(json_number_or(gj, "length_penalty", 1.0, gsrc));
  if (gj.contains("early_stopping") && gj["early_stopping"].is_string())
    bad_model(gsrc + ": \"early_stopping\" \"" + gj["early_stopping"].get<std::string>() + "\" is not supported");
  c.early_stopping = json_bool_or(gj, "early_stopping", false, gsrc);

  ids_from_added_tokens(c, added);
  c.prev_token_id = token(added, "<|startofprev|>");
  c.no_speech_token_id = token(added, "<|nocaptions|>");
  if (!c.no_speech_token_id) c.no_speech_token_id = token(added, "<|nospeech|>");
  validate(c, gsrc);
  return c;
}

std::vector<int> WhisperConfig::language_token_ids() const {
  std::vector<int> ids;
  for (const auto& [code, id] : lang_to_id) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> WhisperConfig::language_codes_by_id() const {
  std::vector<std::string> codes;
  for (int id : language_token_ids()) codes.push_back(language_code(id));
  return codes;
}

std::string WhisperConfig::language_code(int token_id) const {
  for (const auto& [code, id] : lang_to_id)
    if (id == token_id) return code;
  return "";
}

int WhisperConfig::language_id(const std::string& language) const {
  const std::string code = strip_brackets(language);
  auto it = lang_to_id.find(code);
  if (it != lang_to_id.end()) return it->second;
  // Any other form of a language: "italian" (as the reference also accepts), "ita", "it-IT", "ita_Latn".
  const text::Language& asked = text::resolve_language(language);  // unknown: did-you-mean error
  it = lang_to_id.find(std::string(asked.whisper));
  if (!asked.whisper.empty() && it != lang_to_id.end()) return it->second;
  if (lang_to_id.empty()) invalid_argument("this model is English-only: it has no language tokens (asked for '" + language + "')");
  if (asked.whisper.empty()) invalid_argument("Whisper does not know " + text::describe(asked));
  std::string known;
  for (const auto& c : language_codes_by_id()) known += (known.empty() ? "" : " ") + c;
  invalid_argument("this model has no token for " + text::describe(asked) + " (it knows: " + known + ")");
}

int WhisperConfig::task_id(const std::string& task) const {
  auto it = task_to_id.find(task);
  if (it != task_to_id.end()) return it->second;
  if (task != "transcribe" && task != "translate")
    invalid_argument("unknown task '" + task + "' (use transcribe or translate)");
  invalid_argument("this model has no task tokens (English-only): it cannot " + task);
}

}  // namespace parley::whisper
