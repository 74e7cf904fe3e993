// Compressed output through libavcodec encoders and libavformat muxers writing to memory.
#include "audio/encode.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "audio/av_util.h"
#include "audio/wav.h"
#include "core/error.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace parley::audio {

namespace {

struct FormatSpec {
  const char* name;
  const char* muxer;    // libavformat output format
  const char* encoder;  // preferred encoder (FFmpeg's default for the codec otherwise)
  AVCodecID codec;
  int64_t bit_rate;     // 0: the encoder's default (lossless)
  const char* mime;
};

// Bit rates for speech at 16 kHz mono: transparent for synthetic speech, a fraction of PCM's 256 kb/s.
const FormatSpec kCompressed[] = {
    {"flac", "flac", "flac", AV_CODEC_ID_FLAC, 0, "audio/flac"},
    {"mp3", "mp3", "libmp3lame", AV_CODEC_ID_MP3, 64000, "audio/mpeg"},
    {"opus", "ogg", "libopus", AV_CODEC_ID_OPUS, 32000, "audio/ogg"},
    {"aac", "adts", "aac", AV_CODEC_ID_AAC, 64000, "audio/aac"},
};

const FormatSpec* find_spec(const std::string& format) {
  for (const FormatSpec& s : kCompressed)
    if (format == s.name) return &s;
  return nullptr;
}

[[noreturn]] void encode_failed(const std::string& format, const char* step, int err) {
  std::string detail = av::take_last_message();
  if (detail.empty()) detail = av::error_string(err);
  fail(ErrorKind::Internal, "cannot encode " + format + " audio: " + step + " failed (FFmpeg: " + detail + ")");
}

// Output bytes in memory, seekable so that muxers can finish their headers (FLAC's STREAMINFO,
// MP3's Xing frame) after the last packet.
struct MemoryWriter {
  std::string bytes;
  int64_t pos = 0;
};

int write_packet(void* opaque, av::WriteBuffer buf, int size) {
  auto* w = static_cast<MemoryWriter*>(opaque);
  if (size <= 0) return 0;
  const size_t end = static_cast<size_t>(w->pos) + static_cast<size_t>(size);
  if (end > w->bytes.size()) w->bytes.resize(end);
  std::memcpy(w->bytes.data() + w->pos, buf, static_cast<size_t>(size));
  w->pos = static_cast<int64_t>(end);
  return size;
}

int64_t seek_writer(void* opaque, int64_t offset, int whence) {
  auto* w = static_cast<MemoryWriter*>(opaque);
  return av::seek_in_buffer(w->pos, static_cast<int64_t>(w->bytes.size()), offset, whence);
}

// The rate to encode at: `rate` itself when the encoder takes it, else the nearest it takes above,
// else its highest.
int pick_rate(const AVCodec* codec, int rate) {
  if (!codec->supported_samplerates) return rate;
  int above = 0, highest = 0;
  for (const int* r = codec->supported_samplerates; *r; ++r) {
    if (*r == rate) return rate;
    if (*r > rate && (above == 0 || *r < above)) above = *r;
    highest = std::max(highest, *r);
  }
  return above ? above : highest;
}

// Float if the encoder takes it (no conversion loss), else 16-bit integer. For mono, planar and
// packed layouts are the same bytes.
AVSampleFormat pick_sample_format(const AVCodec* codec) {
  const AVSampleFormat preferred[] = {AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S16P};
  for (AVSampleFormat want : preferred) {
    if (!codec->sample_fmts) return want;
    for (const AVSampleFormat* f = codec->sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f)
      if (*f == want) return want;
  }
  return AV_SAMPLE_FMT_NONE;
}

std::vector<float> resample_mono(std::span<const float> samples, int from, int to, const std::string& format) {
  if (samples.size() > static_cast<size_t>(std::numeric_limits<int>::max() / 4))
    fail(ErrorKind::TooLarge, "audio too long to encode as " + format);
  // NaN would spread over the filter's taps: zero it first, as the encoder does.
  std::vector<float> x(samples.begin(), samples.end());
  for (float& v : x)
    if (!std::isfinite(v)) v = 0.0f;
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw = nullptr;
  int ret = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, to, &mono, AV_SAMPLE_FMT_FLT, from, 0, nullptr);
  av::SwrPtr swr(raw);
  if (ret >= 0) ret = swr_init(raw);
  if (ret < 0) encode_failed(format, "resampling", ret);
  std::vector<float> out(static_cast<size_t>(swr_get_out_samples(raw, static_cast<int>(x.size()))) + 1);
  const uint8_t* in = reinterpret_cast<const uint8_t*>(x.data());
  auto* dst = reinterpret_cast<uint8_t*>(out.data());
  int n = swr_convert(raw, &dst, static_cast<int>(out.size()), &in, static_cast<int>(x.size()));
  if (n < 0) encode_failed(format, "resampling", n);
  size_t total = static_cast<size_t>(n);
  for (;;) {  // flush the filter's tail
    const int room = swr_get_out_samples(raw, 0);
    if (room <= 0) break;
    out.resize(total + static_cast<size_t>(room));
    dst = reinterpret_cast<uint8_t*>(out.data() + total);
    n = swr_convert(raw, &dst, room, nullptr, 0);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  out.resize(total);
  return out;
}

// One encoding run: encoder, muxer and the memory they write to.
class Encoder {
 public:
  Encoder(const FormatSpec& spec, int sample_rate) : spec_(spec) {
    const AVCodec* codec = avcodec_find_encoder_by_name(spec.encoder);
    if (!codec) codec = avcodec_find_encoder(spec.codec);
    if (!codec) fail(ErrorKind::UnsupportedMedia, std::string("this FFmpeg build has no ") + spec.name + " encoder");
    codec_ = codec;
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) fail(ErrorKind::Internal, "out of memory (FFmpeg encoder)");
    ctx_->sample_fmt = pick_sample_format(codec);
    if (ctx_->sample_fmt == AV_SAMPLE_FMT_NONE) encode_failed(spec.name, "choosing a sample format", AVERROR(EINVAL));
    ctx_->sample_rate = pick_rate(codec, sample_rate);
    ctx_->time_base = AVRational{1, ctx_->sample_rate};
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    av_channel_layout_copy(&ctx_->ch_layout, &mono);
    if (spec.bit_rate > 0) ctx_->bit_rate = spec.bit_rate;

