// A hash map keyed by std::string that can be searched with a std::string_view (no temporary string
// per lookup), for the tokenizers' vocabularies and caches.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley {

struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringViewHash, std::equal_to<>>;

}  // namespace parley
