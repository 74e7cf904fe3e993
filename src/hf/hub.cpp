// Options from the environment, model names, and resolve_model (see hub.h).
#include "hf/hub.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "core/error.h"
#include "core/files.h"
#include "hf/hub_cache.h"
#include "hf/hub_files.h"
#include "hf/hub_names.h"

namespace parley::hub {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// huggingface_hub's truth values: 1, ON, YES, TRUE in any case.
bool env_true(const char* name) {
  std::string v = env(name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

int env_seconds(const char* name, int fallback) {
  std::string v = env(name);
  if (v.empty()) return fallback;
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (*end != 0 || n < 1 || n > 86400) invalid_argument(std::string(name) + " must be a number of seconds, not \"" + v + "\"");
  return static_cast<int>(n);
}

fs::path home_dir() {
  std::string home = env("HOME");
  if (!home.empty()) return home;
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[4096];
  if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &result) == 0 && result && result->pw_dir) return result->pw_dir;
  invalid_argument("cannot find the home folder: set HF_HOME or HF_HUB_CACHE");
}

fs::path expand_user(const std::string& path) {
  if (path == "~") return home_dir();
  if (path.rfind("~/", 0) == 0) return home_dir() / path.substr(2);
  return path;
}

fs::path hf_home() {
  if (std::string v = env("HF_HOME"); !v.empty()) return expand_user(v);
  if (std::string v = env("XDG_CACHE_HOME"); !v.empty()) return expand_user(v) / "huggingface";
  return home_dir() / ".cache" / "huggingface";
}

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

std::string read_token() {
  std::string token = env("HF_TOKEN");
  if (token.empty()) token = env("HUGGING_FACE_HUB_TOKEN");
  if (token.empty()) {
    std::string path = env("HF_TOKEN_PATH");
    fs::path file = path.empty() ? hf_home() / "token" : expand_user(path);
    std::error_code ec;
    if (fs::is_regular_file(file, ec) && fs::file_size(file, ec) < 4096) {
      try {
        token = read_file(file);
      } catch (const Error&) {  // unreadable: as if absent, the request will say if a token was needed
      }
    }
  }
  token = trim(token);
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      invalid_argument("the Hugging Face token (HF_TOKEN) contains control characters");
  }
  return token;
}

// A name that can only be meant as a folder on disk.
bool looks_like_path(const std::string& text) {
  return text.empty() || text[0] == '/' || text[0] == '.' || text[0] == '~' ||
         std::count(text.begin(), text.end(), '/') > 1;
}

}  // namespace

HubOptions hub_options_from_env() {
  HubOptions o;
  if (std::string endpoint = env("HF_ENDPOINT"); !endpoint.empty()) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0)
      invalid_argument("HF_ENDPOINT must start with http:// or https://, not \"" + endpoint + "\"");
    o.endpoint = endpoint;
  }
  if (std::string v = env("HF_HUB_CACHE"); !v.empty())
    o.cache_dir = expand_user(v);
  else if (std::string old = env("HUGGINGFACE_HUB_CACHE"); !old.empty())
    o.cache_dir = expand_user(old);
  else
    o.cache_dir = hf_home() / "hub";
  o.cache_dir = fs::absolute(o.cache_dir).lexically_normal();
  o.token = read_token();
  o.offline = env_true("HF_HUB_OFFLINE") || env_true("TRANSFORMERS_OFFLINE");
  o.progress = ::isatty(STDERR_FILENO) && !env_true("HF_HUB_DISABLE_PROGRESS_BARS");
  o.connect_timeout_s = env_seconds("HF_HUB_ETAG_TIMEOUT", o.connect_timeout_s);
  o.read_timeout_s = env_seconds("HF_HUB_DOWNLOAD_TIMEOUT", o.read_timeout_s);
  return o;
}

std::string ModelRef::str() const { return revision == "main" ? repo_id : repo_id + "@" + revision; }

ModelRef parse_model_ref(const std::string& text) {
  ModelRef ref;
  size_t at = text.find('@');
  ref.repo_id = text.substr(0, at);
  if (at != std::string::npos) ref.revision = text.substr(at + 1);
  if (!is_valid_repo_id(ref.repo_id))
    invalid_argument("not a Hub model name: \"" + text + "\" (expected ORG/NAME or ORG/NAME@REVISION)");
  if (!is_valid_revision(ref.revision)) invalid_argument("not a valid revision in \"" + text + "\"");
  return ref;
}

const std::vector<std::string>& default_models() {
  static const std::vector<std::string> models = {"openai/whisper-base", "microsoft/speecht5_tts",
                                                  "microsoft/speecht5_hifigan"};
  return models;
}

fs::path resolve_model(const std::string& name_or_path, const HubOptions& options,
                       const std::vector<std::string>& required_files) {
  std::error_code ec;
  if (fs::is_directory(name_or_path, ec)) return name_or_path;
  if (looks_like_path(name_or_path)) fail(ErrorKind::NotFound, "no model folder " + name_or_path);
  ModelRef ref;
  try {
    ref = parse_model_ref(name_or_path);
  } catch (const Error&) {
    invalid_argument("\"" + name_or_path + "\" is neither a model folder nor a Hub model name ORG/NAME[@REVISION]");
  }
  std::optional<fs::path> snapshot = cached_snapshot(options.cache_dir, ref);
  std::string missing = snapshot ? missing_model_files(*snapshot, required_files) : "";
  if (snapshot && missing.empty()) return *snapshot;
  if (options.offline) {
    std::string state = snapshot ? "is incomplete in the Hugging Face cache (" + missing + ")"
                                 : "is not in the Hugging Face cache " + options.cache_dir.string();
    fail(ErrorKind::NotFound, "model " + ref.str() + " " + state +
                                  " and HF_HUB_OFFLINE is set; fetch it with: parley models download " + ref.str());
  }
  DownloadReport report = download_model(ref, options);
  missing = missing_model_files(report.snapshot, required_files);
  if (!missing.empty()) bad_model("model " + ref.str() + " from the Hub is not usable: " + missing);
  return report.snapshot;
}

}  // namespace parley::hub
