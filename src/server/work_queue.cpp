#include "server/work_queue.h"

namespace parley::server {

WorkQueue::WorkQueue(int workers, int capacity) : capacity_(capacity) {
  if (workers < 1) invalid_argument("the number of workers must be at least 1");
  if (capacity < 0) invalid_argument("the queue length cannot be negative");
  threads_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

WorkQueue::~WorkQueue() { shutdown(); }

void WorkQueue::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkQueue::check_room() const {
  if (stopping_) fail(ErrorKind::Busy, "the server is shutting down");
  // A job that finds an idle worker never waits, so it does not count against the line.
  size_t idle = threads_.size() - running_;
  if (jobs_.size() + reserved_ >= idle + static_cast<size_t>(capacity_)) {
    fail(ErrorKind::Busy, "the server is busy (" + std::to_string(running_) + " requests running, " +
                              std::to_string(jobs_.size() + reserved_) + " waiting); try again shortly");
  }
}

WorkQueue::Reservation WorkQueue::reserve() {
  std::lock_guard lock(mutex_);
  check_room();
  ++reserved_;
  return Reservation(this);
}

void WorkQueue::release() {
  std::lock_guard lock(mutex_);
  --reserved_;
}

WorkQueue::Reservation& WorkQueue::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    if (queue_) queue_->release();
    queue_ = std::exchange(other.queue_, nullptr);
  }
  return *this;
}

WorkQueue::Reservation::~Reservation() {
  if (queue_) queue_->release();
}

void WorkQueue::submit(std::function<void()> job, Reservation* place) {
  {
    std::lock_guard lock(mutex_);
    if (place && place->queue_ == this) {
      if (stopping_) fail(ErrorKind::Busy, "the server is shutting down");
      place->queue_ = nullptr;  // the held place becomes this job's
      --reserved_;
    } else {
      check_room();
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void WorkQueue::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to do
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    job();  // a packaged_task: exceptions go to the waiting caller
    std::lock_guard lock(mutex_);
    --running_;
  }
}

size_t WorkQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return jobs_.size() + reserved_;
}

size_t WorkQueue::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

}  // namespace parley::server
