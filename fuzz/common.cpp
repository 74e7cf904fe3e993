#include "common.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace parley::fuzz {

void violated(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", what, file, line);
  std::abort();
}

void check_message(const char* message) {
  if (message[0] == '\0') violated("an error with an empty message", __FILE__, __LINE__);
  if (std::strchr(message, '\n') || std::strchr(message, '\r')) {
    std::fprintf(stderr, "message: %s\n", message);
    violated("an error message of more than one line", __FILE__, __LINE__);
  }
}

std::vector<std::string_view> split(std::string_view data, char sep, size_t max_pieces) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_pieces) {
    size_t at = data.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(data.substr(0, at));
    data.remove_prefix(at + 1);
  }
  out.push_back(data);
  return out;
}

std::string data_path(const std::string& relative) { return std::string(PARLEY_TEST_DATA) + "/" + relative; }

}  // namespace parley::fuzz
