#include "audio/av_util.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/error.h"

namespace parley::audio::av {

namespace {

thread_local std::string t_last_message;

void log_callback(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[512];
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(line, sizeof line, fmt, copy);
  va_end(copy);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  // Messages arrive in pieces sometimes; keep the last non-empty one.
  if (!text.empty()) t_last_message = text;
}

}  // namespace

std::string error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(err, buf, sizeof buf) < 0) std::snprintf(buf, sizeof buf, "FFmpeg error %d", err);
  return buf;
}

void configure_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_max_alloc(kMaxFfmpegAlloc);
    const char* env = std::getenv("PARLEY_FFMPEG_LOG");
    if (env && std::strcmp(env, "1") == 0) return;  // keep FFmpeg's default stderr logging
    av_log_set_callback(log_callback);
  });
}

std::string take_last_message() {
  std::string m;
  m.swap(t_last_message);
  return m;
}

void clear_last_message() { t_last_message.clear(); }

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) fail(ErrorKind::Internal, "out of memory (FFmpeg frame)");
  return f;
}

IoContextPtr make_io(void* opaque, ReadFn read, WriteFn write, SeekFn seek) {
  constexpr int kBufferSize = 1 << 16;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  if (!buffer) fail(ErrorKind::Internal, "out of memory (FFmpeg I/O buffer)");
  AVIOContext* io = avio_alloc_context(buffer, kBufferSize, write ? 1 : 0, opaque, read, write, seek);
  if (!io) {
    av_free(buffer);
    fail(ErrorKind::Internal, "out of memory (FFmpeg I/O context)");
  }
  return IoContextPtr(io);
}

int64_t seek_in_buffer(int64_t& pos, int64_t size, int64_t offset, int whence) {
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return size;
  const int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? pos : whence == SEEK_END ? size : -1;
  if (base < 0 || offset < -base || offset > size - base) return AVERROR(EINVAL);
  pos = base + offset;
  return pos;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) fail(ErrorKind::Internal, "out of memory (FFmpeg packet)");
  return p;
}

}  // namespace parley::audio::av
