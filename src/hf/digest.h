// Digests of downloaded files, to check them against the Hub's ETags (OpenSSL libcrypto).
#pragma once

#include <filesystem>
#include <string>

namespace parley::hub {

// Lower-case hex SHA-256 of a file's bytes (the ETag of a file stored with Git LFS).
std::string sha256_file_hex(const std::filesystem::path& path);

// Lower-case hex SHA-1 of "blob <size>\0" + the file's bytes: the git object id, which is the ETag of a
// file stored in git itself (configs, tokenizer files).
std::string git_blob_sha1_file_hex(const std::filesystem::path& path);

}  // namespace parley::hub
