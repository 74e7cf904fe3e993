// Decoding with libavformat/libavcodec over an in-memory AVIOContext, then libswresample to 16 kHz mono.
//
// The ffmpeg command line (`-ac 1 -ar 16000`) auto-inserts one `aresample` filter that converts the
// decoder's frames (any sample format, layout and rate) straight to mono float at 16 kHz with
// libswresample's defaults, flushing it at the end of the stream. A SwrContext with the same input and
// output parameters and no options set does exactly that conversion, so the samples agree with the
// command line's.
#include "audio/decode.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "audio/av_util.h"
#include "audio/wav.h"
#include "core/error.h"
#include "core/files.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace parley::audio {

namespace {

// Demuxers accepted for input: audio containers, and video containers that carry audio tracks.
// Anything else (playlists, concat lists, image sequences, subtitles, devices, network sessions) is
// refused: they either open further files/URLs or have no audio, and each extra parser is attack surface.
constexpr const char* kFormatWhitelist =
    "wav,w64,flac,mp3,ogg,matroska,webm,mov,mp4,m4a,3gp,3g2,aac,loas,aiff,caf,au,amr,amrnb,amrwb,"
    "ac3,eac3,dts,dtshd,truehd,mlp,asf,avi,flv,mpeg,mpegts,wv,ape,tta,tak,mpc,mpc8,voc,shn,dsf,oma,"
    "xwma,nistsphere,sox,ircam,qcp,gsm,codec2";

constexpr int kMinRate = 1000, kMaxRate = 768000, kMaxChannels = 64;

[[noreturn]] void fail_with_ffmpeg(ErrorKind kind, const std::string& message, int err = 0) {
  std::string detail = av::take_last_message();
  if (detail.empty() && err != 0) detail = av::error_string(err);
  fail(kind, detail.empty() ? message : message + " (FFmpeg: " + detail + ")");
}

// The names of every audio decoder FFmpeg has, comma-separated: the codec whitelist that keeps
// avformat_find_stream_info from opening video or subtitle decoders on hostile input.
const std::string& audio_decoder_names() {
  static const std::string names = [] {
    std::string list;
    void* it = nullptr;
    while (const AVCodec* c = av_codec_iterate(&it)) {
      if (c->type != AVMEDIA_TYPE_AUDIO || !av_codec_is_decoder(c)) continue;
      if (!list.empty()) list += ',';
      list += c->name;
    }
    return list;
  }();
  return names;
}

// The input bytes as FFmpeg I/O. Every byte handed out counts against a budget so that a demuxer
// that keeps seeking back and re-reading (a hostile file can make some loop) ends with an error.
struct MemoryReader {
  std::string_view bytes;
  int64_t pos = 0;
  int64_t served = 0;
  int64_t budget = 0;
  bool over_budget = false;
};

int read_packet(void* opaque, uint8_t* buf, int size) {
  auto* r = static_cast<MemoryReader*>(opaque);
  if (r->served > r->budget) {
    r->over_budget = true;
    return AVERROR_EXIT;
  }
  const int64_t left = static_cast<int64_t>(r->bytes.size()) - r->pos;
  if (left <= 0 || size <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(std::min<int64_t>(left, size));
  std::memcpy(buf, r->bytes.data() + r->pos, static_cast<size_t>(n));
  r->pos += n;
  r->served += n;
  return n;
}

int64_t seek(void* opaque, int64_t offset, int whence) {
  auto* r = static_cast<MemoryReader*>(opaque);
  return av::seek_in_buffer(r->pos, static_cast<int64_t>(r->bytes.size()), offset, whence);
}

int interrupted(void* opaque) { return static_cast<MemoryReader*>(opaque)->over_budget ? 1 : 0; }

// Demuxers may ask to open further files or URLs (playlists, references); never allowed.
int refuse_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) { return AVERROR(EPERM); }

// An opened input: the demuxer over a MemoryReader.
class Input {
 public:
  Input(std::string_view bytes, const std::string& name) {
    reader_.bytes = bytes;
    reader_.budget = 32 * static_cast<int64_t>(bytes.size()) + (64 << 20);
    io_ = av::make_io(&reader_, read_packet, nullptr, seek);
    AVFormatContext* fmt = avformat_alloc_context();
    if (!fmt) fail(ErrorKind::Internal, "out of memory (FFmpeg format context)");
    fmt->pb = io_.get();
    fmt->io_open = refuse_open;
    fmt->interrupt_callback.callback = interrupted;
    fmt->interrupt_callback.opaque = &reader_;

    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "format_whitelist", kFormatWhitelist, 0);
    av_dict_set(&opts, "codec_whitelist", audio_decoder_names().c_str(), 0);
    const int ret = avformat_open_input(&fmt, name.c_str(), nullptr, &opts);  // frees fmt on failure
    av_dict_free(&opts);
    if (ret < 0) {
      check_budget(name);
      const std::string what = name + ": not an audio format Parley can read";
      const std::string detail = av::take_last_message();
      // FFmpeg recognised a format outside kFormatWhitelist: its message would list the whole whitelist.
      if (detail.rfind("Format not on whitelist", 0) == 0) fail(ErrorKind::UnsupportedMedia, what);
      fail(ErrorKind::UnsupportedMedia, what + " (FFmpeg: " + (detail.empty() ? av::error_string(ret) : detail) + ")");
    }
    fmt_.reset(fmt);
    av::clear_last_message();
    const int info = avformat_find_stream_info(fmt, nullptr);
    if (info < 0) {
      check_budget(name);
      fail_with_ffmpeg(ErrorKind::BadInput, name + ": cannot read the audio stream parameters", info);
    }
  }

