// Shared pieces of the Hub tests: options pointing at a FakeHub, environment changes undone at the end.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "fake_hub.h"
#include "core/error.h"
#include "hf/hub.h"

namespace parley::test {

// Options for a download from `hub` into `cache`: short retry delays and timeouts so failing tests
// finish quickly, no progress bar.
inline hub::HubOptions hub_test_options(const FakeHub& hub, const std::filesystem::path& cache) {
  hub::HubOptions o;
  o.endpoint = hub.endpoint();
  o.cache_dir = cache;
  o.progress = false;
  o.connect_timeout_s = 5;
  o.read_timeout_s = 5;
  o.max_retries = 2;
  o.retry_delay_ms = 10;
  return o;
}

// The message of the parley::Error `f` throws ("" when it throws none); its kind into `kind`.
inline std::string error_of(const std::function<void()>& f, ErrorKind* kind = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

// Sets (or, with nullopt, removes) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace parley::test
