// A Hugging Face model folder (config.json, tokenizer files, weights) and typed reads of its JSON.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley {

class ModelDir {
 public:
  // Throws Error(NotFound) when `folder` is not a directory.
  explicit ModelDir(std::filesystem::path folder);

  const std::filesystem::path& path() const { return path_; }
  bool has(const std::string& file) const;
  // Path of a file that must exist; throws Error(BadModel) "model folder X has no Y".
  std::filesystem::path require(const std::string& file) const;
  // Parsed JSON file; throws Error(BadModel) when missing or malformed.
  nlohmann::json json(const std::string& file) const;
  // Parsed JSON file, or nullopt when the folder does not have it (malformed still throws).
  std::optional<nlohmann::json> optional_json(const std::string& file) const;

 private:
  std::filesystem::path path_;
};

// Typed access to a JSON object's fields with one-line errors naming `source` and the key.
// The *_or forms return `fallback` when the key is absent or null.
int64_t json_int(const nlohmann::json& j, const std::string& key, const std::string& source);
int64_t json_int_or(const nlohmann::json& j, const std::string& key, int64_t fallback, const std::string& source);
// An integer that must lie in [lo, hi]: how every model config bounds its sizes, so that a hostile or
// broken config.json is refused before it can ask for gigantic buffers.
int64_t json_int_in(const nlohmann::json& j, const std::string& key, int64_t lo, int64_t hi,
                    const std::string& source);
int64_t json_int_in_or(const nlohmann::json& j, const std::string& key, int64_t fallback, int64_t lo, int64_t hi,
                       const std::string& source);
double json_number(const nlohmann::json& j, const std::string& key, const std::string& source);
double json_number_or(const nlohmann::json& j, const std::string& key, double fallback, const std::string& source);
bool json_bool_or(const nlohmann::json& j, const std::string& key, bool fallback, const std::string& source);
std::string json_string_or(const nlohmann::json& j, const std::string& key, const std::string& fallback,
                           const std::string& source);
std::vector<int64_t> json_int_list_or(const nlohmann::json& j, const std::string& key,
                                      const std::vector<int64_t>& fallback, const std::string& source);

}  // namespace parley
