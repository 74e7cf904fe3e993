// Models from the Hugging Face Hub: finding them in the Hub's cache and downloading them into it.
//
// The cache is huggingface_hub's own layout, so a model that Python already downloaded is found with no
// network, and Python finds what Parley downloaded:
//
//   $HF_HUB_CACHE/models--ORG--NAME/
//     blobs/<etag>                      file contents, named by the Hub's ETag (sha256 for LFS files,
//                                       the git blob sha1 for others)
//     snapshots/<commit>/<file>         relative symlinks to ../../blobs/<etag>
//     refs/<revision>                   the commit a branch or tag pointed to when downloaded
//
// Downloads go to blobs/<etag>.incomplete (resumed with a Range request after an interruption), are
// checked against the announced size and the ETag digest, and only then renamed into place; the
// snapshot link and the ref are written last, each atomically. A file is never half-written where a
// complete one is expected.
//
// Typical use (the pipeline and the server):
//   auto options = parley::hub::hub_options_from_env();
//   std::filesystem::path folder = parley::hub::resolve_model("openai/whisper-base", options);
//   parley::ModelDir dir(folder);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace parley::hub {

// Where models come from and go to. hub_options_from_env() fills it the way huggingface_hub does.
struct HubOptions {
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT (no trailing '/')
  std::filesystem::path cache_dir;  // HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
                                    // $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
  std::string token;                // HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the file $HF_HOME/token
                                    // (HF_TOKEN_PATH); sent as "Authorization: Bearer" to the endpoint only
  bool offline = false;             // HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) = 1/ON/YES/TRUE: no network
  bool progress = false;            // a progress bar on stderr; default: stderr is a terminal and
                                    // HF_HUB_DISABLE_PROGRESS_BARS is not set
  int connect_timeout_s = 10;       // HF_HUB_ETAG_TIMEOUT: seconds to connect
  int read_timeout_s = 10;          // HF_HUB_DOWNLOAD_TIMEOUT: a transfer silent this long is abandoned
  int max_retries = 4;              // extra attempts after a transient failure (resuming downloads)
  int retry_delay_ms = 1000;        // first wait before a retry, doubling
  bool verify_cached = false;       // download_model re-hashes files already in the cache and
                                    // fetches again any that do not match their ETag
};

// Reads the environment variables named above. Throws Error(InvalidArgument) for a malformed value
// (an HF_ENDPOINT that is not http(s)://, a non-numeric timeout, a token with control characters).
HubOptions hub_options_from_env();

// A model on the Hub: "ORG/NAME" at a revision (branch, tag or commit; default "main").
struct ModelRef {
  std::string repo_id;
  std::string revision = "main";
  std::string str() const;  // "ORG/NAME" or "ORG/NAME@REV"
};

// Parses "ORG/NAME" or "ORG/NAME@REVISION" with the Hub's naming rules. Throws Error(InvalidArgument).
ModelRef parse_model_ref(const std::string& text);

// The models Parley uses by default: openai/whisper-base, microsoft/speecht5_tts,
// microsoft/speecht5_hifigan.
const std::vector<std::string>& default_models();

// A model folder to load, from a local folder (used as is) or a Hub name ORG/NAME[@REV]:
//  - a snapshot in the cache that has config.json, every name in `required_files` and a complete weight
//    set is used with no network at all (a branch is not checked for newer commits here: that is what
//    `parley models download` / download_model do);
//  - otherwise, unless offline, the model is downloaded (download_model) and its snapshot returned;
//  - offline and missing: Error(NotFound) in one line naming `parley models download ORG/NAME`.
// Throws Error(InvalidArgument) for a name that is neither a folder nor a valid Hub name.
std::filesystem::path resolve_model(const std::string& name_or_path, const HubOptions& options,
                                    const std::vector<std::string>& required_files = {});

struct DownloadReport {
  ModelRef ref;
  std::string commit;                // the commit the revision resolved to
  std::filesystem::path snapshot;    // the snapshot folder, ready to load
  std::vector<std::string> files;    // what the snapshot holds for Parley
  uint64_t total_bytes = 0;          // their sizes
  uint64_t downloaded_bytes = 0;     // what came over the network this time (0: all were cached)
};

// Makes the cache hold what Parley needs of `ref` at the revision's current commit on the Hub: asks the
// Hub for the file list, chooses the configs, tokenizer files and one weight format, and fetches what
// is missing (files already cached are reused). Writes refs/<revision> last. Throws Error(NotFound) for
// a missing model, revision or file; Error(Network) for refused access (401/403, naming HF_TOKEN),
// transport failures, size or digest mismatches and offline mode; Error(BadModel) for a repository with
// no usable weights or a hostile file list.
DownloadReport download_model(const ModelRef& ref, const HubOptions& options);

// One snapshot found in the cache (or one repository with only partial downloads, with empty commit).
struct CachedModel {
  std::string repo_id;
  std::vector<std::string> revisions;  // refs pointing at this commit ("main", ...), may be empty
  std::string commit;
  std::filesystem::path snapshot;
  uint64_t size_bytes = 0;     // the files the snapshot links to
  bool complete = false;       // missing_model_files() found nothing missing
  std::string missing;         // what is missing when not complete
  uint64_t partial_bytes = 0;  // bytes in unfinished downloads (*.incomplete) of the repository
};

// Every model snapshot in the cache, sorted by repository and commit. Other repository types
// (datasets--, spaces--) and unrelated files are ignored. An absent cache folder gives an empty list.
std::vector<CachedModel> list_cached_models(const HubOptions& options);

}  // namespace parley::hub
