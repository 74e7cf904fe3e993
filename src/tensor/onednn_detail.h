// Shared plumbing of the oneDNN-backed ops (onednn.cpp, conv1d.cpp): the engine, a stream per
// thread, running a primitive with a per-thread scratchpad, and a bounded primitive cache.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::onednn::detail {

dnnl::engine& engine();
dnnl::stream& stream();

// Primitive attributes every op uses: a user-provided scratchpad (so one primitive can run on two
// threads at once).
dnnl::primitive_attr base_attr();

// Runs `p` with `args` plus a per-thread scratchpad of `scratch`'s size, on threads() threads.
void execute(const dnnl::primitive& p, const dnnl::memory::desc& scratch, std::unordered_map<int, dnnl::memory> args);

// Converts oneDNN's exceptions into Error(Internal) naming `what`.
[[noreturn]] void rethrow(const dnnl::error& e, const std::string& what);

// A cache of created primitives by key, dropped whole when it grows past `capacity` (entries in use
// stay alive through their shared_ptr).
template <typename Key, typename Value>
class Cache {
 public:
  explicit Cache(size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<const Value> get(const Key& key, const std::function<std::shared_ptr<const Value>()>& make) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = map_.find(key);
      if (it != map_.end()) return it->second;
    }
    std::shared_ptr<const Value> v = make();  // outside the lock: creation may take a while
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= capacity_) map_.clear();
    return map_.emplace(key, std::move(v)).first->second;
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::map<Key, std::shared_ptr<const Value>> map_;
};

}  // namespace parley::onednn::detail
