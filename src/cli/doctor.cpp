// parley doctor: what this machine has for Parley — the models on disk and what each command needs,
// the CPU features the kernels can use, and the threads and precision a run would pick.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/first_run.h"
#include "cli/model_options.h"
#include "hf/hub.h"
#include "tensor/ops.h"

namespace parley::cli {

namespace {

std::string cpu_features() {
  std::string out;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const std::pair<const char*, bool> features[] = {
      {"sse4.2", __builtin_cpu_supports("sse4.2")}, {"avx", __builtin_cpu_supports("avx")},
      {"avx2", __builtin_cpu_supports("avx2")},     {"fma", __builtin_cpu_supports("fma")},
      {"avx512f", __builtin_cpu_supports("avx512f")}};
  for (const auto& [name, present] : features)
    if (present) out += (out.empty() ? "" : " ") + std::string(name);
#endif
  return out.empty() ? "none detected" : out;
}

int doctor(const pipeline::PipelineOptions& models, int threads) {
  const hub::HubOptions hub = hub::hub_options_from_env();
  std::printf("Hugging Face cache: %s%s\n", hub.cache_dir.c_str(), hub.offline ? " (offline)" : "");
  std::printf("Hub endpoint: %s\n", hub.endpoint.c_str());
  const std::vector<std::string> missing = missing_models(models);
  for (const std::string& name : {models.asr_model, models.tts_model, models.vocoder}) {
    bool absent = false;
    for (const auto& m : missing) absent = absent || m == name;
    std::printf("model %s: %s\n", name.c_str(), absent ? "missing" : "ready");
  }
  std::printf("translate, serve: need all three models above (--asr-model, --tts-model, --vocoder)\n");
  std::printf("transcribe: needs a Whisper model folder (-m); synthesize: a SpeechT5 folder (-m) and a vocoder\n");
  if (!missing.empty()) std::printf("fetch the missing ones with: parley models download\n");
  std::printf("CPU features: %s\n", cpu_features().c_str());
  ops::set_threads(threads);
  std::printf("threads: %d; precision: f32 (--precision bf16|int8 to convert at load)\n", ops::threads());
  return 0;
}

}  // namespace

void register_doctor(CLI::App& app, Runner& run) {
  auto models = std::make_shared<pipeline::PipelineOptions>();
  auto threads = std::make_shared<int>(0);
  auto* cmd = app.add_subcommand("doctor", "What this machine has for Parley: models on disk, CPU features, threads");
  add_model_options(*cmd, *models);
  add_threads_option(*cmd, *threads, "CPU threads a run would use (0: every core)");
  cmd->callback([&run, models, threads] { run = [models, threads] { return doctor(*models, *threads); }; });
}

}  // namespace parley::cli
