// Weights::load_folder's choice of file, and sharded checkpoints (*.index.json).
#include <filesystem>

#include <gtest/gtest.h>

#include "builders.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "weights/weights.h"

namespace parley {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(WeightsFolder, PrefersSafetensorsOverBin) {
  Weights w = Weights::load_folder(test::data_path("models/whisper-tiny-random"));
  EXPECT_TRUE(ends_with(w.source(), "model.safetensors")) << w.source();
  EXPECT_EQ(w.raw("model.encoder.conv1.weight").dtype, DType::F32);
  EXPECT_FALSE(w.has("proj_out.weight"));  // only the .bin has it
}

TEST(WeightsFolder, FallsBackToBin) {
  const fs::path dir = test::temp_dir("weights-bin");
  fs::copy_file(test::data_path("models/hifigan-tiny-random/pytorch_model.bin"), dir / "pytorch_model.bin");
  Weights w = Weights::load_folder(dir);
  EXPECT_TRUE(ends_with(w.source(), "pytorch_model.bin")) << w.source();
  Weights st = Weights::load(test::data_path("models/hifigan-tiny-random/model.safetensors"));
  EXPECT_EQ(w.names(), st.names());
}

TEST(WeightsFolder, NoWeightsIsAClearError) {
  const fs::path dir = test::temp_dir("weights-none");
  const std::string msg = test::bad_model_message([&] { Weights::load_folder(dir); });
  EXPECT_NE(msg.find("no weights in"), std::string::npos) << msg;
}

// Two safetensors shards holding a, b (first) and c (second), and the index that maps them.
fs::path write_sharded(const std::string& tag) {
  const fs::path dir = test::temp_dir(tag);
  write_file_atomic(dir / "model-00001-of-00002.safetensors",
                    test::make_safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                           test::f32_bytes({1, 2, 3})));
  write_file_atomic(dir / "model-00002-of-00002.safetensors",
                    test::make_safetensors(R"({"c":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", test::f32_bytes({4})));
  write_file_atomic(dir / "model.safetensors.index.json",
                    R"({"metadata":{"total_size":16},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
                    R"("b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})");
  return dir;
}

TEST(WeightsFolder, ShardedSafetensors) {
  const fs::path dir = write_sharded("weights-sharded");
  Weights w = Weights::load_folder(dir);
  EXPECT_TRUE(ends_with(w.source(), "model.safetensors.index.json")) << w.source();
  EXPECT_EQ(w.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(w.get("a")[1], 2);
  EXPECT_EQ(w.get("b")[0], 3);
  EXPECT_EQ(w.get("c")[0], 4);
}

TEST(WeightsFolder, ShardedBin) {
  const fs::path dir = test::temp_dir("weights-sharded-bin");
  const auto shard = [](const std::string& name, float v) {
    return test::torch_archive(test::state_dict_pickle({{name, "FloatStorage", "0", 1, 0, {1}, {}}}),
                               {{"0", test::f32_bytes({v})}});
  };
  write_file_atomic(dir / "pytorch_model-00001-of-00002.bin", shard("x", 5));
  write_file_atomic(dir / "pytorch_model-00002-of-00002.bin", shard("y", 6));
  write_file_atomic(dir / "pytorch_model.bin.index.json",
                    R"({"weight_map":{"x":"pytorch_model-00001-of-00002.bin","y":"pytorch_model-00002-of-00002.bin"}})");
  Weights w = Weights::load_folder(dir);
  EXPECT_EQ(w.get("x")[0], 5);
  EXPECT_EQ(w.get("y")[0], 6);
}

TEST(WeightsFolder, IndexThatLies) {
  const fs::path dir = write_sharded("weights-index-lies");
  const fs::path index = dir / "model.safetensors.index.json";
  auto with_map = [&](const std::string& weight_map) {
    write_file_atomic(index, R"({"weight_map":)" + weight_map + "}");
    return test::bad_model_message([&] { Weights::load(index); });
  };
  for (const std::string name :
       {"../model-00001-of-00002.safetensors", "sub/model.safetensors", "/etc/passwd", "..", ".", "",
        "model.safetensors.index.json", "config.json", "a.safetensors\\u0000.json", "..\\\\model.safetensors"}) {
    SCOPED_TRACE(name);
    const std::string msg = with_map(R"({"a":")" + name + R"("})");
    EXPECT_NE(msg.find("is not a plain"), std::string::npos) << msg;
  }
  std::string msg = with_map(R"({"zz":"model-00002-of-00002.safetensors"})");
  EXPECT_NE(msg.find("names tensor 'zz'"), std::string::npos) << msg;
  msg = with_map(R"({"a":3})");
  EXPECT_NE(msg.find("not a file name"), std::string::npos) << msg;
  msg = with_map(R"([1])");
  EXPECT_NE(msg.find("weight_map"), std::string::npos) << msg;
  write_file_atomic(index, "{\"weight_map\": ");
  msg = test::bad_model_message([&] { Weights::load(index); });
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  write_file_atomic(index, R"({"weight_map":{"a":"model-00009-of-00009.safetensors"}})");
  try {
    Weights::load(index);
    ADD_FAILURE() << "a missing shard loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
}

}  // namespace
}  // namespace parley
