#include "cli/progress.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace parley::cli {

void add_progress_options(CLI::App& cmd, std::string& mode) {
  cmd.add_option("--progress", mode,
                 "progress on stderr: auto (a line redrawn in place when stderr is a terminal), on, off, or json "
                 "(one JSON line per update)")
      ->check(CLI::IsMember({"auto", "on", "off", "json"}))
      ->capture_default_str();
  cmd.add_flag_callback("--no-progress", [&mode] { mode = "off"; }, "no progress on stderr (same as --progress off)");
}

ProgressMode parse_progress_mode(const std::string& mode) {
  if (mode == "auto") return ProgressMode::Auto;
  if (mode == "on") return ProgressMode::On;
  if (mode == "off") return ProgressMode::Off;
  if (mode == "json") return ProgressMode::Json;
  invalid_argument("--progress must be auto, on, off or json, not '" + mode + "'");
}

std::string clock_time(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

namespace {

bool is_terminal(int fd) {
  const char* term = std::getenv("TERM");
  return ::isatty(fd) == 1 && !(term && std::strcmp(term, "dumb") == 0);
}

// "asr" -> what a person reads on the line.
std::string stage_words(const std::string& stage) {
  if (stage == "asr") return "recognising";
  if (stage == "mt") return "translating";
  if (stage == "tts" || stage == "vocoder") return "speaking";
  return stage;
}

std::string amount(double v, const std::string& unit) {
  char buf[48];
  if (unit == "s")
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace

ProgressLine::ProgressLine(ProgressMode mode, int fd) : mode_(mode), fd_(fd), start_(std::chrono::steady_clock::now()) {
  if (mode_ == ProgressMode::Auto) mode_ = is_terminal(fd) ? ProgressMode::On : ProgressMode::Off;
  in_place_ = mode_ == ProgressMode::On && is_terminal(fd);
}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(const Progress& p, const std::string& detail_given) {
  if (!enabled()) return;
  const std::string& detail = detail_given.empty() ? p.detail : detail_given;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const bool known = p.total > 0 && p.done > 0;
  const double left = known ? elapsed * std::max(0.0, p.total - p.done) / p.done : 0;
  if (mode_ == ProgressMode::Json) {
    nlohmann::json j = {{"type", "progress"}, {"stage", p.stage}, {"done", p.done}, {"unit", p.unit},
                        {"elapsed_s", elapsed}};
    if (p.total > 0) j["total"] = p.total;
    if (known) j["remaining_s"] = left;
    if (!detail.empty()) j["detail"] = detail;
    return write(j.dump() + "\n");
  }
  std::string line = "parley: " + stage_words(p.stage) + " " + amount(p.done, p.unit);
  if (p.total > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%d%%)", static_cast<int>(std::floor(100 * std::min(1.0, p.done / p.total))));
    line += " / " + amount(p.total, p.unit) + " " + p.unit + pct;
  } else {
    line += " " + p.unit;
  }
  if (!detail.empty()) line += ", " + detail;
  line += ", " + clock_time(elapsed) + " elapsed";
  if (known) line += ", ~" + clock_time(left) + " left";
  if (!in_place_) return write(line + "\n");
  write("\r\033[K" + line);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  write("\r\033[K");
  drawn_ = false;
}

void ProgressLine::write(const std::string& text) {
  // Progress is best effort: a failed write (a closed terminal) must not fail the work.
  for (size_t at = 0; at < text.size();) {
    const ssize_t n = ::write(fd_, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

}  // namespace parley::cli
