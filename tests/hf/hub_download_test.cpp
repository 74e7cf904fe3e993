// download_model and resolve_model against a Hub on loopback (fake_hub.h), faults included.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "hf/hub.h"
#include "hf/hub_files.h"
#include "hub_test_util.h"

namespace parley::hub {
namespace {

namespace fs = std::filesystem;
using parley::test::FakeHub;
using parley::test::FakeRepo;
using parley::test::error_of;

const char* kHifigan = "parley-test/hifigan-tiny-random";
const char* kSpeecht5 = "parley-test/speecht5-tiny-random";

struct HubTest : ::testing::Test {
  FakeHub hub;
  FakeRepo hifigan = parley::test::repo_from_folder(kHifigan, parley::test::data_path("models/hifigan-tiny-random"));
  FakeRepo speecht5 = parley::test::repo_from_folder(kSpeecht5, parley::test::data_path("models/speecht5-tiny-random"));
  fs::path cache = parley::test::temp_dir("hub-cache");
  HubOptions options = parley::test::hub_test_options(hub, cache);

  void SetUp() override {
    hub.add_repo(hifigan);
    hub.add_repo(speecht5);
  }
  fs::path repo_dir(const FakeRepo& r) const { return cache / ("models--" + r.id.substr(0, r.id.find('/')) + "--" + r.id.substr(r.id.find('/') + 1)); }
  fs::path snapshot(const FakeRepo& r) const { return repo_dir(r) / "snapshots" / r.commit; }
  // Every file under the repository's blobs/ folder.
  std::vector<std::string> blob_names(const FakeRepo& r) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(repo_dir(r) / "blobs", ec)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};


bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(HubTest, DownloadsIntoTheHubCacheLayout) {
  DownloadReport r = download_model(parse_model_ref(kSpeecht5), options);
  EXPECT_EQ(r.commit, speecht5.commit);
  EXPECT_EQ(r.snapshot, snapshot(speecht5));
  // Configs, tokenizer and safetensors; the .bin is skipped because safetensors is there.
  std::vector<std::string> want = {"added_tokens.json", "config.json", "special_tokens_map.json", "spm_char.model",
                                   "tokenizer_config.json", "model.safetensors"};
  EXPECT_EQ(r.files, want);
  uint64_t total = 0;
  for (const auto& name : want) {
    const std::string& content = speecht5.files.at(name).content;
    total += content.size();
    fs::path link = r.snapshot / name;
    ASSERT_TRUE(fs::is_symlink(link)) << name;
    // Relative links to ../../blobs/<etag>: sha256 for LFS files, the git blob sha1 for the others.
    std::string etag = speecht5.files.at(name).lfs ? parley::test::sha256_hex(content)
                                                   : parley::test::git_blob_sha1_hex(content);
    EXPECT_EQ(fs::read_symlink(link), fs::path("../../blobs") / etag) << name;
    EXPECT_EQ(read_file(link), content) << name;
  }
  EXPECT_FALSE(fs::exists(r.snapshot / "pytorch_model.bin"));
  EXPECT_EQ(r.total_bytes, total);
  EXPECT_EQ(r.downloaded_bytes, total);
  EXPECT_EQ(read_file(repo_dir(speecht5) / "refs" / "main"), speecht5.commit);  // no newline, as Python writes it
  for (const auto& b : blob_names(speecht5)) EXPECT_EQ(b.find(".incomplete"), std::string::npos) << b;
  EXPECT_EQ(blob_names(speecht5).size(), want.size());
}

TEST_F(HubTest, LfsFilesComeFromTheCdnWithoutTheToken) {
  options.token = "hf_secret";
  hub.require_token("hf_secret");
  download_model(parse_model_ref(kHifigan), options);
  int cdn_gets = 0;
  for (const auto& rec : hub.requests()) {
    if (rec.server == "hub") {
      EXPECT_EQ(rec.authorization, "Bearer hf_secret") << rec.path;
    }
    if (rec.server == "cdn") {
      EXPECT_EQ(rec.authorization, "") << "the token leaked to the storage server: " << rec.path;
      ++cdn_gets;
    }
  }
  EXPECT_EQ(cdn_gets, 1);  // model.safetensors
  EXPECT_EQ(hub.count("HEAD", "/resolve/" + hifigan.commit + "/model.safetensors"), 1);
}

TEST_F(HubTest, SecondDownloadReusesTheCache) {
  download_model(parse_model_ref(kHifigan), options);
  hub.clear_requests();
  DownloadReport again = download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(again.downloaded_bytes, 0u);
  EXPECT_EQ(hub.count("GET", "/resolve/"), 0);
  EXPECT_EQ(hub.count("GET", "/lfs/"), 0);
  // A model that is complete in the cache resolves with no request at all.
  hub.clear_requests();
  EXPECT_EQ(resolve_model(kHifigan, options), snapshot(hifigan));
  EXPECT_TRUE(hub.requests().empty());
}

TEST_F(HubTest, ResolveDownloadsAMissingModelOnFirstUse) {
  fs::path folder = resolve_model(kHifigan, options);
  EXPECT_EQ(folder, snapshot(hifigan));
  EXPECT_EQ(read_file(folder / "model.safetensors"), hifigan.files.at("model.safetensors").content);
  // A local folder is used as is, with no request.
  hub.clear_requests();
  fs::path local = parley::test::data_path("models/hifigan-tiny-random");
  EXPECT_EQ(resolve_model(local.string(), options), local);
  EXPECT_TRUE(hub.requests().empty());
  EXPECT_EQ(error_of([&] { resolve_model("./no/such/folder", options); }), "no model folder ./no/such/folder");
  ErrorKind kind{};
  EXPECT_TRUE(contains(error_of([&] { resolve_model("not a model", options); }, &kind), "neither a model folder"));
  EXPECT_EQ(kind, ErrorKind::InvalidArgument);
}

TEST_F(HubTest, DroppedConnectionIsResumedByTheNextRun) {
  options.max_retries = 0;
  hub.drop_connection("model.safetensors", 100000, 1);
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref(kHifigan), options); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Network) << err;
  const std::string content = hifigan.files.at("model.safetensors").content;
  const std::string sha = parley::test::sha256_hex(content);
  fs::path partial = repo_dir(hifigan) / "blobs" / (sha + ".incomplete");
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_EQ(fs::file_size(partial), 100000u);
  EXPECT_EQ(read_file(partial), content.substr(0, 100000));
  // Nothing incomplete is where a complete file is expected.
  EXPECT_FALSE(fs::exists(repo_dir(hifigan) / "blobs" / sha));
  EXPECT_FALSE(fs::exists(snapshot(hifigan) / "model.safetensors"));
  EXPECT_FALSE(fs::exists(repo_dir(hifigan) / "refs" / "main"));
  EXPECT_FALSE(contains(missing_model_files(snapshot(hifigan)), "\n"));
  EXPECT_NE(missing_model_files(snapshot(hifigan)), "");