  AVFormatContext* fmt() const { return fmt_.get(); }
  void check_budget(const std::string& name) const {
    if (reader_.over_budget)
      fail(ErrorKind::BadInput, name + ": corrupt media (the demuxer re-read the input without end)");
  }

 private:
  MemoryReader reader_;
  av::IoContextPtr io_;       // declared before fmt_: the demuxer reads through it until closed
  av::InputFormatPtr fmt_;
};

bool is_float_format(int format) {
  const auto f = av_get_packed_sample_fmt(static_cast<AVSampleFormat>(format));
  return f == AV_SAMPLE_FMT_FLT || f == AV_SAMPLE_FMT_DBL;
}

// Replaces NaN and infinities in a decoded float frame by 0 (see decode.h for why).
template <typename T>
bool sanitize_plane(T* p, int64_t n, bool write) {
  bool found = false;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) {
      found = true;
      if (!write) return true;
      p[i] = 0;
    }
  }
  return found;
}

void sanitize_frame(AVFrame* frame) {
  if (!is_float_format(frame->format)) return;
  const bool planar = av_sample_fmt_is_planar(static_cast<AVSampleFormat>(frame->format));
  const bool dbl = av_get_packed_sample_fmt(static_cast<AVSampleFormat>(frame->format)) == AV_SAMPLE_FMT_DBL;
  const int channels = frame->ch_layout.nb_channels;
  const int planes = planar ? channels : 1;
  const int64_t per_plane = static_cast<int64_t>(frame->nb_samples) * (planar ? 1 : channels);
  for (int pass = 0; pass < 2; ++pass) {  // pass 0 looks, pass 1 (only if needed) writes
    bool found = false;
    for (int c = 0; c < planes; ++c) {
      found |= dbl ? sanitize_plane(reinterpret_cast<double*>(frame->extended_data[c]), per_plane, pass == 1)
                   : sanitize_plane(reinterpret_cast<float*>(frame->extended_data[c]), per_plane, pass == 1);
    }
    if (!found) return;
    if (pass == 0 && av_frame_make_writable(frame) < 0) fail(ErrorKind::Internal, "out of memory (audio frame)");
  }
}

// Converts decoded frames to 16 kHz mono float, re-creating the resampler when the stream changes
// its sample rate, format or channel layout mid-way (the old one is flushed first).
class Resampler {
 public:
  Resampler(const std::string& name, int64_t max_samples, double max_seconds)
      : name_(name), max_samples_(max_samples), max_seconds_(max_seconds) {}
  ~Resampler() { av_channel_layout_uninit(&layout_); }

  void push(AVFrame* frame, std::vector<float>& out) {
    const int channels = frame->ch_layout.nb_channels;
    if (frame->sample_rate < kMinRate || frame->sample_rate > kMaxRate)
      fail(ErrorKind::BadInput, name_ + ": unsupported sample rate " + std::to_string(frame->sample_rate) + " Hz");
    if (channels < 1 || channels > kMaxChannels)
      fail(ErrorKind::BadInput, name_ + ": unsupported channel count " + std::to_string(channels));
    if (!swr_ || frame->sample_rate != rate_ || frame->format != format_ ||
        av_channel_layout_compare(&frame->ch_layout, &layout_) != 0) {
      flush(out);
      configure(frame);
    }
    sanitize_frame(frame);
    convert(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples, out);
  }

