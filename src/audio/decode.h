// Audio input: any file FFmpeg can read, as 16 kHz mono float samples.
//
// The reference pipeline reads audio through the ffmpeg command line
// (`ffmpeg -i IN -ac 1 -ar 16000 -f f32le -`), so decoding here uses FFmpeg's libraries with the same
// defaults the command line uses: the decoder's own output (encoder delay and padding removed),
// libswresample's default downmix matrix and resampling filter, float output. On the test recording
// (jfk.flac, 44.1 kHz stereo 24-bit) the result equals the command line's sample for sample.
//
// The duration of the audio is samples.size() / kSampleRate.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace parley::audio {

// Whisper's, SpeechT5's and HiFi-GAN's sample rate, and the rate decoding produces.
constexpr int kSampleRate = 16000;

// Decoding stops with Error(TooLarge) once the output passes this many seconds unless the caller
// asks for another limit: 4 hours is ~920 MB of float samples, more than any sane request, and it
// keeps a small hostile file (e.g. a WAV header claiming 1 Hz audio) from exhausting memory.
constexpr double kDefaultMaxSeconds = 4 * 3600.0;

// Decodes the first audio stream of a file, downmixed to mono and resampled to kSampleRate.
//
// Accepted containers are the common audio ones (WAV/W64/RF64, FLAC, MP3, Ogg (Vorbis, Opus, FLAC,
// Speex), Matroska/WebM, MP4/M4A/3GP/MOV, ADTS/LATM AAC, AIFF, CAF, AU, AMR, AC-3/E-AC-3, DTS, ASF/WMA,
// AVI, FLV, MPEG-PS/TS, WavPack, APE, TTA, TAK, Musepack, ...) with any audio codec FFmpeg decodes.
// Containers that make FFmpeg open other files or URLs (playlists like HLS/DASH, concat lists, image
// sequences, SDP/RTSP) are refused, and nothing is ever opened besides the input itself, so hostile
// uploads cannot reach the file system or the network.
//
// Non-finite samples (NaN or infinity, possible only in float formats) are replaced by 0 before
// resampling: a single bad value would otherwise spread over the resampling filter and turn every
// log-mel frame into NaN. Isolated undecodable packets are skipped as FFmpeg does; more than 5% of
// them, or audio shorter than its header declares (a truncated file), is an error.
//
// Errors (parley::Error, one line naming the input):
//   NotFound          the file does not exist
//   BadInput          empty file, truncated or corrupt audio, no audio stream, no samples decoded,
//                     a sample rate or channel count outside 1 kHz..768 kHz / 1..64
//   UnsupportedMedia  not a format Parley reads (e.g. a text file), or no decoder for the codec
//   TooLarge          more than `max_seconds` of audio
std::vector<float> decode_file(const std::filesystem::path& path, double max_seconds = kDefaultMaxSeconds);

// The same from bytes in memory (an HTTP upload); `name` stands for the input in error messages and
// its extension, if any, helps FFmpeg recognise headerless formats (.mp3, .aac) like a file name does.
std::vector<float> decode_bytes(std::string_view bytes, const std::string& name,
                                double max_seconds = kDefaultMaxSeconds);

}  // namespace parley::audio
