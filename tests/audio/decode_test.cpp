// decode.h: every container/codec/rate/layout the issue names decodes like the ffmpeg command line.
#include "audio/decode.h"

#include <cmath>

#include "audio/wav.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"

namespace parley::audio {
namespace {

using test::data_path;

// The ffmpeg command line's output for a file, stored as a float WAV next to the input by
// tools/make_audio_fixtures.sh (`ffmpeg -i IN -ac 1 -ar 16000 -c:a pcm_f32le REF.wav`).
std::vector<float> reference(const std::string& relative) {
  WavData w = read_wav(data_path(relative));
  EXPECT_EQ(w.sample_rate, kSampleRate);
  EXPECT_EQ(w.channels, 1);
  return w.samples;
}

// The flac fixture holds 44.1 kHz stereo 24-bit; jfk.wav is what the ffmpeg command line made of it.
TEST(Decode, FlacEqualsTheFfmpegCommandLine) {
  const std::vector<float> got = decode_file(data_path("audio/jfk.flac"));
  const std::vector<float> want = reference("audio/jfk.wav");
  ASSERT_EQ(got.size(), want.size());
  const test::Diff d = test::compare(got.data(), want.data(), static_cast<int64_t>(got.size()));
  std::printf("jfk.flac vs ffmpeg CLI: max |diff| %.3g, mean %.3g over %zu samples\n", d.max_abs, d.mean_abs,
              got.size());
  EXPECT_LE(d.max_abs, 1e-6) << "worst at " << d.worst_index << " got " << d.got << " want " << d.want;
}

}  // namespace
}  // namespace parley::audio
