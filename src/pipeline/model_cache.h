// A small, bounded, least-recently-used cache of loaded models, shared by the threads of a service:
// the speech pipeline keeps the translation models and the per-language voices it loads on first use
// here, so a server that answers in a few languages loads each once, and one that is asked for many
// keeps only the `capacity` most recently used in memory.
//
//   ModelCache<std::string, const vits::VitsModel> voices(4);
//   auto model = voices.get("/models/mms-tts-fra", [&] { return vits::VitsModel::load(folder); });
//
// Values are handed out as shared_ptr: one evicted while a call still uses it lives until that call
// ends. Loading runs outside the lock, so a slow load does not block calls that hit the cache; two
// threads that miss the same key at once may both load it, and the first to finish wins (the other's
// copy is dropped). A load that throws leaves the cache as it was.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <utility>

namespace parley::pipeline {

template <class Key, class Value>
class ModelCache {
 public:
  using Loader = std::function<std::shared_ptr<Value>()>;

  // capacity 0 is taken as 1: the model in use is always kept until the next one is loaded.
  explicit ModelCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The value for `key`, loading it with `load` when it is not cached; it becomes the most recently
  // used, and the least recently used beyond the capacity is dropped.
  std::shared_ptr<Value> get(const Key& key, const Loader& load) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto hit = find_and_touch(key)) return hit;
    }
    std::shared_ptr<Value> loaded = load();
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto hit = find_and_touch(key)) return hit;  // another thread loaded it meanwhile
    entries_.emplace_front(key, loaded);
    while (entries_.size() > capacity_) entries_.pop_back();
    return loaded;
  }

  // Whether `key` is cached now (does not change the order).
  bool contains(const Key& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (e.first == key) return true;
    return false;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  std::shared_ptr<Value> find_and_touch(const Key& key) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->first == key) {
        entries_.splice(entries_.begin(), entries_, it);  // most recently used first
        return entries_.front().second;
      }
    return nullptr;
  }

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::pair<Key, std::shared_ptr<Value>>> entries_;  // most recently used first
};

}  // namespace parley::pipeline
