// A fixed pool of worker threads behind a bounded queue: the server's admission control.
//
// Model work is CPU-bound, so only `workers` requests run at once; up to `capacity` more wait in
// line. A request that finds the line full is refused at once (Error(Busy) -> HTTP 503) instead of
// piling up connections and memory.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/error.h"

namespace parley::server {

class WorkQueue {
 public:
  WorkQueue(int workers, int capacity);
  ~WorkQueue();  // finishes every accepted job, then joins the workers
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Runs `job` on a worker and waits for it; returns its result or rethrows its exception.
  // Throws Error(Busy) without running it when `capacity` jobs are already waiting, or after
  // shutdown().
  template <class F>
  auto run(F&& job) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    std::packaged_task<R()> task(std::ref(job));
    std::future<R> done = task.get_future();
    submit([&task] { task(); });
    return done.get();
  }

  // Stops accepting jobs, finishes those already accepted, joins the workers. Idempotent.
  void shutdown();

  size_t waiting() const;  // jobs in line, not yet started
  size_t running() const;  // jobs being run by a worker
  int workers() const { return static_cast<int>(threads_.size()); }
  int capacity() const { return capacity_; }

 private:
  void submit(std::function<void()> job);
  void work();

  int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parley::server