    AVFormatContext* oc = nullptr;
    if (avformat_alloc_output_context2(&oc, nullptr, spec.muxer, nullptr) < 0 || !oc)
      encode_failed(spec.name, "creating the muxer", AVERROR_MUXER_NOT_FOUND);
    oc_.reset(oc);
    if (oc_->oformat->flags & AVFMT_GLOBALHEADER) ctx_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    // No room reserved for tags (the FLAC muxer would add 8 KB of padding to every answer).
    oc_->metadata_header_padding = 0;
    int ret = avcodec_open2(ctx_.get(), codec, nullptr);
    if (ret < 0) encode_failed(spec.name, "opening the encoder", ret);

    io_ = av::make_io(&out_, nullptr, write_packet, seek_writer);
    oc_->pb = io_.get();
    stream_ = avformat_new_stream(oc_.get(), nullptr);
    if (!stream_) fail(ErrorKind::Internal, "out of memory (FFmpeg stream)");
    ret = avcodec_parameters_from_context(stream_->codecpar, ctx_.get());
    if (ret < 0) encode_failed(spec.name, "setting the stream parameters", ret);
    stream_->time_base = ctx_->time_base;
    ret = avformat_write_header(oc_.get(), nullptr);
    if (ret < 0) encode_failed(spec.name, "writing the header", ret);
  }
  int rate() const { return ctx_->sample_rate; }

  std::string run(std::span<const float> x) {
    const bool variable = codec_->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE;
    const bool small_last = codec_->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME;
    const int64_t frame_size = (ctx_->frame_size > 0 && !variable) ? ctx_->frame_size : 4096;
    auto frame = av::make_frame();
    const int64_t n = static_cast<int64_t>(x.size());
    for (int64_t at = 0; at < n; at += frame_size) {
      const int64_t take = std::min(frame_size, n - at);
      const int64_t size = (take < frame_size && !variable && !small_last) ? frame_size : take;  // pad with silence
      fill_frame(frame.get(), x.subspan(static_cast<size_t>(at), static_cast<size_t>(take)), size, at);
      send(frame.get());
      av_frame_unref(frame.get());
    }
    send(nullptr);
    const int ret = av_write_trailer(oc_.get());
    if (ret < 0) encode_failed(spec_.name, "finishing the file", ret);
    avio_flush(io_.get());
    return std::move(out_.bytes);
  }

