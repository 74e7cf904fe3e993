#include "hf/progress.h"

#include <cstdio>

namespace parley::hub {

using Clock = std::chrono::steady_clock;

std::string format_bytes(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

ProgressBar::ProgressBar(bool enabled, std::string label, uint64_t total, uint64_t initial)
    : enabled_(enabled), label_(std::move(label)), total_(total), initial_(initial), done_(initial) {
  if (label_.size() > 32) label_ = "..." + label_.substr(label_.size() - 29);
  start_ = last_draw_ = Clock::now();
  if (enabled_) draw(false);
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  auto now = Clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(false);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  draw(true);
}

void ProgressBar::draw(bool final) {
  constexpr int kWidth = 24;
  double fraction = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (fraction > 1) fraction = 1;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, ' ');
  double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  uint64_t moved = done_ > initial_ ? done_ - initial_ : 0;
  std::string speed = seconds > 0.05 ? format_bytes(static_cast<uint64_t>(moved / seconds)) + "/s" : "";
  std::fprintf(stderr, "\r%-32s %3d%% [%s] %s / %s  %-12s%s", label_.c_str(), static_cast<int>(fraction * 100),
               bar.c_str(), format_bytes(done_).c_str(), format_bytes(total_).c_str(), speed.c_str(),
               final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace parley::hub
