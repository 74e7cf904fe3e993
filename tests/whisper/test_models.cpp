#include "test_models.h"

#include <map>
#include <mutex>

#include "common/test_util.h"

namespace parley::test {

std::shared_ptr<const whisper::WhisperModel> test_model(const std::string& name, const std::string& weights) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const whisper::WhisperModel>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& m = cache[name + "/" + weights];
  if (m) return m;
  const auto dir = data_path("models/" + name);
  m = weights.empty() ? whisper::WhisperModel::load(dir)
                      : std::make_shared<const whisper::WhisperModel>(whisper::WhisperConfig::load(dir),
                                                                      Weights::load(dir / weights));
  return m;
}

}  // namespace parley::test
