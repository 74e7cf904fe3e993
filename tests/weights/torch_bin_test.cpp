// The .bin reader on files written by torch.save itself: the fixtures' checkpoints (against their
// safetensors twins) and the small cases from tools/make_torch_bin_cases.py (against the values
// torch reads back, in expected.json).
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "builders.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "weights/weights.h"

namespace parley {
namespace {

using test::data_path;

// Exact equality of every element (the .bin values are the safetensors values, or their fp16
// rounding, which converts back exactly).
void expect_identical(const Tensor& got, const Tensor& want, const std::string& name) {
  ASSERT_EQ(got.shape(), want.shape()) << name;
  const test::Diff d = test::compare(got.data(), want.data(), got.numel());
  EXPECT_EQ(d.max_abs, 0.0) << name << ": element " << d.worst_index << " is " << d.got << ", want " << d.want;
}

int64_t raw_i64(const RawTensor& r, int64_t i) {
  int64_t v;
  std::memcpy(&v, r.data + 8 * i, 8);
  return v;
}

// tools/make_whisper_torch_bin.py: torch.save of the safetensors file's bfloat16 tensors.
TEST(TorchBin, WhisperBfloat16BinMatchesSafetensors) {
  const auto dir = data_path("models/whisper-v3-random");
  Weights bin = Weights::load(dir / "pytorch_model.bin");
  Weights st = Weights::load(dir / "model.safetensors");
  ASSERT_EQ(bin.names().size(), st.names().size() + 1);  // + proj_out.weight
  for (const auto& name : st.names()) {
    ASSERT_TRUE(bin.has(name)) << name;
    EXPECT_EQ(bin.raw(name).dtype, DType::BF16) << name;
    expect_identical(bin.get(name), st.get(name), name);
  }
  // The .bin spells out the tied output projection that the safetensors file leaves implicit.
  expect_identical(bin.get("proj_out.weight"), st.get("model.decoder.embed_tokens.weight"), "proj_out.weight");
}

void expect_float32_twins(const std::string& model) {
  const auto dir = data_path("models/" + model);
  Weights bin = Weights::load(dir / "pytorch_model.bin");
  Weights st = Weights::load(dir / "model.safetensors");
  ASSERT_EQ(bin.names(), st.names());
  int counters = 0;
  for (const auto& name : st.names()) {
    const RawTensor& r = bin.raw(name);
    if (name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0) {
      // int64 in the .bin, F32 in the safetensors file (FIXTURES.md)
      ASSERT_EQ(r.dtype, DType::I64) << name;
      ASSERT_EQ(r.shape, Shape{}) << name;
      EXPECT_EQ(static_cast<float>(raw_i64(r, 0)), st.get(name)[0]) << name;
      ++counters;
      continue;
    }
    EXPECT_EQ(r.dtype, DType::F32) << name;
    expect_identical(bin.get(name), st.get(name), name);
  }
  if (model == "speecht5-tiny-random") {
    EXPECT_GT(counters, 0);
  }
}

TEST(TorchBin, SpeechT5BinMatchesSafetensors) { expect_float32_twins("speecht5-tiny-random"); }
TEST(TorchBin, HifiganBinMatchesSafetensors) { expect_float32_twins("hifigan-tiny-random"); }

TEST(TorchBin, TensorsPointIntoTheMappedFile) {
  // Zero-copy: float32 tensors wrap the file's bytes (64-byte aligned by torch.save).
  Weights bin = Weights::load(data_path("models/hifigan-tiny-random/pytorch_model.bin"));
  const RawTensor& r = bin.raw("conv_pre.weight");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(r.data) % 64, 0u);
  EXPECT_EQ(bin.get("conv_pre.weight").data(), reinterpret_cast<const float*>(r.data));
}

// ---- small torch.save files against the values torch reads back

const nlohmann::json& expected_cases() {
  static const nlohmann::json j = nlohmann::json::parse(read_file(data_path("weights/torch_bin/expected.json")));
  return j;
}

double raw_value(const RawTensor& r, int64_t i) {
  const uint8_t* p = r.data + i * static_cast<int64_t>(dtype_size(r.dtype));
  auto load = [p](auto v) {
    std::memcpy(&v, p, sizeof v);
    return static_cast<double>(v);
  };
  switch (r.dtype) {
    case DType::I64: return load(int64_t{});
    case DType::I32: return load(int32_t{});
    case DType::I16: return load(int16_t{});
    case DType::I8: return load(int8_t{});
    case DType::U8: case DType::Bool: return load(uint8_t{});
    default: return 0;
  }
}

void expect_case(const std::string& file) {
  SCOPED_TRACE(file);
  Weights w = Weights::load(data_path("weights/torch_bin/" + file));
  const nlohmann::json& want = expected_cases().at(file);
  ASSERT_EQ(w.names().size(), want.size());
  for (const auto& [name, t] : want.items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(w.has(name));
    const RawTensor& r = w.raw(name);
    EXPECT_EQ(dtype_name(r.dtype), t["dtype"].get<std::string>());
    ASSERT_EQ(r.shape, t["shape"].get<Shape>());
    const auto& values = t["values"];
    ASSERT_EQ(r.nbytes, values.size() * dtype_size(r.dtype));
    const bool is_float = r.dtype == DType::F32 || r.dtype == DType::F16 || r.dtype == DType::BF16 || r.dtype == DType::F64;
    if (is_float) {
      Tensor got = w.get(name);
      for (size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(got[static_cast<int64_t>(i)], static_cast<float>(values[i].get<double>())) << "element " << i;
    } else {
      for (size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(raw_value(r, static_cast<int64_t>(i)), values[i].get<double>()) << "element " << i;
    }
  }
}

TEST(TorchBin, EveryDtypeTorchWrites) { expect_case("dtypes.bin"); }
TEST(TorchBin, ViewsOffsetsAndStrides) { expect_case("views.bin"); }
TEST(TorchBin, ParametersSavedWithKeepVars) { expect_case("parameters.bin"); }
TEST(TorchBin, PickleProtocol4) { expect_case("protocol4.bin"); }
TEST(TorchBin, DeflatedEntriesAreInflated) { expect_case("deflated.bin"); }

TEST(TorchBin, ContiguousViewsShareTheirStorage) {
  Weights w = Weights::load(data_path("weights/torch_bin/views.bin"));
  // base is 6x5 float32; tail = base[3:] starts 15 elements in, row = base[2] 10 elements in
  EXPECT_EQ(w.raw("tail").data, w.raw("base").data + 15 * 4);
  EXPECT_EQ(w.raw("row").data, w.raw("base").data + 10 * 4);
}

TEST(TorchBin, LegacyFormatIsNamed) {
  const std::string msg = test::bad_model_message([] { Weights::load(data_path("weights/torch_bin/legacy.bin")); });
  EXPECT_NE(msg.find("legacy format"), std::string::npos) << msg;
}

// Globals that torch.load would import and call. Nothing may run: the payloads would create
// /tmp/parley-pwned-by-pickle.
TEST(TorchBin, CodeExecutingGlobalsAreRefused) {
  const std::filesystem::path marker = "/tmp/parley-pwned-by-pickle";
  std::filesystem::remove(marker);
  const std::pair<const char*, const char*> cases[] = {
      {"os_system.bin", "'posix.system'"},
      {"builtins_eval.bin", "__builtin__.eval'"},
      {"numpy_array.bin", "'numpy."},
  };
  for (const auto& [file, global] : cases) {
    const std::string msg = test::bad_model_message([&] { Weights::load(data_path(std::string("weights/torch_bin/") + file)); });
    EXPECT_NE(msg.find(global), std::string::npos) << msg;
    EXPECT_NE(msg.find(file), std::string::npos) << msg;  // names the file
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(TorchBin, MissingAndEmptyFiles) {
  const auto dir = test::temp_dir("torchbin-files");
  try {
    read_torch_bin(dir / "nope.bin");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
  write_file_atomic(dir / "empty.bin", "");
  const std::string msg = test::bad_model_message([&] { read_torch_bin(dir / "empty.bin"); });
  EXPECT_NE(msg.find("not a zip archive"), std::string::npos) << msg;
  write_file_atomic(dir / "text.bin", "this is a text file, not a checkpoint\n");
  test::bad_model_message([&] { read_torch_bin(dir / "text.bin"); });
}

}  // namespace
}  // namespace parley
