#include "pipeline/vits_engine.h"

#include <chrono>

#include "core/error.h"
#include "hf/model_dir.h"
#include "text/sentences.h"

namespace parley::pipeline {

std::string tts_model_type(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  const nlohmann::json j = dir.json("config.json");
  const std::string source = (folder / "config.json").string();
  if (!j.is_object()) bad_model(source + ": not a JSON object");
  const std::string type = json_string_or(j, "model_type", "", source);
  if (type == "vits" || type == "speecht5") return type;
  bad_model(source + ": model_type \"" + type + "\" is not a text-to-speech model Parley runs (vits, speecht5)");
}

VitsEngine::VitsEngine(std::shared_ptr<const vits::VitsModel> model, vits::VitsOptions options,
                       std::unique_ptr<vits::NoiseSource> noise)
    : model_(std::move(model)), options_(options), noise_(std::move(noise)) {
  model_->check(options_);
}

std::vector<float> VitsEngine::speak(std::string_view text, bool sentence_by_sentence,
                                     const std::function<void(const TtsPiece&)>& on_piece) {
  const vits::VitsTokenizer& tok = model_->tokenizer();
  tok.encode(text);  // bad input (empty, nothing the voice can say) fails before any work
  std::vector<std::string> pieces;
  if (sentence_by_sentence) {
    for (std::string& s : sentences::split(text))
      if (!tok.prepare(s).empty()) pieces.push_back(std::move(s));  // a lone "…" has nothing to say
  } else {
    pieces.emplace_back(text);
  }
  std::vector<float> audio;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    last_ = model_->synthesize(pieces[i], options_, *noise_);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (on_piece) on_piece(TtsPiece{i, pieces[i], last_.audio, ms});
    audio.insert(audio.end(), last_.audio.begin(), last_.audio.end());
  }
  return audio;
}

}  // namespace parley::pipeline