  hub.clear_requests();
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  bool resumed = false;
  for (const auto& rec : hub.requests())
    if (rec.server == "cdn" && rec.method == "GET") resumed = rec.range == "bytes=100000-";
  EXPECT_TRUE(resumed);
  EXPECT_EQ(r.downloaded_bytes, content.size() - 100000);
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), content);
  EXPECT_FALSE(fs::exists(partial));
}

TEST_F(HubTest, APlantedLinkInTheCacheIsNotFollowed) {
  // Someone with write access to a shared cache plants blobs/<etag>.incomplete as a link to a file of
  // the user's: the download must write its own file, leaving the victim untouched.
  const std::string content = hifigan.files.at("model.safetensors").content;
  const fs::path blobs = repo_dir(hifigan) / "blobs";
  fs::create_directories(blobs);
  const fs::path victim = parley::test::temp_dir("hub-victim") / "precious.txt";
  write_file_atomic(victim, "precious");
  fs::create_symlink(victim, blobs / (parley::test::sha256_hex(content) + ".incomplete"));
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), content);
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(blobs / parley::test::sha256_hex(content)));
}

TEST_F(HubTest, DroppedConnectionIsResumedWithinTheRun) {
  hub.drop_connection("model.safetensors", 50000, 2);  // two drops, then a good answer
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), hifigan.files.at("model.safetensors").content);
  std::vector<std::string> ranges;
  for (const auto& rec : hub.requests())
    if (rec.server == "cdn") ranges.push_back(rec.range);
  EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=50000-", "bytes=100000-"}));
}