  void flush(std::vector<float>& out) {
    if (swr_) convert(nullptr, 0, out);
  }

 private:
  void configure(const AVFrame* frame) {
    av_channel_layout_uninit(&layout_);
    if (av_channel_layout_copy(&layout_, &frame->ch_layout) < 0) fail(ErrorKind::Internal, "out of memory");
    rate_ = frame->sample_rate;
    format_ = frame->format;
    // Unknown or custom channel orders get the default layout for their count, as the command line does.
    AVChannelLayout in{};
    if (frame->ch_layout.order == AV_CHANNEL_ORDER_NATIVE) {
      av_channel_layout_copy(&in, &frame->ch_layout);
    } else {
      av_channel_layout_default(&in, frame->ch_layout.nb_channels);
    }
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    SwrContext* s = nullptr;
    int ret = swr_alloc_set_opts2(&s, &mono, AV_SAMPLE_FMT_FLT, kSampleRate, &in,
                                  static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in);
    swr_.reset(s);
    if (ret >= 0) ret = swr_init(s);
    if (ret < 0) {
      swr_.reset();
      fail_with_ffmpeg(ErrorKind::BadInput, name_ + ": cannot convert this audio to 16 kHz mono", ret);
    }
  }

  // Appends the resampler's output for `count` input samples (nullptr: flush).
  void convert(const uint8_t** in, int count, std::vector<float>& out) {
    for (;;) {
      const int room = swr_get_out_samples(swr_.get(), count);
      if (room < 0) fail_with_ffmpeg(ErrorKind::Internal, name_ + ": resampling failed", room);
      const size_t old = out.size();
      out.resize(old + static_cast<size_t>(room));
      auto* dst = reinterpret_cast<uint8_t*>(out.data() + old);
      const int n = swr_convert(swr_.get(), &dst, room, in, count);
      if (n < 0) fail_with_ffmpeg(ErrorKind::Internal, name_ + ": resampling failed", n);
      for (size_t i = old; i < old + static_cast<size_t>(n); ++i)
        if (!std::isfinite(out[i])) out[i] = 0;  // huge finite input can overflow the filter
      out.resize(old + static_cast<size_t>(n));
      if (static_cast<int64_t>(out.size()) > max_samples_) too_long();
      if (in != nullptr || n == 0) return;  // a flush repeats until the resampler is empty
    }
  }

  [[noreturn]] void too_long() const {
    fail(ErrorKind::TooLarge, name_ + ": audio is longer than the limit of " + std::to_string(int64_t(max_seconds_)) +
                                  " s");
  }

  std::string name_;
  int64_t max_samples_;
  double max_seconds_;
  av::SwrPtr swr_;
  int rate_ = 0;
  int format_ = -1;
  AVChannelLayout layout_{};
};

// Seconds of audio the container declares for the stream, when it is read from a header (not guessed
// from the bitrate); negative when unknown.
double declared_seconds(const AVFormatContext* fmt, const AVStream* st) {
  if (fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE) return -1;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0 && st->time_base.den > 0 && st->time_base.num > 0)
    return static_cast<double>(st->duration) * av_q2d(st->time_base);
  return -1;
}

struct DecodeStats {
  int64_t packets = 0;
  int64_t bad_packets = 0;
};

// Receives every frame the decoder has ready; counts decoding errors instead of stopping at the first.
void drain(AVCodecContext* ctx, AVFrame* frame, Resampler& rs, std::vector<float>& out, DecodeStats& stats) {
  for (;;) {
    const int ret = avcodec_receive_frame(ctx, frame);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    if (ret < 0) {
      ++stats.bad_packets;
      return;
    }
    rs.push(frame, out);
    av_frame_unref(frame);
  }
}

