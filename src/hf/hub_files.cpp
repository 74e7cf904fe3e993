#include "hf/hub_files.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "hf/hub_names.h"

namespace parley::hub {

namespace fs = std::filesystem;

namespace {

// In order of preference: safetensors loads by memory map with no conversion, so it comes first.
const char* const kWeightNames[] = {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                    "pytorch_model.bin.index.json"};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Configs, tokenizer and feature-extractor files by name: the ones the engines read (Whisper, SpeechT5,
// HiFi-GAN, M2M100/NLLB, Marian, VITS), plus normalizer.json (Whisper's, kept for other tools that
// share the cache). A fixed list rather than "every .json": a repository listing hundreds of
// top-level files must not make a download fetch them all.
const char* const kSupportNames[] = {
    "config.json",          "generation_config.json",  "preprocessor_config.json", "tokenizer_config.json",
    "tokenizer.json",       "special_tokens_map.json", "added_tokens.json",        "vocab.json",
    "merges.txt",           "normalizer.json",         "spm_char.model",           "sentencepiece.bpe.model",
    "source.spm",           "target.spm"};

bool is_support_file(const std::string& name) {
  return std::find(std::begin(kSupportNames), std::end(kSupportNames), name) != std::end(kSupportNames);
}

bool is_weight_index(const std::string& name) { return ends_with(name, ".index.json"); }

}  // namespace

FileChoice choose_files(const std::vector<std::string>& repo_files, const std::string& repo_id) {
  std::set<std::string> listed(repo_files.begin(), repo_files.end());
  FileChoice choice;
  for (const char* name : kWeightNames) {
    if (listed.count(name)) {
      choice.weights = name;
      break;
    }
  }
  if (choice.weights.empty())
    bad_model(repo_id + " has no weights Parley can read (model.safetensors or pytorch_model.bin)");
  choice.sharded = is_weight_index(choice.weights);
  for (const auto& name : repo_files) {
    if (name.find('/') != std::string::npos) continue;  // subfolders hold other formats or variants
    if (is_support_file(name)) choice.files.push_back(name);
  }
  choice.files.push_back(choice.weights);
  return choice;
}

std::vector<std::string> shard_files(const nlohmann::json& index, const std::string& source) {
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    bad_model(source + " has no \"weight_map\" object");
  std::vector<std::string> shards;
  std::set<std::string> seen;
  for (const auto& [tensor, file] : index["weight_map"].items()) {
    if (!file.is_string()) bad_model(source + ": the file of tensor " + tensor + " is not a string");
    std::string name = file.get<std::string>();
    if (!is_safe_repo_file(name) || name.find('/') != std::string::npos)
      bad_model(source + " names an unusable shard file: " + name);
    if (seen.insert(name).second) shards.push_back(name);
  }
  if (shards.empty()) bad_model(source + " names no shard files");
  return shards;
}

std::string missing_model_files(const fs::path& folder, const std::vector<std::string>& required) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return "no folder " + folder.string();
  // is_regular_file follows symlinks: a link to a missing blob counts as missing.
  auto has = [&](const std::string& name) { return fs::is_regular_file(folder / name, ec); };
  if (!has("config.json")) return "no config.json";
  for (const auto& name : required)
    if (!has(name)) return "no " + name;
  for (const char* weights : kWeightNames) {
    if (!has(weights)) continue;
    if (!is_weight_index(weights)) return "";
    try {
      nlohmann::json index = nlohmann::json::parse(read_file(folder / weights));
      for (const auto& shard : shard_files(index, weights))
        if (!has(shard)) return "no " + shard + " (a shard named by " + std::string(weights) + ")";
      return "";
    } catch (const nlohmann::json::exception&) {
      return "an unreadable " + std::string(weights);
    } catch (const Error& e) {
      return e.what();
    }
  }
  return "no model weights (model.safetensors or pytorch_model.bin)";
}

}  // namespace parley::hub
