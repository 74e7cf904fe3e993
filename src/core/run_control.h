// RunControl: what a long computation reports to its caller (progress) and what the caller can ask
// of it from another thread (stop). One object per request, owned by the caller and passed down by
// pointer (null: no progress wanted, never cancelled).
//
// Loops that run for more than a fraction of a second (Whisper's windows and decoder steps, TTS
// steps, the vocoder's chunks, MT sentences) call check() often enough that a cancelled request
// stops within a second, and report() when a unit of visible work is done. Both are cheap: an
// atomic load, and a callback only when one is set.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "core/error.h"

namespace parley {

struct Progress {
  std::string stage;  // what is running: "asr", "mt", "tts", "vocoder", "download", ...
  double done = 0;    // units done so far
  double total = 0;   // units in all; 0 when not known
  std::string unit;   // what is counted: "s" (seconds of audio), "window", "sentence", "byte", ...
  std::string detail;  // the part running, for people ("window 2 of 4", "sentence 3"); may be empty
};

class RunControl {
 public:
  // Called on the computing thread, in order; keep it short (draw a line, queue an event).
  std::function<void(const Progress&)> on_progress;

  // Any thread: asks the computation to stop at its next check().
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Throws Error(Cancelled) once cancel() was called.
  void check() const {
    if (cancelled()) throw Error(ErrorKind::Cancelled, "cancelled");
  }
  void report(const Progress& progress) const {
    if (on_progress) on_progress(progress);
  }

 private:
  std::atomic<bool> cancelled_{false};
};

// The same through a pointer that may be null.
inline void check(const RunControl* control) {
  if (control) control->check();
}
inline void report(const RunControl* control, const Progress& progress) {
  if (control) control->report(progress);
}

}  // namespace parley
