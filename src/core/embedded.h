// Files compiled into the binary at build time (cmake/EmbedFiles.cmake): the web page and the voices.
#pragma once

#include <span>
#include <string_view>

namespace parley::embedded {

struct File {
  std::string_view name;  // path relative to its folder, e.g. "index.html" or "slt.npy"
  std::string_view data;
};

std::span<const File> web_files();    // from web/
std::span<const File> voice_files();  // from voices/

}  // namespace parley::embedded
