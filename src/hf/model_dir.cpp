#include "hf/model_dir.h"

#include "core/error.h"
#include "core/files.h"

namespace parley {

namespace fs = std::filesystem;

ModelDir::ModelDir(fs::path folder) : path_(std::move(folder)) {
  std::error_code ec;
  if (!fs::is_directory(path_, ec)) fail(ErrorKind::NotFound, "model folder not found: " + path_.string());
}

bool ModelDir::has(const std::string& file) const {
  std::error_code ec;
  return fs::is_regular_file(path_ / file, ec);
}

fs::path ModelDir::require(const std::string& file) const {
  if (!has(file)) bad_model("model folder " + path_.string() + " has no " + file);
  return path_ / file;
}

nlohmann::json ModelDir::json(const std::string& file) const {
  const fs::path p = require(file);
  try {
    return nlohmann::json::parse(read_file(p));
  } catch (const nlohmann::json::exception& e) {
    bad_model(p.string() + " is not valid JSON");
  }
}

std::optional<nlohmann::json> ModelDir::optional_json(const std::string& file) const {
  if (!has(file)) return std::nullopt;
  return json(file);
}

namespace {

const nlohmann::json* field(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

[[noreturn]] void wrong(const std::string& source, const std::string& key, const char* what) {
  bad_model(source + ": \"" + key + "\" must be " + what);
}

}  // namespace

int64_t json_int(const nlohmann::json& j, const std::string& key, const std::string& source) {
  const auto* v = field(j, key);
  if (!v) bad_model(source + " lacks \"" + key + "\"");
  if (!v->is_number_integer()) wrong(source, key, "an integer");
  return v->get<int64_t>();
}

int64_t json_int_or(const nlohmann::json& j, const std::string& key, int64_t fallback, const std::string& source) {
  return field(j, key) ? json_int(j, key, source) : fallback;
}

int64_t json_int_in(const nlohmann::json& j, const std::string& key, int64_t lo, int64_t hi,
                    const std::string& source) {
  const int64_t v = json_int(j, key, source);
  if (v < lo || v > hi)
    bad_model(source + ": \"" + key + "\" must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
              std::to_string(v));
  return v;
}

int64_t json_int_in_or(const nlohmann::json& j, const std::string& key, int64_t fallback, int64_t lo, int64_t hi,
                       const std::string& source) {
  return field(j, key) ? json_int_in(j, key, lo, hi, source) : fallback;
}

double json_number(const nlohmann::json& j, const std::string& key, const std::string& source) {
  const auto* v = field(j, key);
  if (!v) bad_model(source + " lacks \"" + key + "\"");
  if (!v->is_number()) wrong(source, key, "a number");
  return v->get<double>();
}

double json_number_or(const nlohmann::json& j, const std::string& key, double fallback, const std::string& source) {
  return field(j, key) ? json_number(j, key, source) : fallback;
}

bool json_bool_or(const nlohmann::json& j, const std::string& key, bool fallback, const std::string& source) {
  const auto* v = field(j, key);
  if (!v) return fallback;
  if (!v->is_boolean()) wrong(source, key, "true or false");
  return v->get<bool>();
}

std::string json_string_or(const nlohmann::json& j, const std::string& key, const std::string& fallback,
                           const std::string& source) {
  const auto* v = field(j, key);
  if (!v) return fallback;
  if (!v->is_string()) wrong(source, key, "a string");
  return v->get<std::string>();
}

std::vector<int64_t> json_int_list_or(const nlohmann::json& j, const std::string& key,
                                      const std::vector<int64_t>& fallback, const std::string& source) {
  const auto* v = field(j, key);
  if (!v) return fallback;
  if (!v->is_array()) wrong(source, key, "a list of integers");
  std::vector<int64_t> out;
  for (const auto& e : *v) {
    if (!e.is_number_integer()) wrong(source, key, "a list of integers");
    out.push_back(e.get<int64_t>());
  }
  return out;
}

}  // namespace parley
