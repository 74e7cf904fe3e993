// The pure pieces of the Hub client: name checks, file choice, the protocol's headers and errors,
// digests, options from the environment.
#include <gtest/gtest.h>

#include <functional>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "hf/digest.h"
#include "hf/hub.h"
#include "hf/hub_files.h"
#include "hf/hub_names.h"
#include "hf/hub_protocol.h"
#include "hub_test_util.h"

namespace parley::hub {
namespace {

using parley::test::ScopedEnv;
using parley::test::error_of;


TEST(HubNames, RepoIdsFollowTheHubsRules) {
  for (const char* ok : {"openai/whisper-base", "microsoft/speecht5_tts", "Foo-BAR_foo/bar.123", "a/b", "_x/y_"})
    EXPECT_TRUE(is_valid_repo_id(ok)) << ok;
  for (const char* bad : {"whisper-base", "a/b/c", "/b", "a/", ".a/b", "a/b.", "a/-b", "a--b/c", "a/b..c",
                          "a/b.git", "a/b c", "a/b\\c", "../etc", "a/..", "a/ä", ""})
    EXPECT_FALSE(is_valid_repo_id(bad)) << bad;
  EXPECT_TRUE(is_valid_repo_id("a/" + std::string(96, 'x')));
  EXPECT_FALSE(is_valid_repo_id("a/" + std::string(97, 'x')));
}

TEST(HubNames, RevisionsCannotLeaveTheRefsFolder) {
  for (const char* ok : {"main", "v1.0", "refs/pr/1", "fp16", "0123456789abcdef0123456789abcdef01234567"})
    EXPECT_TRUE(is_valid_revision(ok)) << ok;
  for (const char* bad : {"", "..", "../main", "a/../b", "/main", "main/", "a//b", ".hidden", "a/.b", "x.lock",
                          "a b", "a\\b", "ma\nin"})
    EXPECT_FALSE(is_valid_revision(bad)) << bad;
}

TEST(HubNames, FileNamesFromTheServerAreChecked) {
  for (const char* ok : {"config.json", "onnx/encoder.onnx", "a.b.c", "..config"})
    EXPECT_TRUE(is_safe_repo_file(ok)) << ok;
  for (const char* bad : {"", "/etc/passwd", "../config.json", "a/../../x", "a/./b", "a//b", "a/", "x\\..\\y",
                          "con\x01fig", "a\nb"})
    EXPECT_FALSE(is_safe_repo_file(bad)) << bad;
}

TEST(HubNames, EtagsAndCommits) {
  EXPECT_EQ(normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("W/\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("abc"), "abc");
  EXPECT_TRUE(is_valid_etag("d18d50f3cf05ee2ea241ee76160054f8df5066cead591a2196489ad753b70841"));
  for (const char* bad : {"", "../x", "a/b", "a.incomplete", "a b"}) EXPECT_FALSE(is_valid_etag(bad)) << bad;
  EXPECT_TRUE(is_commit_hash("643c775cf5e08ba8dd15975f949591ce678d8c00"));
  EXPECT_FALSE(is_commit_hash("643C775CF5E08BA8DD15975F949591CE678D8C00"));
  EXPECT_FALSE(is_commit_hash("643c775"));
}

TEST(HubNames, UrlQuotingAndFolderNames) {
  EXPECT_EQ(url_quote("refs/pr/1", false), "refs%2Fpr%2F1");
  EXPECT_EQ(url_quote("sub dir/a+b.json", true), "sub%20dir/a%2Bb.json");
  EXPECT_EQ(repo_folder_name("openai/whisper-base"), "models--openai--whisper-base");
}

TEST(HubNames, ModelRefs) {
  ModelRef r = parse_model_ref("openai/whisper-base");
  EXPECT_EQ(r.repo_id, "openai/whisper-base");
  EXPECT_EQ(r.revision, "main");
  EXPECT_EQ(r.str(), "openai/whisper-base");
  r = parse_model_ref("openai/whisper-base@refs/pr/3");
  EXPECT_EQ(r.revision, "refs/pr/3");
  EXPECT_EQ(r.str(), "openai/whisper-base@refs/pr/3");
  ErrorKind kind{};
  EXPECT_NE(error_of([] { parse_model_ref("../../etc"); }, &kind), "");
  EXPECT_EQ(kind, ErrorKind::InvalidArgument);
  EXPECT_NE(error_of([] { parse_model_ref("a/b@../x"); }), "");
  EXPECT_NE(error_of([] { parse_model_ref("a/b@"); }), "");
}

TEST(HubFiles, ChoosesConfigsTokenizerAndOneWeightFormat) {
  // The file list of openai/whisper-base on the Hub.
  std::vector<std::string> whisper = {".gitattributes", "README.md", "added_tokens.json", "config.json",
                                      "flax_model.msgpack", "generation_config.json", "merges.txt",
                                      "model.safetensors", "normalizer.json", "preprocessor_config.json",
                                      "pytorch_model.bin", "special_tokens_map.json", "tf_model.h5",
                                      "tokenizer.json", "tokenizer_config.json", "vocab.json"};
  FileChoice c = choose_files(whisper, "openai/whisper-base");
  std::vector<std::string> want = {"added_tokens.json", "config.json", "generation_config.json", "merges.txt",
                                   "normalizer.json", "preprocessor_config.json", "special_tokens_map.json",
                                   "tokenizer.json", "tokenizer_config.json", "vocab.json", "model.safetensors"};
  EXPECT_EQ(c.files, want);
  EXPECT_EQ(c.weights, "model.safetensors");
  EXPECT_FALSE(c.sharded);

  c = choose_files({"config.json", "pytorch_model.bin", "spm_char.model", "onnx/model.onnx", "tf_model.h5"}, "m/x");
  EXPECT_EQ(c.files, (std::vector<std::string>{"config.json", "spm_char.model", "pytorch_model.bin"}));

  c = choose_files({"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json", "pytorch_model.bin.index.json", "pytorch_model-00001-of-00001.bin"},
                   "m/x");
  EXPECT_EQ(c.files, (std::vector<std::string>{"config.json", "model.safetensors.index.json"}));
  EXPECT_TRUE(c.sharded);

  ErrorKind kind{};
  std::string err = error_of([] { choose_files({"config.json", "tf_model.h5", "flax_model.msgpack"}, "m/tf-only"); }, &kind);
  EXPECT_NE(err.find("m/tf-only has no weights"), std::string::npos) << err;
  EXPECT_EQ(kind, ErrorKind::BadModel);
}

TEST(HubFiles, AListingOfManyFilesFetchesOnlyKnownOnes) {
  // A repository with hundreds of top-level .json/.txt files: only the configs and tokenizer files the
  // engines read are chosen, whatever else is listed.
  std::vector<std::string> listed = {"config.json", "vocab.json", "model.safetensors"};
  for (int i = 0; i < 500; ++i) {
    listed.push_back("junk" + std::to_string(i) + ".json");
    listed.push_back("notes" + std::to_string(i) + ".txt");
  }
  listed.push_back("huge.model");
  FileChoice c = choose_files(listed, "m/many-files");
  EXPECT_EQ(c.files, (std::vector<std::string>{"config.json", "vocab.json", "model.safetensors"}));
}

TEST(HubFiles, ShardListsAreCheckedToo) {
  auto index = nlohmann::json::parse(
      R"({"metadata":{},"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors","c":"model-1.safetensors"}})");
  EXPECT_EQ(shard_files(index, "idx"), (std::vector<std::string>{"model-1.safetensors", "model-2.safetensors"}));
  EXPECT_NE(error_of([] { shard_files(nlohmann::json::parse(R"({"weight_map":{"a":"../../x"}})"), "idx"); }), "");
  EXPECT_NE(error_of([] { shard_files(nlohmann::json::parse(R"({"weight_map":{"a":"sub/x"}})"), "idx"); }), "");
  EXPECT_NE(error_of([] { shard_files(nlohmann::json::parse(R"({"weight_map":{"a":1}})"), "idx"); }), "");
  EXPECT_NE(error_of([] { shard_files(nlohmann::json::parse(R"({"weights":{}})"), "idx"); }), "");
}

TEST(HubFiles, MissingModelFiles) {
  namespace fs = std::filesystem;
  fs::path dir = parley::test::temp_dir("hub-missing");
  EXPECT_EQ(missing_model_files(dir), "no config.json");
  parley::write_file_atomic(dir / "config.json", "{}");
  EXPECT_EQ(missing_model_files(dir), "no model weights (model.safetensors or pytorch_model.bin)");
  parley::write_file_atomic(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"m-1.safetensors"}})");
  EXPECT_EQ(missing_model_files(dir), "no m-1.safetensors (a shard named by model.safetensors.index.json)");
  parley::write_file_atomic(dir / "m-1.safetensors", "x");
  EXPECT_EQ(missing_model_files(dir), "");
  EXPECT_EQ(missing_model_files(dir, {"vocab.json"}), "no vocab.json");
  fs::create_symlink("../nowhere", dir / "vocab.json");  // a dangling link is a missing file
  EXPECT_EQ(missing_model_files(dir, {"vocab.json"}), "no vocab.json");
}

HttpResponse response(long status, std::map<std::string, std::string> headers) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

TEST(HubProtocol, FileMetadataLikeHuggingfaceHub) {
  const std::string commit = "643c775cf5e08ba8dd15975f949591ce678d8c00";
  const std::string sha = "d18d50f3cf05ee2ea241ee76160054f8df5066cead591a2196489ad753b70841";
  const std::string url = "https://huggingface.co/m/x/resolve/main/model.safetensors";
  // An LFS file: a redirect whose own ETag and Content-Length are not the file's.
  FileMetadata m = parse_file_metadata(
      response(302, {{"x-repo-commit", commit}, {"x-linked-etag", "\"" + sha + "\""}, {"etag", "W/\"other\""},
                     {"x-linked-size", "282076"}, {"content-length", "1"},
                     {"location", "https://cdn-lfs.hf.co/repos/x?sig=1"}}),
      url);
  EXPECT_EQ(m.commit, commit);
  EXPECT_EQ(m.etag, sha);
  EXPECT_EQ(m.size, 282076u);
  EXPECT_EQ(m.url, "https://cdn-lfs.hf.co/repos/x?sig=1");
  // A git file: 200 with ETag and Content-Length; relative redirects resolve against the request.
  m = parse_file_metadata(response(200, {{"x-repo-commit", commit}, {"etag", "\"abc\""}, {"content-length", "554"}}), url);
  EXPECT_EQ(m.etag, "abc");
  EXPECT_EQ(m.size, 554u);
  EXPECT_EQ(m.url, url);
  m = parse_file_metadata(response(302, {{"x-repo-commit", commit}, {"x-linked-etag", "e"}, {"x-linked-size", "1"},
                                         {"location", "/lfs/e"}}),
                          url);
  EXPECT_EQ(m.url, "https://huggingface.co/lfs/e");

  // What goes wrong, by the message's key word; the kind is always Network (not a usable Hub answer).
  auto problem = [&](long status, std::map<std::string, std::string> headers, const std::string& word) {
    ErrorKind kind{};
    std::string e = error_of([&] { parse_file_metadata(response(status, headers), url); }, &kind);
    return kind == ErrorKind::Network && e.find(word) != std::string::npos;
  };
  EXPECT_TRUE(problem(200, {{"etag", "a"}, {"content-length", "1"}}, "X-Repo-Commit"));
  for (const char* etag : {"\"../../x\"", "\"a/b\"", ""})
    EXPECT_TRUE(problem(200, {{"x-repo-commit", commit}, {"etag", etag}, {"content-length", "1"}}, "ETag")) << etag;
  // A redirect's own Content-Length is not the file's size.
  EXPECT_TRUE(problem(302, {{"x-repo-commit", commit}, {"etag", "a"}, {"content-length", "5"}, {"location", "https://x/y"}},
                      "size"));
  EXPECT_TRUE(problem(302, {{"x-repo-commit", commit}, {"etag", "a"}, {"x-linked-size", "5"},
                            {"location", "file:///etc/passwd"}},
                      "redirected"));
}

TEST(HubProtocol, ListingRejectsHostileNames) {
  const std::string ok = R"({"sha":"643c775cf5e08ba8dd15975f949591ce678d8c00","siblings":[{"rfilename":"config.json"}]})";
  RepoListing l = parse_repo_listing(ok, "m/x");
  EXPECT_EQ(l.commit, "643c775cf5e08ba8dd15975f949591ce678d8c00");
  EXPECT_EQ(l.files, std::vector<std::string>{"config.json"});
  for (const char* bad :
       {R"({"sha":"643c775cf5e08ba8dd15975f949591ce678d8c00","siblings":[{"rfilename":"../../.bashrc"}]})",
        R"({"sha":"643c775cf5e08ba8dd15975f949591ce678d8c00","siblings":[{"rfilename":"/etc/x.json"}]})",
        R"({"sha":"643c775cf5e08ba8dd15975f949591ce678d8c00","siblings":[{"rfilename":"..\\..\\x.json"}]})",
        R"({"sha":"../../x","siblings":[]})", R"({"siblings":[]})", R"([1,2])", "not json",
        R"({"sha":"643c775cf5e08ba8dd15975f949591ce678d8c00","siblings":[{"name":"x"}]})"}) {
    ErrorKind kind{};
    EXPECT_NE(error_of([&] { parse_repo_listing(bad, "m/x"); }, &kind), "") << bad;
    EXPECT_EQ(kind, ErrorKind::BadModel) << bad;
  }
}

TEST(HubProtocol, ErrorsSayWhatToDo) {
  ErrorKind kind{};
  std::string e = error_of([] { throw_hub_error(response(401, {}), "m/gated", "file config.json", false); }, &kind);
  EXPECT_NE(e.find("HF_TOKEN"), std::string::npos) << e;
  EXPECT_EQ(kind, ErrorKind::Network);
  e = error_of([] { throw_hub_error(response(401, {}), "m/gated", "file config.json", true); });
  EXPECT_NE(e.find("refused the token in HF_TOKEN"), std::string::npos) << e;
  e = error_of([] { throw_hub_error(response(403, {}), "m/gated", "file config.json", true); });
  EXPECT_NE(e.find("HF_TOKEN"), std::string::npos) << e;
  e = error_of([] { throw_hub_error(response(404, {{"x-error-code", "RepoNotFound"}}), "m/none", "revision main", false); },
               &kind);
  EXPECT_EQ(e, "no model m/none on the Hub (HTTP 404)");
  EXPECT_EQ(kind, ErrorKind::NotFound);
  e = error_of([] { throw_hub_error(response(404, {{"x-error-code", "EntryNotFound"}}), "m/x", "file a.json", false); });
  EXPECT_EQ(e, "m/x: file a.json not found on the Hub (HTTP 404)");
  e = error_of([] { throw_hub_error(response(500, {{"x-error-message", "boom\r\nInjected: 1"}}), "m/x", "revision main", false); });
  EXPECT_EQ(e, "m/x: the Hub answered HTTP 500 for revision main: boom??Injected: 1");
}

TEST(HubDigest, MatchesSha256sumAndGitHashObject) {
  // Values from `sha256sum` and `git hash-object` on the fixture files.
  auto dir = parley::test::data_path("models/hifigan-tiny-random");
  EXPECT_EQ(sha256_file_hex(dir / "model.safetensors"),
            "d18d50f3cf05ee2ea241ee76160054f8df5066cead591a2196489ad753b70841");
  EXPECT_EQ(sha256_file_hex(dir / "config.json"), "859414229d1f421309b17a09848926afa826a14979c120497e14a8ad628491bf");
  EXPECT_EQ(git_blob_sha1_file_hex(dir / "config.json"), "643c775cf5e08ba8dd15975f949591ce678d8c00");
  EXPECT_EQ(git_blob_sha1_file_hex(parley::test::data_path("models/speecht5-tiny-random/spm_char.model")),
            "306d63ab223c306371cec8d262baa7bcbb8aef81");
  auto empty = parley::test::temp_dir("hub-digest") / "empty";
  parley::write_file_atomic(empty, "");
  EXPECT_EQ(git_blob_sha1_file_hex(empty), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  EXPECT_EQ(sha256_file_hex(empty), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HubHttp, LocationsAndOrigins) {
  EXPECT_EQ(resolve_location("http://a:1/x/y?q", "/z?e=1"), "http://a:1/z?e=1");
  EXPECT_EQ(resolve_location("http://a:1/x/y", "z"), "http://a:1/x/z");
  EXPECT_EQ(resolve_location("http://a:1/x", "https://b/c"), "https://b/c");
  EXPECT_EQ(resolve_location("http://a:1/x", "ftp://b/c"), "");
  EXPECT_EQ(url_origin("https://huggingface.co/api/x"), "https://huggingface.co:443");
  EXPECT_EQ(url_origin("http://127.0.0.1:8/x"), "http://127.0.0.1:8");
  EXPECT_NE(url_origin("http://localhost:8/x"), url_origin("http://127.0.0.1:8/x"));
}

TEST(HubOptions, FromTheEnvironmentLikeHuggingfaceHub) {
  ScopedEnv a("HF_ENDPOINT", "http://mirror.example:8080/"), b("HF_HUB_CACHE", std::nullopt),
      c("HUGGINGFACE_HUB_CACHE", std::nullopt), d("HF_HOME", "/srv/hf"), e("HF_TOKEN", " hf_abc\n"),
      f("HF_HUB_OFFLINE", "yes"), g("HF_HUB_DOWNLOAD_TIMEOUT", "30"), h("XDG_CACHE_HOME", std::nullopt);
  HubOptions o = hub_options_from_env();
  EXPECT_EQ(o.endpoint, "http://mirror.example:8080");
  EXPECT_EQ(o.cache_dir, "/srv/hf/hub");
  EXPECT_EQ(o.token, "hf_abc");
  EXPECT_TRUE(o.offline);
  EXPECT_EQ(o.read_timeout_s, 30);
  {
    ScopedEnv old("HUGGINGFACE_HUB_CACHE", "/old/cache");
    EXPECT_EQ(hub_options_from_env().cache_dir, "/old/cache");
    ScopedEnv now("HF_HUB_CACHE", "/new/cache");
    EXPECT_EQ(hub_options_from_env().cache_dir, "/new/cache");
  }
  {
    ScopedEnv no_home("HF_HOME", std::nullopt), xdg("XDG_CACHE_HOME", "/xdg"), off("HF_HUB_OFFLINE", "0");
    EXPECT_EQ(hub_options_from_env().cache_dir, "/xdg/huggingface/hub");
    EXPECT_FALSE(hub_options_from_env().offline);
  }
  {
    ScopedEnv no_token("HF_TOKEN", std::nullopt), path("HF_TOKEN_PATH", std::nullopt);
    auto home = parley::test::temp_dir("hub-home");
    parley::write_file_atomic(home / "token", "hf_from_file\n");
    ScopedEnv hf_home("HF_HOME", home.string());
    EXPECT_EQ(hub_options_from_env().token, "hf_from_file");
  }
  {
    ScopedEnv bad("HF_ENDPOINT", "ftp://x");
    ErrorKind kind{};
    EXPECT_NE(error_of([] { hub_options_from_env(); }, &kind), "");
    EXPECT_EQ(kind, ErrorKind::InvalidArgument);
  }
  {
    ScopedEnv bad("HF_TOKEN", "a\r\nX-Injected: 1");
    EXPECT_NE(error_of([] { hub_options_from_env(); }), "");
  }
  {
    ScopedEnv bad("HF_HUB_DOWNLOAD_TIMEOUT", "soon");
    EXPECT_NE(error_of([] { hub_options_from_env(); }).find("HF_HUB_DOWNLOAD_TIMEOUT"), std::string::npos);
  }
}

}  // namespace
}  // namespace parley::hub
