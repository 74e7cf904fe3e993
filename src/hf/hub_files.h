// Which of a repository's files Parley needs, and whether a folder holds them all.
//
// Parley needs the JSON configs, the tokenizer files and ONE weight format: model.safetensors (or its
// sharded index and shards) when the repository has it, else pytorch_model.bin (or its sharded form).
// TensorFlow, Flax, ONNX and other formats, README files and subfolders are never fetched.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::hub {

struct FileChoice {
  std::vector<std::string> files;  // to fetch, in the repository's order (the weights last)
  std::string weights;             // the chosen weight file or index, one of the four names below
  bool sharded = false;            // `weights` is an index: its shards are fetched after it
};

// Chooses from the names a repository lists (all already checked with is_safe_repo_file). Throws
// Error(BadModel) naming `repo_id` when there is no weight file Parley can read.
FileChoice choose_files(const std::vector<std::string>& repo_files, const std::string& repo_id);

// The shard files a *.index.json names in its "weight_map", each once, in order of first use. Throws
// Error(BadModel) when the index is malformed or names an unsafe or nested file.
std::vector<std::string> shard_files(const nlohmann::json& index, const std::string& source);

// "" when `folder` holds config.json, every file in `required`, and a complete weight set (one of the
// four weight names, with every shard an index names); otherwise a short description of what is
// missing, e.g. "no model weights (model.safetensors or pytorch_model.bin)".
std::string missing_model_files(const std::filesystem::path& folder, const std::vector<std::string>& required = {});

}  // namespace parley::hub