 private:
  void fill_frame(AVFrame* frame, std::span<const float> x, int64_t size, int64_t pts) {
    frame->nb_samples = static_cast<int>(size);
    frame->format = ctx_->sample_fmt;
    frame->sample_rate = ctx_->sample_rate;
    av_channel_layout_copy(&frame->ch_layout, &ctx_->ch_layout);
    frame->pts = pts;
    if (av_frame_get_buffer(frame, 0) < 0) fail(ErrorKind::Internal, "out of memory (audio frame)");
    const auto fmt = av_get_packed_sample_fmt(ctx_->sample_fmt);
    for (int64_t i = 0; i < size; ++i) {
      const float v = i < static_cast<int64_t>(x.size()) ? x[static_cast<size_t>(i)] : 0.0f;
      if (fmt == AV_SAMPLE_FMT_FLT) {
        reinterpret_cast<float*>(frame->data[0])[i] = std::isfinite(v) ? v : 0.0f;
      } else {
        reinterpret_cast<int16_t*>(frame->data[0])[i] = to_pcm16(v);
      }
    }
  }

  // Sends one frame (nullptr: end of stream) and writes every packet the encoder has ready.
  void send(const AVFrame* frame) {
    int ret = avcodec_send_frame(ctx_.get(), frame);
    if (ret < 0) encode_failed(spec_.name, "encoding", ret);
    auto packet = av::make_packet();
    for (;;) {
      ret = avcodec_receive_packet(ctx_.get(), packet.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret < 0) encode_failed(spec_.name, "encoding", ret);
      av_packet_rescale_ts(packet.get(), ctx_->time_base, stream_->time_base);
      packet->stream_index = stream_->index;
      ret = av_interleaved_write_frame(oc_.get(), packet.get());  // takes the packet's reference
      if (ret < 0) encode_failed(spec_.name, "writing", ret);
    }
  }

  const FormatSpec& spec_;
  const AVCodec* codec_ = nullptr;
  av::CodecContextPtr ctx_;
  MemoryWriter out_;
  av::IoContextPtr io_;  // declared before oc_: the muxer writes through it until freed
  av::OutputFormatPtr oc_;
  AVStream* stream_ = nullptr;
};

}  // namespace

const std::vector<std::string>& encode_formats() {
  static const std::vector<std::string> names = {"wav", "pcm", "flac", "mp3", "opus", "aac"};
  return names;
}

std::string content_type(const std::string& format) {
  if (format == "wav") return "audio/wav";
  if (format == "pcm") return "audio/pcm";
  if (const FormatSpec* s = find_spec(format)) return s->mime;
  return "application/octet-stream";
}

std::vector<float> resample(std::span<const float> samples, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0)
    invalid_argument("sample rates must be positive, got " + std::to_string(from_rate) + " and " + std::to_string(to_rate));
  if (from_rate == to_rate || samples.empty()) return {samples.begin(), samples.end()};
  av::configure_ffmpeg();
  return resample_mono(samples, from_rate, to_rate, std::to_string(to_rate) + " Hz audio");
}

std::string encode_audio(std::span<const float> samples, int sample_rate, const std::string& format) {
  if (sample_rate <= 0) invalid_argument("sample rate must be positive, got " + std::to_string(sample_rate));
  // WAV and raw PCM can hold nothing (speech that says nothing: silence in, silence out); compressed
  // formats cannot (some muxers write files their demuxers refuse).
  if (format == "wav") return encode_wav(samples, sample_rate, SampleFormat::Pcm16);
  if (format == "pcm") return encode_pcm16(samples);
  if (samples.empty()) invalid_argument("no audio samples to encode");
  const FormatSpec* spec = find_spec(format);
  if (!spec) {
    std::string list;
    for (const std::string& f : encode_formats()) list += (list.empty() ? "" : ", ") + f;
    invalid_argument("unknown audio format '" + format + "' (supported: " + list + ")");
  }
  av::configure_ffmpeg();
  av::clear_last_message();
  Encoder encoder(*spec, sample_rate);
  if (encoder.rate() == sample_rate) return encoder.run(samples);
  const std::vector<float> resampled = resample_mono(samples, sample_rate, encoder.rate(), format);
  return encoder.run(resampled);
}

}  // namespace parley::audio
