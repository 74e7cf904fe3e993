// Loading a Whisper checkpoint: every tensor checked by name and shape, the output projection
// tied or not, and one-line Error(BadModel) for anything that does not fit.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "whisper/generate.h"
#include "whisper/model.h"

namespace parley::whisper {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A miniature Whisper (d_model 8, 2 heads, 4 mels, 3 encoder positions, 40 tokens) written from
// scratch, so each test can break exactly one thing.
struct MiniModel {
  json config = {{"model_type", "whisper"}, {"d_model", 8}, {"encoder_layers", 1}, {"decoder_layers", 2},
                 {"encoder_attention_heads", 2}, {"decoder_attention_heads", 2}, {"encoder_ffn_dim", 12},
                 {"decoder_ffn_dim", 12}, {"num_mel_bins", 4}, {"vocab_size", 40}, {"max_source_positions", 3},
                 {"max_target_positions", 10}, {"activation_function", "gelu"}};
  json generation = {{"decoder_start_token_id", 31}, {"eos_token_id", 30}, {"pad_token_id", 30},
                     {"lang_to_id", {{"<|en|>", 32}, {"<|de|>", 33}}},
                     {"task_to_id", {{"translate", 34}, {"transcribe", 35}}},
                     {"no_timestamps_token_id", 36}, {"suppress_tokens", {1, 2}},
                     {"begin_suppress_tokens", {30}}, {"max_length", 10}};
  std::map<std::string, std::pair<Shape, std::vector<float>>> tensors;

  MiniModel() {
    std::mt19937 rng(5);
    std::normal_distribution<float> n(0.f, 0.3f);
    auto add = [&](const std::string& name, Shape s) {
      std::vector<float> v(shape_numel(s));
      for (float& x : v) x = n(rng);
      tensors[name] = {s, v};
    };
    add("model.encoder.conv1.weight", {8, 4, 3});
    add("model.encoder.conv1.bias", {8});
    add("model.encoder.conv2.weight", {8, 8, 3});
    add("model.encoder.conv2.bias", {8});
    add("model.encoder.embed_positions.weight", {3, 8});
    add("model.decoder.embed_tokens.weight", {40, 8});
    add("model.decoder.embed_positions.weight", {10, 8});
    for (const char* p : {"model.encoder.layer_norm", "model.decoder.layer_norm"}) {
      add(std::string(p) + ".weight", {8});
      add(std::string(p) + ".bias", {8});
    }
    auto attention = [&](const std::string& p) {
      for (const char* m : {"q_proj", "v_proj", "out_proj"}) {
        add(p + "." + m + ".weight", {8, 8});
        add(p + "." + m + ".bias", {8});
      }
      add(p + ".k_proj.weight", {8, 8});
    };
    auto layer = [&](const std::string& p, bool decoder) {
      attention(p + ".self_attn");
      std::vector<std::string> norms = {"self_attn_layer_norm", "final_layer_norm"};
      if (decoder) {
        attention(p + ".encoder_attn");
        norms.push_back("encoder_attn_layer_norm");
      }
      for (const auto& nm : norms) {
        add(p + "." + nm + ".weight", {8});
        add(p + "." + nm + ".bias", {8});
      }
      add(p + ".fc1.weight", {12, 8});
      add(p + ".fc1.bias", {12});
      add(p + ".fc2.weight", {8, 12});
      add(p + ".fc2.bias", {8});
    };
    layer("model.encoder.layers.0", false);
    layer("model.decoder.layers.0", true);
    layer("model.decoder.layers.1", true);
  }

