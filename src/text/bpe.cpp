#include "text/bpe.h"

#include <algorithm>
#include <mutex>
#include <queue>
#include <shared_mutex>

#include "core/error.h"
#include "text/utf8.h"

namespace parley {

namespace {

// GPT-2's alphabet: bytes that are printable Latin-1 characters ('!'..'~', '¡'..'¬', '®'..'ÿ') stand
// for themselves; the other 68 bytes, in increasing order, take the code points 256, 257, ...
bool prints_as_itself(uint8_t b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; }

struct Alphabet {
  char32_t to_char[256];
  uint8_t from_shifted[68];  // byte for code point 256 + i
  Alphabet() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      if (prints_as_itself(static_cast<uint8_t>(b))) {
        to_char[b] = static_cast<char32_t>(b);
      } else {
        to_char[b] = static_cast<char32_t>(256 + n);
        from_shifted[n++] = static_cast<uint8_t>(b);
      }
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet a;
  return a;
}

uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Raw bytes a vocabulary text stands for: characters of the alphabet become their byte. Any other
// character (not produced by the byte-level scheme, but possible in a hand-edited file) makes the
// strict form fail and stands for its own UTF-8 in the lenient form. `text` is valid UTF-8.
std::optional<std::string> symbol_text_to_bytes(std::string_view text, bool lenient) {
  std::string out;
  size_t pos = 0;
  out.reserve(text.size());
  while (pos < text.size()) {
    const auto b = static_cast<uint8_t>(text[pos]);
    if (b >= 0x21 && b <= 0x7E) {  // printable ASCII stands for itself
      out.push_back(static_cast<char>(b));
      ++pos;
      continue;
    }
    const size_t start = pos;
    const char32_t c = utf8::next_code_point(text, pos);
    if (auto b = symbol_char_to_byte(c)) {
      out.push_back(static_cast<char>(*b));
    } else if (lenient) {
      out.append(text.substr(start, pos - start));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

char32_t byte_to_symbol_char(uint8_t b) { return alphabet().to_char[b]; }

std::optional<uint8_t> symbol_char_to_byte(char32_t c) {
  if (c < 256) {
    if (prints_as_itself(static_cast<uint8_t>(c))) return static_cast<uint8_t>(c);
    return std::nullopt;
  }
  if (c < 256 + 68) return alphabet().from_shifted[c - 256];
  return std::nullopt;
}

std::string bytes_to_symbol_text(std::string_view bytes) {
  std::string out;
  for (char ch : bytes) utf8::append_code_point(out, byte_to_symbol_char(static_cast<uint8_t>(ch)));
  return out;
}

// Pre-token -> ids. The reference keeps an unbounded dictionary; this one is bounded and cleared when
// full, which keeps a long-running server's memory flat at no cost in speech-sized text.
struct ByteLevelBpe::Cache {
  static constexpr size_t kMaxEntries = 1 << 16;
  static constexpr size_t kMaxWordBytes = 256;  // longer pre-tokens are rare and would bloat the cache
  mutable std::shared_mutex mutex;
  StringMap<std::vector<int>> entries;
};

ByteLevelBpe::ByteLevelBpe(std::vector<Entry> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                           std::optional<int> unk_id, const std::string& source)
    : unk_id_(unk_id), source_(source), cache_(std::make_unique<Cache>()) {
  int max_id = -1;
  for (const auto& e : vocab) {
    if (e.id < 0) bad_model(source + ": token id " + std::to_string(e.id) + " is negative");
    max_id = std::max(max_id, e.id);
  }
  const size_t n = static_cast<size_t>(max_id) + 1;
  id_text_.resize(n);
  id_bytes_.resize(n);
  id_present_.assign(n, false);
  in_alphabet_.assign(n, false);
  text_to_id_.reserve(vocab.size());
  for (auto& e : vocab) {
    utf8::require_valid(e.text, source + " token text", ErrorKind::BadModel);
    if (id_present_[e.id]) bad_model(source + ": two tokens have id " + std::to_string(e.id));
    if (!text_to_id_.emplace(e.text, e.id).second) bad_model(source + ": token \"" + e.text + "\" appears twice");
    id_present_[e.id] = true;
    auto strict = symbol_text_to_bytes(e.text, /*lenient=*/false);
    in_alphabet_[e.id] = strict.has_value();
    id_bytes_[e.id] = strict ? std::move(*strict) : *symbol_text_to_bytes(e.text, /*lenient=*/true);
    id_text_[e.id] = std::move(e.text);
  }
  for (int b = 0; b < 256; ++b) {
    std::string text;
    utf8::append_code_point(text, byte_to_symbol_char(static_cast<uint8_t>(b)));
    byte_symbol_[b] = symbol_of(text, true);
  }
  merges_.reserve(merges.size());
  int rank = 0;
  std::string joined;
  for (const auto& [left, right] : merges) {
    ++rank;
    const int l = symbol_of(left, true), r = symbol_of(right, true);
    if (l < 0 || r < 0) continue;  // spelled outside the byte alphabet: can never match a pre-token
    joined.assign(left).append(right);
    // A repeated pair keeps its last rank, as a Python dict built from the list does.
    merges_[pair_key(l, r)] = Merge{rank, symbol_of(joined, true)};
  }
}

ByteLevelBpe::~ByteLevelBpe() = default;

// The symbol spelled `text`, creating one for a merge result missing from the vocabulary; -1 when
// `text` is not spelled in the byte alphabet (or is unknown and `create` is false).
int ByteLevelBpe::symbol_of(std::string_view text, bool create) {
  if (auto it = text_to_id_.find(text); it != text_to_id_.end()) return in_alphabet_[it->second] ? it->second : -1;
  if (auto it = extra_symbols_.find(text); it != extra_symbols_.end()) return it->second;
  utf8::require_valid(text, source_ + " merge", ErrorKind::BadModel);
  if (!create || !symbol_text_to_bytes(text, false)) return -1;
  const int symbol = id_end() + static_cast<int>(extra_texts_.size());
  extra_symbols_.emplace(std::string(text), symbol);
  extra_texts_.emplace_back(text);
  return symbol;
}

std::optional<ByteLevelBpe::Merge> ByteLevelBpe::merge_of(int left, int right) const {
  auto it = merges_.find(pair_key(left, right));
  if (it == merges_.end()) return std::nullopt;
  return it->second;
}

// The reference's loop, in O(n log n): repeatedly take the best-ranked adjacent pair and merge every
// occurrence of it, left to right and without overlap ("a a a" -> "aa a"), then look again. A heap
// holds (rank, position) of candidate pairs; one round pops every entry of the best rank in position
// order, skips entries made stale by earlier merges, and only then queues the pairs the round created,
// so that a new pair never interleaves with the round (exactly the reference's pass over the word).
void ByteLevelBpe::run_merges(std::vector<int>& symbols) const {
  const int n = static_cast<int>(symbols.size());
  if (n < 2) return;
  std::vector<int> next(n), prev(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  using Candidate = std::pair<int, int>;  // rank, position of the left symbol
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](int pos) {
    if (pos < 0 || next[pos] < 0) return;
    if (auto m = merge_of(symbols[pos], symbols[next[pos]])) heap.emplace(m->rank, pos);
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);

  std::vector<int> round, changed;
  while (!heap.empty()) {
    const int rank = heap.top().first;
    round.clear();
    while (!heap.empty() && heap.top().first == rank) {
      round.push_back(heap.top().second);
      heap.pop();
    }
    changed.clear();
    for (int pos : round) {
      if (!alive[pos] || next[pos] < 0) continue;
      const auto m = merge_of(symbols[pos], symbols[next[pos]]);
      if (!m || m->rank != rank) continue;  // stale: a neighbour changed since it was queued
      const int gone = next[pos];
      symbols[pos] = m->result;
      alive[gone] = false;
      next[pos] = next[gone];
      if (next[pos] >= 0) prev[next[pos]] = pos;
      changed.push_back(pos);
    }
    for (int pos : changed) {
      if (!alive[pos]) continue;
      consider(prev[pos]);
      consider(pos);
    }
  }
  int w = 0;
  for (int i = 0; i >= 0; i = next[i]) symbols[w++] = symbols[i];
  symbols.resize(w);
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<int>& out) const {
  if (word.empty()) return;
  {
    std::shared_lock lock(cache_->mutex);
    auto it = cache_->entries.find(word);
    if (it != cache_->entries.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> symbols(word.size());
  for (size_t i = 0; i < word.size(); ++i) symbols[i] = byte_symbol_[static_cast<uint8_t>(word[i])];
  run_merges(symbols);
  std::vector<int> ids(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (symbols[i] < id_end()) {
      ids[i] = symbols[i];
    } else if (unk_id_) {
      ids[i] = *unk_id_;
    } else {
      bad_model(source_ + ": the merges make \"" + extra_texts_[symbols[i] - id_end()] +
                "\", which is not in the vocabulary");
    }
  }
  out.insert(out.end(), ids.begin(), ids.end());
  if (word.size() > Cache::kMaxWordBytes) return;
  std::unique_lock lock(cache_->mutex);
  if (cache_->entries.size() >= Cache::kMaxEntries) cache_->entries.clear();
  cache_->entries.emplace(std::string(word), std::move(ids));
}

const std::string* ByteLevelBpe::text_of(int id) const {
  if (id < 0 || id >= id_end() || !id_present_[id]) return nullptr;
  return &id_text_[id];
}

const std::string* ByteLevelBpe::bytes_of(int id) const {
  if (id < 0 || id >= id_end() || !id_present_[id]) return nullptr;
  return &id_bytes_[id];
}

std::optional<int> ByteLevelBpe::find(std::string_view text) const {
  auto it = text_to_id_.find(text);
  if (it == text_to_id_.end()) return std::nullopt;
  return it->second;
}

}  // namespace parley
