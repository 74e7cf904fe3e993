// Caches written by Python's huggingface_hub are found, listed and used as they are.
#include <gtest/gtest.h>

#include <functional>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "hf/hub.h"
#include "hub_test_util.h"

namespace parley::hub {
namespace {

namespace fs = std::filesystem;

const char* kWhisper = "parley-test/whisper-tiny-random";
const std::string kCommit = "c5a8f2e1d0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5";

// Writes the layout huggingface_hub's snapshot_download/hf_hub_download produce for `files` of a
// fixture folder: blobs named by ETag (sha256 for LFS files, git sha1 for others), relative symlinks
// in snapshots/<commit>/, refs/main without a newline, .no_exist/ markers, the .locks/ folder.
fs::path write_python_cache(const fs::path& cache, const std::vector<std::string>& files, bool symlinks = true) {
  fs::path src = parley::test::data_path("models/whisper-tiny-random");
  fs::path repo = cache / "models--parley-test--whisper-tiny-random";
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "snapshots" / kCommit);
  fs::create_directories(repo / ".no_exist" / kCommit);
  fs::create_directories(cache / ".locks" / "models--parley-test--whisper-tiny-random");
  write_file_atomic(repo / "refs" / "main", kCommit);
  write_file_atomic(repo / ".no_exist" / kCommit / "tokenizer.json", "");
  for (const auto& name : files) {
    std::string content = read_file(src / name);
    bool lfs = name.size() > 12 && name.substr(name.size() - 12) == ".safetensors";
    std::string etag = lfs ? parley::test::sha256_hex(content) : parley::test::git_blob_sha1_hex(content);
    write_file_atomic(repo / "blobs" / etag, content);
    fs::path pointer = repo / "snapshots" / kCommit / name;
    if (symlinks)
      fs::create_symlink(fs::path("../../blobs") / etag, pointer);
    else
      write_file_atomic(pointer, content);  // huggingface_hub's layout where symlinks are unavailable
  }
  return repo / "snapshots" / kCommit;
}

const std::vector<std::string> kWhisperFiles = {"added_tokens.json",       "config.json",     "generation_config.json",
                                                "merges.txt",              "model.safetensors", "preprocessor_config.json",
                                                "special_tokens_map.json", "tokenizer_config.json", "vocab.json"};

HubOptions no_network_options(const fs::path& cache) {
  HubOptions o;
  o.cache_dir = cache;
  o.endpoint = "http://127.0.0.1:1";  // nothing listens there: any request would fail
  o.max_retries = 0;
  return o;
}

TEST(HubCache, FindsAModelPythonDownloaded) {
  fs::path cache = parley::test::temp_dir("hub-py");
  fs::path snapshot = write_python_cache(cache, kWhisperFiles);
  HubOptions o = no_network_options(cache);
  EXPECT_EQ(resolve_model(kWhisper, o, {"vocab.json", "merges.txt"}), snapshot);
  o.offline = true;
  EXPECT_EQ(resolve_model(kWhisper, o), snapshot);
  EXPECT_EQ(resolve_model(std::string(kWhisper) + "@" + kCommit, o), snapshot);
  EXPECT_EQ(read_file(snapshot / "config.json"), read_file(parley::test::data_path("models/whisper-tiny-random/config.json")));

  auto models = list_cached_models(o);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].repo_id, kWhisper);
  EXPECT_EQ(models[0].commit, kCommit);
  EXPECT_EQ(models[0].revisions, std::vector<std::string>{"main"});
  EXPECT_EQ(models[0].snapshot, snapshot);
  EXPECT_TRUE(models[0].complete) << models[0].missing;
  uint64_t size = 0;
  for (const auto& f : kWhisperFiles) size += fs::file_size(parley::test::data_path("models/whisper-tiny-random") / f);
  EXPECT_EQ(models[0].size_bytes, size);
  EXPECT_EQ(models[0].partial_bytes, 0u);
}

TEST(HubCache, FindsACacheWithoutSymlinks) {
  fs::path cache = parley::test::temp_dir("hub-py-copy");
  fs::path snapshot = write_python_cache(cache, kWhisperFiles, false);
  HubOptions o = no_network_options(cache);
  o.offline = true;
  EXPECT_EQ(resolve_model(kWhisper, o), snapshot);
}

TEST(HubCache, IncompleteSnapshotsAreReportedAndNotUsedOffline) {
  fs::path cache = parley::test::temp_dir("hub-py-partial");
  write_python_cache(cache, {"config.json", "vocab.json"});
  fs::path blobs = cache / "models--parley-test--whisper-tiny-random" / "blobs";
  write_file_atomic(blobs / "0123abcd.incomplete", std::string(1234, 'x'));  // an interrupted Python download
  HubOptions o = no_network_options(cache);
  o.offline = true;
  std::string err;
  try {
    resolve_model(kWhisper, o);
  } catch (const Error& e) {
    err = e.what();
  }
  EXPECT_EQ(err, "model parley-test/whisper-tiny-random is incomplete in the Hugging Face cache (no model weights "
                 "(model.safetensors or pytorch_model.bin)) and HF_HUB_OFFLINE is set; fetch it with: parley models "
                 "download parley-test/whisper-tiny-random");
  auto models = list_cached_models(o);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_FALSE(models[0].complete);
  EXPECT_EQ(models[0].missing, "no model weights (model.safetensors or pytorch_model.bin)");
  EXPECT_EQ(models[0].partial_bytes, 1234u);
}

TEST(HubCache, DanglingLinkMeansIncomplete) {
  fs::path cache = parley::test::temp_dir("hub-py-dangling");
  fs::path snapshot = write_python_cache(cache, kWhisperFiles);
  fs::remove(fs::canonical(snapshot / "model.safetensors"));  // the blob is gone, the link stays
  auto models = list_cached_models(no_network_options(cache));
  ASSERT_EQ(models.size(), 1u);
  EXPECT_FALSE(models[0].complete);
  HubOptions o = no_network_options(cache);
  o.offline = true;
  EXPECT_THROW(resolve_model(kWhisper, o), Error);
}

TEST(HubCache, ListingIgnoresOtherThingsAndMissingCaches) {
  EXPECT_TRUE(list_cached_models(no_network_options("/nonexistent/parley/cache")).empty());
  fs::path cache = parley::test::temp_dir("hub-list");
  fs::create_directories(cache / "datasets--someone--data" / "snapshots" / kCommit);
  fs::create_directories(cache / ".locks");
  write_file_atomic(cache / "version.txt", "1");
  EXPECT_TRUE(list_cached_models(no_network_options(cache)).empty());
  // A ref with garbage in it is ignored rather than followed.
  write_python_cache(cache, kWhisperFiles);
  write_file_atomic(cache / "models--parley-test--whisper-tiny-random" / "refs" / "main", "../../../../etc");
  HubOptions o = no_network_options(cache);
  o.offline = true;
  EXPECT_THROW(resolve_model(kWhisper, o), Error);
  auto models = list_cached_models(o);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_TRUE(models[0].revisions.empty());
}

}  // namespace
}  // namespace parley::hub