  fs::path write(const std::string& tag) const {
    fs::path dir = test::temp_dir(tag);
    std::ofstream(dir / "config.json") << config.dump();
    std::ofstream(dir / "generation_config.json") << generation.dump();
    json header = json::object();
    std::string data;
    for (const auto& [name, t] : tensors) {
      const size_t begin = data.size();
      data.append(reinterpret_cast<const char*>(t.second.data()), t.second.size() * sizeof(float));
      header[name] = {{"dtype", "F32"}, {"shape", t.first}, {"data_offsets", {begin, data.size()}}};
    }
    std::string h = header.dump();
    uint64_t n = h.size();
    std::ofstream f(dir / "model.safetensors", std::ios::binary);
    f.write(reinterpret_cast<const char*>(&n), 8);
    f << h << data;
    return dir;
  }
};

std::string load_error(const fs::path& dir) {
  try {
    WhisperModel::load(dir);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
    return e.what();
  }
  return "(no error)";
}

TEST(WhisperLoad, MiniatureModelLoadsAndGenerates) {
  auto model = WhisperModel::load(MiniModel().write("whisper-mini"));
  Tensor features({4, 6});
  for (int64_t i = 0; i < features.numel(); ++i) features[i] = std::sin(0.7f * i);
  DecoderSession session(model, 2);
  session.set_encoder_states(model->encode(features));
  GenerateOptions o;
  o.language = "de";
  o.max_new_tokens = 6;
  generation::SearchResult greedy = generate(session, make_plan(model->config(), o));
  ASSERT_GE(greedy.tokens.size(), 4u);
  EXPECT_EQ(std::vector<int>(greedy.tokens.begin(), greedy.tokens.begin() + 4), (std::vector<int>{31, 33, 35, 36}));
  EXPECT_LE(greedy.tokens.size(), 7u);
  o.num_beams = 2;
  generation::SearchResult beam = generate(session, make_plan(model->config(), o));
  EXPECT_LE(beam.tokens.size(), 7u);
  EXPECT_LT(beam.score, 0.f);
}

TEST(WhisperLoad, MissingTensorIsNamed) {
  MiniModel m;
  m.tensors.erase("model.decoder.layers.1.fc2.bias");
  std::string e = load_error(m.write("whisper-mini-missing"));
  EXPECT_NE(e.find("model.decoder.layers.1.fc2.bias"), std::string::npos) << e;
  EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
}

TEST(WhisperLoad, WrongShapeIsNamed) {
  MiniModel m;
  m.tensors["model.encoder.conv1.weight"] = {{8, 5, 3}, std::vector<float>(120, 0.f)};
  std::string e = load_error(m.write("whisper-mini-shape"));
  EXPECT_NE(e.find("model.encoder.conv1.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("[8, 5, 3]"), std::string::npos) << e;
}

TEST(WhisperLoad, UnexpectedTensorIsNamed) {
  MiniModel m;
  m.tensors["model.decoder.layers.2.fc1.weight"] = {{12, 8}, std::vector<float>(96, 0.f)};
  std::string e = load_error(m.write("whisper-mini-extra"));
  EXPECT_NE(e.find("model.decoder.layers.2.fc1.weight"), std::string::npos) << e;
}

TEST(WhisperLoad, UntiedOutputProjectionIsUsedWhenPresent) {
  MiniModel m;
  fs::path tied_dir = m.write("whisper-mini-tied");
  auto tied = WhisperModel::load(tied_dir);
  m.tensors["proj_out.weight"] = {{40, 8}, std::vector<float>(320, 0.f)};  // all logits 0
  auto untied = WhisperModel::load(m.write("whisper-mini-untied"));
  Tensor features({4, 6});
  for (int64_t i = 0; i < features.numel(); ++i) features[i] = 0.1f * i;
  const std::vector<int> sot = {31};
  DecoderSession a(tied), b(untied);
  a.set_encoder_states(tied->encode(features));
  b.set_encoder_states(untied->encode(features));
  const Tensor& la = a.decode(sot, 1);
  const Tensor& lb = b.decode(sot, 1);
  float max_a = 0, max_b = 0;
  for (int i = 0; i < 40; ++i) {
    max_a = std::max(max_a, std::fabs(la[i]));
    max_b = std::max(max_b, std::fabs(lb[i]));
  }
  EXPECT_GT(max_a, 0.f);
  EXPECT_EQ(max_b, 0.f);
}

TEST(WhisperLoad, FolderWithoutWeights) {
  fs::path dir = MiniModel().write("whisper-mini-noweights");
  fs::remove(dir / "model.safetensors");
  EXPECT_NE(load_error(dir).find("no weights"), std::string::npos);
}

TEST(WhisperLoad, FeaturesNeedTwiceTheEncoderPositions) {
  auto model = WhisperModel::load(MiniModel().write("whisper-mini-frames"));
  EXPECT_EQ(model->config().feature_frames, 6);
  EXPECT_THROW(model->encode(Tensor({4, 5})), Error);
}

TEST(WhisperLoad, TokenLimitBeyondTheDecoderIsAUsageError) {
  auto model = WhisperModel::load(MiniModel().write("whisper-mini-limit"));
  GenerateOptions o;
  o.language = "en";
  o.max_new_tokens = 10;  // 1 + 10 = 11 = max_target_positions + 1: the last token needs no position
  DecoderSession session(model);
  session.set_encoder_states(model->encode(Tensor({4, 6})));
  EXPECT_NO_THROW(generate(session, make_plan(model->config(), o)));
  o.max_new_tokens = 11;
  try {
    make_plan(model->config(), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
}

}  // namespace
}  // namespace parley::whisper