TEST_F(HubTest, ServerThatIgnoresRangeStartsTheFileOver) {
  options.max_retries = 0;
  hub.drop_connection("model.safetensors", 70000, 1);
  EXPECT_NE(error_of([&] { download_model(parse_model_ref(kHifigan), options); }), "");
  hub.ignore_range(true);
  hub.clear_requests();
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(hub.count("GET", "/lfs/"), 1);
  EXPECT_EQ(hub.requests().back().range, "bytes=70000-");  // asked for the rest, got the whole file
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), hifigan.files.at("model.safetensors").content);
}

TEST_F(HubTest, CorruptBodyIsDetectedAndNeverUsed) {
  hub.corrupt("model.safetensors", 100);
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref(kHifigan), options); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Network);
  EXPECT_TRUE(contains(err, "model.safetensors")) << err;
  EXPECT_TRUE(contains(err, "sha256")) << err;
  EXPECT_TRUE(contains(err, "deleted")) << err;
  EXPECT_EQ(hub.count("GET", "/lfs/"), 2);  // fetched once more before giving up
  // No blob, no partial file, no link, no ref: the corrupt bytes are gone.
  const std::string sha = parley::test::sha256_hex(hifigan.files.at("model.safetensors").content);
  EXPECT_FALSE(fs::exists(repo_dir(hifigan) / "blobs" / sha));
  EXPECT_FALSE(fs::exists(repo_dir(hifigan) / "blobs" / (sha + ".incomplete")));
  EXPECT_FALSE(fs::exists(snapshot(hifigan) / "model.safetensors"));
  EXPECT_FALSE(fs::exists(repo_dir(hifigan) / "refs" / "main"));
  EXPECT_THROW(resolve_model(kHifigan, [&] { auto o = options; o.offline = true; return o; }()), Error);
}

TEST_F(HubTest, CorruptBodyOnceIsFetchedAgain) {
  hub.corrupt("config.json", 1);  // a git file: checked against its git blob sha1
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(read_file(r.snapshot / "config.json"), hifigan.files.at("config.json").content);
  EXPECT_EQ(hub.count("GET", "/resolve/" + hifigan.commit + "/config.json"), 2);
}

TEST_F(HubTest, WrongAnnouncedSizeFails) {
  hub.override_size("model.safetensors", 1000);  // the server then sends more than it announced
  std::string err = error_of([&] { download_model(parse_model_ref(kHifigan), options); });
  EXPECT_TRUE(contains(err, "more than the announced 1000 bytes")) << err;
  EXPECT_FALSE(fs::exists(snapshot(hifigan) / "model.safetensors"));
}

TEST_F(HubTest, StalledTransferTimesOut) {
  options.read_timeout_s = 1;
  options.max_retries = 0;
  hub.stall("model.safetensors", 8000, 1);  // sends half the file, then nothing for 8 s
  auto start = std::chrono::steady_clock::now();
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref(kHifigan), options); }, &kind);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(kind, ErrorKind::Network);
  EXPECT_TRUE(contains(err, "no data received for 1 s (timed out)")) << err;
  EXPECT_LT(seconds, 8) << "the stall was not cut short by the read timeout";
  // The next run resumes what arrived before the stall.
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  EXPECT_LT(r.downloaded_bytes, hifigan.files.at("model.safetensors").content.size());
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), hifigan.files.at("model.safetensors").content);
}

TEST_F(HubTest, FollowsRelativeRedirectsLikeTheHub) {
  hub.relative_redirects(true);
  DownloadReport r = download_model(parse_model_ref(kSpeecht5), options);
  EXPECT_EQ(read_file(r.snapshot / "config.json"), speecht5.files.at("config.json").content);
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), speecht5.files.at("model.safetensors").content);
  EXPECT_EQ(hub.count("HEAD", "/api/resolve-cache/models/"), 4);  // the four git files
  EXPECT_EQ(hub.count("GET", "/api/resolve-cache/models/"), 4);  // straight to where HEAD was redirected
  EXPECT_EQ(hub.count("GET", "/lfs-data/"), 2);                   // model.safetensors, spm_char.model
}

