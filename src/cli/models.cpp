// parley models download | list: the Hugging Face models in the cache (see hf/hub.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "hf/hub.h"
#include "hf/progress.h"

namespace parley::cli {

namespace {

int download_models(const std::vector<std::string>& names, bool verify) {
  hub::HubOptions options = hub::hub_options_from_env();
  options.verify_cached = verify;
  std::vector<hub::ModelRef> refs;
  for (const auto& name : names.empty() ? hub::default_models() : names) refs.push_back(hub::parse_model_ref(name));
  int failures = 0;
  for (const auto& ref : refs) {
    try {
      hub::DownloadReport r = hub::download_model(ref, options);
      std::printf("%s: %zu files, %s (%s downloaded) in %s\n", ref.str().c_str(), r.files.size(),
                  hub::format_bytes(r.total_bytes).c_str(), hub::format_bytes(r.downloaded_bytes).c_str(),
                  r.snapshot.c_str());
      std::fflush(stdout);
    } catch (const Error& e) {
      if (refs.size() == 1) throw;
      std::fprintf(stderr, "parley: error: %s\n", e.what());
      ++failures;
    }
  }
  return failures ? 1 : 0;
}

std::string status_text(const hub::CachedModel& m) {
  std::string s = m.complete ? "complete" : "incomplete: " + m.missing;
  if (m.partial_bytes) s += " (unfinished download: " + hub::format_bytes(m.partial_bytes) + ")";
  return s;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

int list_models(bool json) {
  hub::HubOptions options = hub::hub_options_from_env();
  std::vector<hub::CachedModel> models = hub::list_cached_models(options);
  if (json) {
    nlohmann::json out = {{"cache", options.cache_dir.string()}, {"models", nlohmann::json::array()}};
    for (const auto& m : models) {
      out["models"].push_back({{"model", m.repo_id}, {"revisions", m.revisions}, {"commit", m.commit},
                               {"path", m.snapshot.string()}, {"size_bytes", m.size_bytes},
                               {"complete", m.complete}, {"missing", m.missing},
                               {"partial_bytes", m.partial_bytes}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (models.empty()) {
    std::printf("no models in the Hugging Face cache %s; fetch the default ones with: parley models download\n",
                options.cache_dir.c_str());
    return 0;
  }
  std::printf("Hugging Face cache: %s\n", options.cache_dir.c_str());
  std::vector<std::vector<std::string>> rows = {{"MODEL", "REVISION", "COMMIT", "SIZE", "STATUS"}};
  for (const auto& m : models) {
    std::string revisions;
    for (const auto& r : m.revisions) revisions += (revisions.empty() ? "" : ",") + r;
    rows.push_back({m.repo_id, revisions.empty() ? "-" : revisions, m.commit.empty() ? "-" : m.commit.substr(0, 12),
                    hub::format_bytes(m.size_bytes), status_text(m)});
  }
  print_table(rows);
  return 0;
}

}  // namespace

void register_models(CLI::App& app, Runner& run) {
  auto* models = app.add_subcommand("models", "Hugging Face models: download them into the cache, list the cache");
  models->require_subcommand(1);

  auto names = std::make_shared<std::vector<std::string>>();
  auto verify = std::make_shared<bool>(false);
  auto* download = models->add_subcommand(
      "download", "Download models from the Hugging Face Hub (HF_ENDPOINT) into its cache (HF_HUB_CACHE)");
  download->add_option("names", *names,
                       "Hub names ORG/NAME[@REVISION] (default: openai/whisper-base microsoft/speecht5_tts "
                       "microsoft/speecht5_hifigan)");
  download->add_flag("--verify", *verify, "Re-check files already in the cache against their checksums");
  download->callback([&run, names, verify] { run = [names, verify] { return download_models(*names, *verify); }; });

  auto json = std::make_shared<bool>(false);
  auto* list = models->add_subcommand("list", "List the models in the Hugging Face cache, with size and state");
  list->add_flag("--json", *json, "Print JSON instead of a table");
  list->callback([&run, json] { run = [json] { return list_models(*json); }; });
}

}  // namespace parley::cli
