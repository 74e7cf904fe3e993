// A fixed pool of worker threads behind a bounded queue: the server's admission control.
//
// Model work is CPU-bound, so only `workers` requests run at once; up to `capacity` more wait in
// line. A request that finds the line full is refused at once (Error(Busy) -> HTTP 503) instead of
// piling up connections and memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace parley::server {

class WorkQueue {
 public:
  WorkQueue(int workers, int capacity);
  ~WorkQueue();  // finishes every accepted job, then joins the workers
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // A place in line held for a job that is submitted later: a stream decides whether it is admitted
  // before it sends its headers (so a full queue is a 503, not a 200 and then an error), and runs its
  // job after. Given back when destroyed unless run() used it.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept : queue_(std::exchange(other.queue_, nullptr)) {}
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation();
    explicit operator bool() const { return queue_ != nullptr; }

   private:
    friend class WorkQueue;
    explicit Reservation(WorkQueue* queue) : queue_(queue) {}
    WorkQueue* queue_ = nullptr;
  };

  // Holds a place for a later run(); throws Error(Busy) when the line is full (as run() would).
  Reservation reserve();

  // Runs `job` on a worker and waits for it; returns its result or rethrows its exception.
  // Throws Error(Busy) without running it when `capacity` jobs are already waiting (unless `place`
  // holds a reservation, which it uses up), or after shutdown(). While it waits, `while_waiting`
  // (if set) is called every 100 ms (to notice a client that left).
  template <class F>
  auto run(F&& job, Reservation* place = nullptr, const std::function<void()>& while_waiting = nullptr)
      -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    std::packaged_task<R()> task(std::ref(job));
    std::future<R> done = task.get_future();
    submit([&task] { task(); }, place);
    if (while_waiting) {
      while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) while_waiting();
    }
    return done.get();
  }

  // Stops accepting jobs, finishes those already accepted, joins the workers. Idempotent.
  void shutdown();

  size_t waiting() const;  // jobs in line, not yet started (reserved places included)
  size_t running() const;  // jobs being run by a worker
  int workers() const { return static_cast<int>(threads_.size()); }
  int capacity() const { return capacity_; }

 private:
  void submit(std::function<void()> job, Reservation* place);
  void check_room() const;  // Error(Busy) when the line is full; mutex_ held
  void release();           // gives a reserved place back
  void work();

  int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  size_t running_ = 0;
  size_t reserved_ = 0;  // places held by Reservations
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parley::server
