#include "speecht5/voices.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/embedded.h"
#include "core/error.h"
#include "weights/npy.h"

namespace parley::speecht5 {

namespace {

constexpr std::string_view kSuffix = ".npy";

bool looks_like_path(std::string_view s) {
  return s.find('/') != std::string_view::npos ||
         (s.size() >= kSuffix.size() && s.substr(s.size() - kSuffix.size()) == kSuffix);
}

// An x-vector is one row of floats: [dim] or [1, dim].
Tensor as_vector(Tensor t, const std::string& source) {
  if (t.ndim() == 2 && t.dim(0) == 1) t = t.reshaped({t.dim(1)});
  if (t.ndim() != 1 || t.numel() == 0)
    bad_input("speaker x-vector " + source + " has shape " + t.shape_string() + "; expected a vector of floats");
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t[i])) bad_input("speaker x-vector " + source + " holds a value that is not a finite number");
  return t;
}

}  // namespace

std::vector<std::string> voice_names() {
  std::vector<std::string> names;
  for (const auto& f : embedded::voice_files()) {
    if (f.name.size() > kSuffix.size() && f.name.substr(f.name.size() - kSuffix.size()) == kSuffix &&
        f.name.find('/') == std::string_view::npos)
      names.emplace_back(f.name.substr(0, f.name.size() - kSuffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Tensor load_voice(std::string_view name_or_path) {
  if (name_or_path.empty()) invalid_argument("empty speaker name");
  if (!looks_like_path(name_or_path)) {
    const std::string file = std::string(name_or_path) + std::string(kSuffix);
    for (const auto& f : embedded::voice_files())
      if (f.name == file) return as_vector(parse_npy(f.data, "voice '" + std::string(name_or_path) + "'"),
                                           "voice '" + std::string(name_or_path) + "'");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::string(name_or_path), ec)) {
      std::string known;
      for (const auto& n : voice_names()) known += (known.empty() ? "" : ", ") + n;
      fail(ErrorKind::NotFound, "unknown voice '" + std::string(name_or_path) + "' (voices: " + known +
                                    "; or give an .npy file of an x-vector)");
    }
  }
  const std::string path(name_or_path);
  return as_vector(read_npy(path), path);
}

}  // namespace parley::speecht5