TEST_F(HubTest, NotFoundAndUnauthorizedSayWhy) {
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref("parley-test/nothing-here"), options); }, &kind);
  EXPECT_EQ(err, "no model parley-test/nothing-here on the Hub (HTTP 404)");
  EXPECT_EQ(kind, ErrorKind::NotFound);
  err = error_of([&] { download_model(parse_model_ref(std::string(kHifigan) + "@v9"), options); }, &kind);
  EXPECT_EQ(err, std::string(kHifigan) + ": revision v9 not found on the Hub (HTTP 404)");
  hub.require_token("hf_right");
  err = error_of([&] { download_model(parse_model_ref(kHifigan), options); }, &kind);
  EXPECT_TRUE(contains(err, "HF_TOKEN")) << err;
  EXPECT_TRUE(contains(err, "HTTP 401")) << err;
  options.token = "hf_wrong";
  err = error_of([&] { download_model(parse_model_ref(kHifigan), options); });
  EXPECT_TRUE(contains(err, "refused the token in HF_TOKEN")) << err;
  options.token = "hf_right";
  EXPECT_NO_THROW(download_model(parse_model_ref(kHifigan), options));
}

TEST_F(HubTest, MissingFileIsNotFound) {
  hub.add_listed_name(kHifigan, "generation_config.json");  // listed but answers 404
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref(kHifigan), options); }, &kind);
  EXPECT_EQ(err, std::string(kHifigan) + ": file generation_config.json not found on the Hub (HTTP 404)");
  EXPECT_EQ(kind, ErrorKind::NotFound);
}

TEST_F(HubTest, HostileFileNameInTheListingIsRefused) {
  fs::path outside = cache.parent_path() / ("escaped-" + cache.filename().string() + ".json");
  hub.add_listed_name(kHifigan, "../../../" + outside.filename().string());
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref(kHifigan), options); }, &kind);
  EXPECT_TRUE(contains(err, "unsafe file")) << err;
  EXPECT_EQ(kind, ErrorKind::BadModel);
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_FALSE(fs::exists(repo_dir(hifigan) / "snapshots"));
  EXPECT_EQ(hub.count("HEAD", "/resolve/"), 0);  // nothing fetched from a server that lies about names
}

TEST_F(HubTest, OfflineModeNeverTouchesTheNetwork) {
  options.offline = true;
  ErrorKind kind{};
  std::string err = error_of([&] { resolve_model(kHifigan, options); }, &kind);
  EXPECT_EQ(kind, ErrorKind::NotFound);
  EXPECT_TRUE(contains(err, "parley models download " + std::string(kHifigan))) << err;
  EXPECT_TRUE(contains(err, "HF_HUB_OFFLINE")) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos);
  EXPECT_TRUE(contains(error_of([&] { download_model(parse_model_ref(kHifigan), options); }), "HF_HUB_OFFLINE"));
  EXPECT_TRUE(hub.requests().empty());

  options.offline = false;
  download_model(parse_model_ref(kHifigan), options);
  options.offline = true;
  options.endpoint = "http://127.0.0.1:1";  // no server at all
  EXPECT_EQ(resolve_model(kHifigan, options), snapshot(hifigan));
  // A revision given as the commit hash finds the snapshot too.
  EXPECT_EQ(resolve_model(std::string(kHifigan) + "@" + hifigan.commit, options), snapshot(hifigan));
}

TEST_F(HubTest, RequiredFilesMissingFromTheCacheAreFetched) {
  download_model(parse_model_ref(kSpeecht5), options);
  fs::remove(snapshot(speecht5) / "spm_char.model");
  auto offline = options;
  offline.offline = true;
  std::string err = error_of([&] { resolve_model(kSpeecht5, offline, {"spm_char.model"}); });
  EXPECT_TRUE(contains(err, "incomplete")) << err;
  EXPECT_TRUE(contains(err, "no spm_char.model")) << err;
  hub.clear_requests();
  fs::path folder = resolve_model(kSpeecht5, options, {"spm_char.model"});
  EXPECT_EQ(read_file(folder / "spm_char.model"), speecht5.files.at("spm_char.model").content);
  EXPECT_EQ(hub.count("GET", "/lfs/"), 0);  // its blob was still in the cache: only the link was missing
  std::string unusable = error_of([&] { resolve_model(kSpeecht5, options, {"vocab.json"}); });
  EXPECT_TRUE(contains(unusable, "not usable: no vocab.json")) << unusable;
}

