// Internal to src/audio/: small RAII and error helpers around FFmpeg's C libraries, shared by the
// decoder and the encoder. Nothing outside src/audio/ includes this (models never call FFmpeg).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libswresample/swresample.h>
}

namespace parley::audio::av {

// FFmpeg's text for an AVERROR code, e.g. "Invalid data found when processing input".
std::string error_string(int err);

// Sets FFmpeg up for Parley, once per process; every entry point of src/audio/ that calls FFmpeg
// calls it first (idempotent, thread-safe):
// - its log goes through Parley: nothing is printed (a library must not write to stderr), but the
//   last error-level line of the calling thread is kept so that an Error can say what FFmpeg saw.
//   PARLEY_FFMPEG_LOG=1 in the environment prints FFmpeg's own log again (debugging);
// - one FFmpeg allocation may not exceed kMaxFfmpegAlloc. Some demuxers allocate what a header says
//   before reading it (a 92-byte WAV whose LIST chunk claimed 1.1 GB made the WAV demuxer zero that
//   much, fuzz_decode_audio's finding 5): the header now fails instead, as a corrupt file.
void configure_ffmpeg();
constexpr size_t kMaxFfmpegAlloc = 64u << 20;  // far above any packet, frame or tag of real audio
// The last error line FFmpeg logged on this thread since the last call (then cleared); "" if none.
std::string take_last_message();
void clear_last_message();

// Owners with the matching FFmpeg free functions.
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct CodecContextFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct SwrFree {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
// A custom AVIOContext and its buffer (FFmpeg may have replaced the buffer it was given).
struct IoContextFree {
  void operator()(AVIOContext* io) const {
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
};
struct InputFormatFree {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct OutputFormatFree {
  void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFree>;
using SwrPtr = std::unique_ptr<SwrContext, SwrFree>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextFree>;
using InputFormatPtr = std::unique_ptr<AVFormatContext, InputFormatFree>;
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatFree>;

// Callbacks of a custom AVIOContext (FFmpeg 6.1 made the written buffer const).
#if LIBAVFORMAT_VERSION_MAJOR >= 61
using WriteBuffer = const uint8_t*;
#else
using WriteBuffer = uint8_t*;
#endif
using ReadFn = int (*)(void*, uint8_t*, int);
using WriteFn = int (*)(void*, WriteBuffer, int);
using SeekFn = int64_t (*)(void*, int64_t, int);

// An AVIOContext over `opaque` with a fresh buffer, writable when `write` is given; throws
// Error(Internal) when out of memory.
IoContextPtr make_io(void* opaque, ReadFn read, WriteFn write, SeekFn seek);

// The seek callback's arithmetic for a buffer of `size` bytes read/written at `pos`: answers
// AVSEEK_SIZE, moves `pos` for SEEK_SET/CUR/END to a target within [0, size] (checked without
// overflow) and returns it, or returns AVERROR(EINVAL).
int64_t seek_in_buffer(int64_t& pos, int64_t size, int64_t offset, int whence);

FramePtr make_frame();
PacketPtr make_packet();

}  // namespace parley::audio::av