std::vector<float> decode_memory(std::string_view bytes, const std::string& name, double max_seconds) {
  av::configure_ffmpeg();
  av::clear_last_message();
  if (bytes.empty()) fail(ErrorKind::BadInput, name + ": empty file");
  if (!(max_seconds > 0)) invalid_argument("the audio length limit must be positive");
  if (const int64_t missing = wav_missing_bytes(bytes); missing > 0)
    fail(ErrorKind::BadInput, name + ": truncated WAV file (" + std::to_string(missing) +
                                  " bytes of audio data missing)");
  const int64_t max_samples = static_cast<int64_t>(std::min(max_seconds, 1e9) * kSampleRate);

  Input input(bytes, name);
  AVFormatContext* fmt = input.fmt();
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (index == AVERROR_STREAM_NOT_FOUND) fail(ErrorKind::BadInput, name + ": no audio stream");
  if (index < 0 || !codec) {
    const AVCodecDescriptor* d = nullptr;
    for (unsigned i = 0; i < fmt->nb_streams && !d; ++i)
      if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
        d = avcodec_descriptor_get(fmt->streams[i]->codecpar->codec_id);
    fail(ErrorKind::UnsupportedMedia,
         name + ": no decoder for its audio codec" + (d ? std::string(" (") + d->name + ")" : std::string()));
  }
  AVStream* st = fmt->streams[index];
  for (unsigned i = 0; i < fmt->nb_streams; ++i)
    if (static_cast<int>(i) != index) fmt->streams[i]->discard = AVDISCARD_ALL;

  const double declared = declared_seconds(fmt, st);
  if (declared > max_seconds + 1)
    fail(ErrorKind::TooLarge, name + ": audio is " + std::to_string(int64_t(declared)) + " s long, over the limit of " +
                                  std::to_string(int64_t(max_seconds)) + " s");

  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) fail(ErrorKind::Internal, "out of memory (FFmpeg codec context)");
  if (avcodec_parameters_to_context(ctx.get(), st->codecpar) < 0)
    fail(ErrorKind::BadInput, name + ": invalid audio stream parameters");
  ctx->pkt_timebase = st->time_base;
  ctx->thread_count = 1;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "codec_whitelist", audio_decoder_names().c_str(), 0);
  int ret = avcodec_open2(ctx.get(), codec, &opts);
  av_dict_free(&opts);
  if (ret < 0) fail_with_ffmpeg(ErrorKind::BadInput, name + ": cannot open the " + codec->name + " decoder", ret);

  std::vector<float> out;
  if (declared > 0) out.reserve(static_cast<size_t>(std::min<double>(declared, max_seconds) * kSampleRate) + 1024);
  Resampler rs(name, max_samples, max_seconds);
  DecodeStats stats;
  auto packet = av::make_packet();
  auto frame = av::make_frame();
  const int64_t max_packets = 4 * static_cast<int64_t>(bytes.size()) + 100000;
  int read_error = 0;
  for (;;) {
    ret = av_read_frame(fmt, packet.get());
    if (ret < 0) {
      if (ret != AVERROR_EOF) read_error = ret;
      break;
    }
    if (packet->stream_index == index) {
      if (++stats.packets > max_packets) fail(ErrorKind::BadInput, name + ": corrupt media (too many packets)");
      if (avcodec_send_packet(ctx.get(), packet.get()) < 0) ++stats.bad_packets;
      drain(ctx.get(), frame.get(), rs, out, stats);
    }
    av_packet_unref(packet.get());
  }
  input.check_budget(name);
  avcodec_send_packet(ctx.get(), nullptr);
  drain(ctx.get(), frame.get(), rs, out, stats);
  rs.flush(out);

  if (read_error != 0)
    fail_with_ffmpeg(ErrorKind::BadInput, name + ": corrupt or truncated audio", read_error);
  // Checked before the error count: a cut-off file is best described as truncated.
  const double decoded = static_cast<double>(out.size()) / kSampleRate;
  if (declared > 0 && declared - decoded > 0.25 + 0.02 * declared) {
    char msg[160];
    std::snprintf(msg, sizeof msg, ": truncated or corrupt audio (%.2f s decoded of %.2f s declared)", decoded,
                  declared);
    fail(ErrorKind::BadInput, name + msg);
  }
  if (stats.bad_packets * 20 > stats.packets)
    fail_with_ffmpeg(ErrorKind::BadInput, name + ": corrupt audio (" + std::to_string(stats.bad_packets) + " of " +
                                              std::to_string(stats.packets) + " packets could not be decoded)");
  if (out.empty()) fail_with_ffmpeg(ErrorKind::BadInput, name + ": no audio samples could be decoded");
  out.shrink_to_fit();
  return out;
}

}  // namespace

std::vector<float> decode_file(const std::filesystem::path& path, double max_seconds) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(ErrorKind::NotFound, "audio file not found: " + path.string());
  MappedFile file(path);  // throws for directories and unreadable files
  return decode_memory(file.view(), path.string(), max_seconds);
}

std::vector<float> decode_bytes(std::string_view bytes, const std::string& name, double max_seconds) {
  return decode_memory(bytes, name, max_seconds);
}

}  // namespace parley::audio