TEST_F(HubTest, ServerDownIsAClearError) {
  options.endpoint = "http://127.0.0.1:1";
  options.max_retries = 1;
  ErrorKind kind{};
  std::string err = error_of([&] { resolve_model(kHifigan, options); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Network);
  EXPECT_TRUE(contains(err, "http://127.0.0.1:1/api/models/" + std::string(kHifigan))) << err;
}

TEST_F(HubTest, VerifyFindsACorruptedCachedBlob) {
  DownloadReport r = download_model(parse_model_ref(kHifigan), options);
  fs::path blob = fs::canonical(r.snapshot / "model.safetensors");
  std::string bad = read_file(blob);
  bad[10] ^= 1;  // same size: only the digest can tell
  fs::remove(blob);
  write_file_atomic(blob, bad);
  hub.clear_requests();
  download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(hub.count("GET", "/lfs/"), 0);  // a plain download trusts the cache
  options.verify_cached = true;
  download_model(parse_model_ref(kHifigan), options);
  EXPECT_EQ(hub.count("GET", "/lfs/"), 1);
  EXPECT_EQ(read_file(r.snapshot / "model.safetensors"), hifigan.files.at("model.safetensors").content);
}

TEST_F(HubTest, ShardedWeightsComeWithAllTheirShards) {
  FakeRepo big;
  big.id = "parley-test/sharded";
  big.commit = parley::test::git_blob_sha1_hex("sharded");
  big.files["config.json"] = {"{}", false};
  big.files["model.safetensors.index.json"] = {
      R"({"metadata":{"total_size":6},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
      R"("b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}})",
      false};
  big.files["model-00001-of-00002.safetensors"] = {"shard one", true};
  big.files["model-00002-of-00002.safetensors"] = {"shard two", true};
  big.files["pytorch_model.bin.index.json"] = {R"({"weight_map":{"a":"pytorch_model-00001-of-00001.bin"}})", false};
  big.files["pytorch_model-00001-of-00001.bin"] = {"torch", true};
  big.files["tf_model.h5"] = {"tf", true};
  hub.add_repo(big);
  DownloadReport r = download_model(parse_model_ref(big.id), options);
  EXPECT_EQ(r.files, (std::vector<std::string>{"config.json", "model.safetensors.index.json",
                                               "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}));
  EXPECT_EQ(read_file(r.snapshot / "model-00002-of-00002.safetensors"), "shard two");
  EXPECT_EQ(missing_model_files(r.snapshot), "");
  EXPECT_EQ(hub.count("HEAD", "pytorch_model"), 0);
  EXPECT_EQ(hub.count("HEAD", "tf_model"), 0);

  // An index that names a file the repository does not have is refused.
  big.id = "parley-test/sharded-broken";
  big.files.erase("model-00002-of-00002.safetensors");
  hub.add_repo(big);
  ErrorKind kind{};
  std::string err = error_of([&] { download_model(parse_model_ref(big.id), options); }, &kind);
  EXPECT_EQ(err, "parley-test/sharded-broken: model.safetensors.index.json names a missing file "
                 "model-00002-of-00002.safetensors");
  EXPECT_EQ(kind, ErrorKind::BadModel);
}

TEST_F(HubTest, ConcurrentDownloadsOfOneModelFetchEachFileOnce) {
  // Four downloaders of one model into one cache (as several processes or server workers would be):
  // the blob locks make one of them fetch each file while the others wait and then reuse it.
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < errors.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        download_model(parse_model_ref(kSpeecht5), options);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(hub.count("GET", "/lfs/"), 2);  // model.safetensors and spm_char.model, once each
  EXPECT_EQ(hub.count("GET", "/resolve/"), 4);
  for (const auto& [name, file] : speecht5.files) {
    if (name != "pytorch_model.bin") {
      EXPECT_EQ(read_file(snapshot(speecht5) / name), file.content) << name;
    }
  }
  for (const auto& b : blob_names(speecht5)) EXPECT_EQ(b.find(".incomplete"), std::string::npos) << b;
}

}  // namespace
}  // namespace parley::hub
