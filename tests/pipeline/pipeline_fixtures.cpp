#include "pipeline_fixtures.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"
#include "speecht5/synthesizer.h"

namespace parley::test {

using nlohmann::json;

namespace {

json config_of(const std::string& model) {
  return json::parse(read_file(data_path("models/" + model + "/config.json")));
}

}  // namespace

pipeline::PipelineOptions fixture_options(int max_new_tokens) {
  pipeline::PipelineOptions o;
  o.asr_model = data_path("models/whisper-tiny-random").string();
  o.tts_model = data_path("models/speecht5-tiny-random").string();
  o.vocoder = data_path("models/hifigan-tiny-random").string();
  o.max_new_tokens = max_new_tokens;
  return o;
}

std::vector<std::string> fixture_model_args(int max_new_tokens) {
  const pipeline::PipelineOptions o = fixture_options(max_new_tokens);
  return {"--asr-model", o.asr_model, "--tts-model", o.tts_model, "--vocoder", o.vocoder, "--max-new-tokens",
          std::to_string(max_new_tokens)};
}

std::vector<TranslateRun> translate_runs() {
  const json g = json::parse(read_file(data_path("cases/whisper-tiny-random/golden.json")));
  std::vector<TranslateRun> out;
  for (const auto& c : g["cases"])
    for (const auto& r : c["runs"]) {
      const json& kw = r["generate_kwargs"];
      if (kw["task"] != "translate" || kw.value("num_beams", 1) != 1 || kw.value("return_timestamps", false))
        continue;
      TranslateRun t;
      t.audio = c["audio"];
      t.name = r["name"];
      t.language = kw["language"];
      t.detected = t.language == c["detected_language"].get<std::string>();
      t.max_new_tokens = kw["max_new_tokens"];
      t.text = r["text"];
      out.push_back(t);
    }
  return out;
}

void PrintTo(const TranslateRun& run, std::ostream* os) { *os << run.audio << " " << run.name; }

std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

int fixture_sample_rate() { return config_of("hifigan-tiny-random")["sampling_rate"]; }

int64_t expected_samples(int64_t steps, int64_t pieces) {
  const int64_t reduction = config_of("speecht5-tiny-random")["reduction_factor"];
  const json vocoder = config_of("hifigan-tiny-random");
  int64_t hop = 1;
  for (const auto& r : vocoder["upsample_rates"]) hop *= r.get<int64_t>();
  const int64_t pause = std::llround(speecht5::SynthesisOptions().pause_seconds * fixture_sample_rate());
  return steps * reduction * hop + (pieces > 0 ? pieces - 1 : 0) * pause;
}

}  // namespace parley::test
