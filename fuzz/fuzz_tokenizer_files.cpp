// The tokenizer files of the translation and VITS models, as a model folder brings them: the first
// byte picks one file of one fixture (a SentencePiece model, a vocab.json, a tokenizer_config.json),
// the rest replaces its content in a private copy of that fixture; the folder's tokenizer is then
// loaded and, when it loads, made to encode (and, for MT, decode) a fixed multilingual text. Loading
// refuses bad files with a one-line Error; a tokenizer that loads gives ids inside its vocabulary.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common.h"
#include "mt/tokenizer.h"
#include "vits/tokenizer.h"

namespace {

namespace fs = std::filesystem;

struct Target {
  const char* model;
  const char* file;
  bool vits;
};

const Target kTargets[] = {
    {"nllb-tiny-random", "sentencepiece.bpe.model", false}, {"nllb-tiny-random", "tokenizer_config.json", false},
    {"m2m100-tiny-random", "vocab.json", false},           {"m2m100-tiny-random", "sentencepiece.bpe.model", false},
    {"marian-tiny-random", "source.spm", false},           {"marian-tiny-random", "vocab.json", false},
    {"marian-tiny-random", "target.spm", false},           {"vits-tiny-random", "vocab.json", true},
    {"vits-tiny-random", "tokenizer_config.json", true},
};

const char* kText = "Ciao, come stai? Ça va très bien! Привет. 你好。 مرحبا 🙂";

// A private copy of every fixture, made once per process (the fuzzer rewrites one file per input).
const fs::path& work_dir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "parley-fuzz-tokenizers-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    for (const Target& t : kTargets) {
      const fs::path to = fs::path(tmpl) / t.model;
      if (fs::exists(to)) continue;
      fs::create_directories(to);
      for (const auto& e : fs::directory_iterator(parley::fuzz::data_path(std::string("models/") + t.model)))
        if (e.path().filename() != "model.safetensors") fs::copy_file(e.path(), to / e.path().filename());
    }
    return fs::path(tmpl);
  }();
  return dir;
}

void write(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  if (size == 0) return 0;
  const Target& t = kTargets[data[0] % (sizeof kTargets / sizeof kTargets[0])];
  const fs::path folder = work_dir() / t.model;
  const fs::path original = fuzz::data_path(std::string("models/") + t.model + "/" + t.file);
  std::ifstream in(original, std::ios::binary);
  const std::string kept((std::istreambuf_iterator<char>(in)), {});
  write(folder / t.file, fuzz::as_text(data + 1, size - 1));
  fuzz::refuse_cleanly([&] {
    if (t.vits) {
      const auto tok = vits::VitsTokenizer::load(folder, 4096);
      for (int64_t id : tok.encode(kText)) FUZZ_CHECK(id >= 0 && id < 4096);
    } else {
      const auto tok = mt::MtTokenizer::load(folder);
      const std::vector<int> ids = tok.encode_source(kText, std::nullopt);
      tok.decode(ids);
    }
  });
  write(folder / t.file, kept);
  return 0;
}
