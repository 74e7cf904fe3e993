// torch.save's format (PyTorch >= 1.6): a ZIP archive holding `<name>/data.pkl`, a pickle of the
// state dict whose tensors point at storages by key, `<name>/data/<key>`, each storage's raw
// little-endian bytes (stored uncompressed, 64-byte aligned), `<name>/version`, and since torch 2.1
// `<name>/byteorder`. The file is memory-mapped and tensors point straight into it, as with
// safetensors; only the pickle's description of each tensor is interpreted (weights/torch_pickle.h).
#include <cctype>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/files.h"
#include "core/printable.h"
#include "weights/torch_pickle.h"
#include "weights/weights.h"
#include "weights/zip_reader.h"

namespace parley {

namespace {

// torch.save before 1.6 (or with _use_new_zipfile_serialization=False) wrote a bare pickle
// stream that starts with PROTO 2 and the LONG1 magic number 0x1950a86a20f9469cfc6c.
bool is_legacy_torch_file(const uint8_t* d, size_t n) {
  return n >= 4 && d[0] == 0x80 && d[1] == 0x02 && d[2] == 0x8a && d[3] == 0x0a;
}

// The archive's top folder: torch names it after the file, so it is found, not assumed.
std::string find_prefix(const ZipReader& zip, const std::string& source) {
  std::string prefix;
  int found = 0;
  for (const auto& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      prefix = e.name.substr(0, slash);
      ++found;
    }
  }
  if (found == 0) bad_model(source + ": a zip archive without <name>/data.pkl, so not a torch.save file");
  if (found > 1) bad_model(source + ": a zip archive with several data.pkl records");
  return prefix;
}

bool is_contiguous(const TorchTensorRef& t) {
  int64_t expected = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] == 0) return true;
    if (t.shape[d] != 1 && t.stride[d] != expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

// Copies a strided view into contiguous memory (conversion scripts sometimes save `w.T`).
std::shared_ptr<std::vector<uint8_t>> gather(const TorchTensorRef& t, const uint8_t* base) {
  const size_t es = dtype_size(t.dtype);
  const int64_t numel = shape_numel(t.shape);
  auto out = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(numel) * es);
  const size_t nd = t.shape.size();
  std::vector<int64_t> index(nd, 0);
  uint64_t src = t.offset;  // the rebuild checked that every reachable element is in the storage
  for (int64_t i = 0; i < numel; ++i) {
    std::memcpy(out->data() + static_cast<size_t>(i) * es, base + src * es, es);
    for (size_t d = nd; d-- > 0;) {  // odometer step, keeping `src` in sync
      src += static_cast<uint64_t>(t.stride[d]);
      if (++index[d] < t.shape[d]) break;
      src -= static_cast<uint64_t>(t.stride[d]) * static_cast<uint64_t>(t.shape[d]);
      index[d] = 0;
    }
  }
  return out;
}

struct StorageBytes {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};

// Finds and checks the record behind each storage the pickle names, once per storage.
class StorageTable {
 public:
  StorageTable(ZipReader& zip, std::string prefix, const std::string& source, std::vector<std::shared_ptr<const void>>& keep)
      : zip_(zip), prefix_(std::move(prefix)), source_(source), keep_(keep) {}

  StorageBytes get(const std::string& tensor, const TorchTensorRef& t) {
    auto it = cache_.find(t.storage);
    if (it != cache_.end()) return it->second;
    const std::string record = prefix_ + "/data/" + t.storage;
    const ZipReader::Entry* e = zip_.find(record);
    if (!e)
      bad_model(source_ + ": tensor '" + printable(tensor) + "' uses storage '" + printable(t.storage) +
                "', but the archive has no record " + printable(record));
    std::string_view bytes = zip_.read(*e, keep_);
    const uint64_t want = t.storage_numel * dtype_size(t.dtype);  // below 2^62: checked by the unpickler
    if (bytes.size() != want)
      bad_model(source_ + ": storage '" + printable(t.storage) + "' holds " + std::to_string(bytes.size()) + " bytes, but data.pkl says " +
                std::to_string(t.storage_numel) + " x " + dtype_name(t.dtype) + " (" + std::to_string(want) + " bytes)");
    StorageBytes s{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    cache_.emplace(t.storage, s);
    return s;
  }

 private:
  ZipReader& zip_;
  std::string prefix_;
  const std::string& source_;
  std::vector<std::shared_ptr<const void>>& keep_;
  std::map<std::string, StorageBytes> cache_;
};

void check_byte_order(ZipReader& zip, const std::string& prefix, const std::string& source,
                      std::vector<std::shared_ptr<const void>>& keep) {
  const ZipReader::Entry* e = zip.find(prefix + "/byteorder");
  if (!e) return;  // written since torch 2.1; older files are little-endian
  std::string_view order = zip.read(*e, keep);
  while (!order.empty() && std::isspace(static_cast<unsigned char>(order.back()))) order.remove_suffix(1);
  if (order != "little")
    bad_model(source + ": stores its tensors as '" + printable(order, 16) +
              "'-endian data; only little-endian files are read");
}

}  // namespace

Weights parse_torch_bin(const uint8_t* data, size_t size, std::shared_ptr<const void> owner, const std::string& source) {
  if (is_legacy_torch_file(data, size))
    bad_model(source + ": written in torch.save's legacy format (before PyTorch 1.6), which is not read; "
              "re-save it with a current torch or convert it to safetensors");
  ZipReader zip(data, size, source);
  const std::string prefix = find_prefix(zip, source);
  std::vector<std::shared_ptr<const void>> keep;  // inflated records and gathered views
  check_byte_order(zip, prefix, source, keep);
  const TorchStateDict dict = unpickle_state_dict(zip.read(*zip.find(prefix + "/data.pkl"), keep), source);

  StorageTable storages(zip, prefix, source, keep);
  // Strided views are copied; their total is bounded so a few bytes of pickle cannot demand
  // terabytes (a stride of 0 repeats one element any number of times).
  const uint64_t gather_budget = 2 * static_cast<uint64_t>(size) + (64u << 20);
  uint64_t gathered = 0;
  Weights w;
  w.set_source(source);
  for (const auto& [name, t] : dict.tensors) {
    const StorageBytes s = storages.get(name, t);
    const size_t es = dtype_size(t.dtype);
    RawTensor r;
    r.dtype = t.dtype;
    r.shape = t.shape;
    r.nbytes = static_cast<size_t>(shape_numel(t.shape)) * es;
    if (is_contiguous(t)) {
      r.data = s.data + t.offset * es;
    } else {
      if (r.nbytes > gather_budget - gathered)
        bad_model(source + ": tensor '" + printable(name) + "' is a strided view of " + std::to_string(r.nbytes) +
                  " bytes; copying it would exceed the " + std::to_string(gather_budget) + " bytes allowed for this file");
      gathered += r.nbytes;
      auto copy = gather(t, s.data);
      r.data = copy->data();
      keep.push_back(std::move(copy));
    }
    w.add(name, r);
  }
  for (auto& k : keep) w.keep_alive(std::move(k));
  w.keep_alive(std::move(owner));
  return w;
}

Weights read_torch_bin(const std::filesystem::path& file) {
  auto mapped = std::make_shared<MappedFile>(file);
  const uint8_t* data = mapped->data();
  const size_t size = mapped->size();
  return parse_torch_bin(data, size, std::move(mapped), file.string());
}

}  // namespace parley
