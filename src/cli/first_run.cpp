#include "cli/first_run.h"

#include "core/error.h"
#include "hf/hub.h"

namespace parley::cli {

namespace {

// What resolve_folders (pipeline.cpp) needs of each model beyond config.json and the weights.
struct Need {
  const std::string& name;
  std::vector<std::string> files;
};

std::vector<Need> needs(const pipeline::PipelineOptions& o) {
  if (!o.english_speech) return {{o.asr_model, {"preprocessor_config.json"}}};  // other targets: loaded on use
  return {{o.asr_model, {"preprocessor_config.json"}}, {o.tts_model, {"spm_char.model"}}, {o.vocoder, {}}};
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

}  // namespace

std::vector<std::string> missing_models(const pipeline::PipelineOptions& options) {
  hub::HubOptions offline = hub::hub_options_from_env();
  offline.offline = true;
  std::vector<std::string> missing;
  for (const Need& n : needs(options)) {
    try {
      hub::resolve_model(n.name, offline, n.files);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;  // a malformed name: its own error
      missing.push_back(n.name);
    }
  }
  return missing;
}

void check_models_reachable(const pipeline::PipelineOptions& options) {
  const std::vector<std::string> missing = missing_models(options);
  if (missing.empty()) return;
  hub::HubOptions probe = hub::hub_options_from_env();
  std::string why = "HF_HUB_OFFLINE is set";
  if (!probe.offline) {
    // One quick try: a machine without network should not wait through the download's retries.
    probe.max_retries = 1;
    probe.retry_delay_ms = 250;
    try {
      for (const Need& n : needs(options))
        if (n.name == missing.front()) hub::resolve_model(n.name, probe, n.files);
      return;  // the Hub answers: loading downloads the rest
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Network) throw;
      why = std::string("the Hub at ") + probe.endpoint + " cannot be reached (" + e.what() + ")";
    }
  }
  fail(ErrorKind::Network,
       "models missing: " + joined(missing) + " are neither local folders nor in the Hugging Face cache " +
           probe.cache_dir.string() + ", and " + why +
           ". Ways forward: (1) give local model folders: --asr-model DIR --tts-model DIR --vocoder DIR; (2) on a "
           "connected machine run 'parley models download " + joined(missing) +
           "' and copy its Hugging Face cache (~/.cache/huggingface/hub) to " + probe.cache_dir.string() +
           " here; (3) set HF_ENDPOINT=https://your-mirror to download from a Hub mirror");
}

}  // namespace parley::cli
