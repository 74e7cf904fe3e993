// The pickle stack machine, restricted to state dicts. Opcode semantics follow CPython's
// Lib/pickle.py (the format's definition); the torch names are those torch.save writes
// (torch/serialization.py: persistent ids ('storage', StorageType, key, location, numel);
// torch/_utils.py: _rebuild_tensor_v2 and friends).
#include "weights/torch_pickle.h"

#include <cstdio>
#include <deque>
#include <map>
#include <unordered_map>

#include "core/error.h"
#include "core/printable.h"

namespace parley {

namespace {

enum class Kind : uint8_t { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };
// What a recognised global stands for. Nothing here is ever called; REDUCE builds descriptions.
enum class Fn : uint8_t { OrderedDict, RebuildTensor, RebuildTensorV2, RebuildParameter, RebuildParameterState, StorageType };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "string";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

struct Value {
  Kind kind = Kind::None;
  Fn fn = Fn::OrderedDict;       // Global
  DType dtype = DType::F32;      // Global naming a storage type
  int64_t i = 0;                 // Int, Bool; index of a Storage or Tensor
  std::string s;                 // Str; a Global's dotted name
  std::vector<Value*> items;     // Tuple, List; Dict as key, value, key, value ...
};

struct StorageInfo {
  std::string key;
  DType dtype;
  uint64_t numel;
};

// Largest element count or index accepted: keeps every byte count below 2^63 without overflow.
constexpr int64_t kMaxCount = int64_t{1} << 59;

struct KnownGlobal {
  const char* module;
  const char* name;
  Fn fn;
  DType dtype;
};

const KnownGlobal kKnownGlobals[] = {
    {"collections", "OrderedDict", Fn::OrderedDict, DType::F32},
    {"torch._utils", "_rebuild_tensor", Fn::RebuildTensor, DType::F32},
    {"torch._utils", "_rebuild_tensor_v2", Fn::RebuildTensorV2, DType::F32},
    {"torch._utils", "_rebuild_parameter", Fn::RebuildParameter, DType::F32},
    {"torch._utils", "_rebuild_parameter_with_state", Fn::RebuildParameterState, DType::F32},
    // torch.save names a storage by its legacy typed class, whatever the torch version
    // (torch.cuda.* when the tensor lived on a GPU); untyped storages hold bytes.
    {"torch", "FloatStorage", Fn::StorageType, DType::F32},
    {"torch", "HalfStorage", Fn::StorageType, DType::F16},
    {"torch", "BFloat16Storage", Fn::StorageType, DType::BF16},
    {"torch", "DoubleStorage", Fn::StorageType, DType::F64},
    {"torch", "LongStorage", Fn::StorageType, DType::I64},
    {"torch", "IntStorage", Fn::StorageType, DType::I32},
    {"torch", "ShortStorage", Fn::StorageType, DType::I16},
    {"torch", "CharStorage", Fn::StorageType, DType::I8},
    {"torch", "ByteStorage", Fn::StorageType, DType::U8},
    {"torch", "BoolStorage", Fn::StorageType, DType::Bool},
    {"torch", "UntypedStorage", Fn::StorageType, DType::U8},
    {"torch.storage", "UntypedStorage", Fn::StorageType, DType::U8},
    {"torch.storage", "_UntypedStorage", Fn::StorageType, DType::U8},
};

const KnownGlobal* find_global(std::string_view module, std::string_view name) {
  if (module == "torch.cuda") module = "torch";
  for (const auto& g : kKnownGlobals)
    if (module == g.module && name == g.name) return &g;
  return nullptr;
}

class Machine {
 public:
  Machine(std::string_view bytes, const std::string& source, const PickleLimits& limits)
      : in_(bytes), source_(source), limits_(limits) {}

  TorchStateDict run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    bad_model(source_ + ": data.pkl: " + what + " (at byte " + std::to_string(op_pos_) + ")");
  }

  // --- reading the opcode stream
  std::string_view take(uint64_t n) {
    if (n > in_.size() - pos_) fail("truncated pickle");
    std::string_view s = in_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  uint64_t uint_le(int n) {
    std::string_view b = take(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(b[static_cast<size_t>(k)]);
    return v;
  }
  // A newline-terminated argument of GLOBAL (module or name).
  std::string_view line() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos || end - pos_ > 256) fail("truncated or overlong GLOBAL name");
    std::string_view s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  // --- values and the stack. A MARK hides what is below it, as in CPython.
  Value* make(Kind k) {
    if (arena_.size() >= limits_.max_values) fail("more than " + std::to_string(limits_.max_values) + " values");
    arena_.emplace_back();
    arena_.back().kind = k;
    return &arena_.back();
  }
  Value* make_int(int64_t v) {
    Value* x = make(Kind::Int);
    x->i = v;
    return x;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Value* v) {
    if (stack_.size() >= limits_.max_stack) fail("stack deeper than " + std::to_string(limits_.max_stack));
    stack_.push_back(v);
  }
  Value* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  Value* top_of(Kind k, const char* op) {
    Value* v = top();
    if (v->kind != k) fail(std::string(op) + " on a " + kind_name(v->kind) + ", expected a " + kind_name(k));
    return v;
  }
  std::vector<Value*> pop_to_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const size_t begin = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(begin), stack_.end());
    stack_.resize(begin);
    return items;
  }
  Value* make_seq(Kind k, std::vector<Value*> items) {
    Value* v = make(k);
    v->items = std::move(items);
    return v;
  }

  bool step_scalar(uint8_t op);
  bool step_container(uint8_t op);
  bool step_memo(uint8_t op);
  bool step_object(uint8_t op);
  void op_global(std::string_view module, std::string_view name);
  void op_reduce();
  void op_persistent_id();
  Value* rebuild_tensor(const std::vector<Value*>& args);
  int64_t as_count(const Value* v, const char* what) const;
  std::vector<int64_t> as_counts(const Value* v, const char* what) const;
  TorchStateDict result(const Value* root) const;

  std::string_view in_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  const std::string& source_;
  PickleLimits limits_;
  std::deque<Value> arena_;  // owns every value; never walked recursively
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  std::vector<StorageInfo> storages_;
  std::map<std::string, size_t> storage_by_key_;
  std::vector<TorchTensorRef> tensors_;
};

TorchStateDict Machine::run() {
  if (in_.size() > limits_.max_bytes)
    bad_model(source_ + ": data.pkl is " + std::to_string(in_.size()) + " bytes, more than a state dict needs");
  for (;;) {
    op_pos_ = pos_;
    if (pos_ >= in_.size()) fail("pickle ends without STOP");
    const uint8_t op = static_cast<uint8_t>(in_[pos_++]);
    if (op == '.') return result(pop());
    if (step_scalar(op) || step_container(op) || step_memo(op) || step_object(op)) continue;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    fail(std::string("unsupported pickle opcode ") + hex + " (a state dict never needs it)");
  }
}

// Constants: protocol, None, booleans, integers, floats, strings.
bool Machine::step_scalar(uint8_t op) {
  switch (op) {
    case 0x80: {  // PROTO
      const uint64_t proto = uint_le(1);
      if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " is unknown");
      return true;
    }
    case 0x95: uint_le(8); return true;  // FRAME: a length hint only
    case 'N': push(make(Kind::None)); return true;
    case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
      Value* v = make(Kind::Bool);
      v->i = op == 0x88;
      push(v);
      return true;
    }
    case 'J': push(make_int(static_cast<int32_t>(uint_le(4)))); return true;  // BININT
    case 'K': push(make_int(static_cast<int64_t>(uint_le(1)))); return true;  // BININT1
    case 'M': push(make_int(static_cast<int64_t>(uint_le(2)))); return true;  // BININT2
    case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement of n bytes
      const uint64_t n = uint_le(op == 0x8a ? 1 : 4);
      if (n > 8) fail("integer of " + std::to_string(n) + " bytes is too large");
      uint64_t v = n ? uint_le(static_cast<int>(n)) : 0;
      if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
      push(make_int(static_cast<int64_t>(v)));
      return true;
    }
    case 'G':  // BINFLOAT: no state dict value needs a float's value, only its place on the stack
      take(8);
      push(make(Kind::Float));
      return true;
    case 'X': case 0x8c: case 0x8d: case 'T': case 'U': {  // BINUNICODE(8), SHORT_*, BINSTRING
      const int width = op == 'X' || op == 'T' ? 4 : op == 0x8d ? 8 : 1;
      uint64_t n = uint_le(width);
      if (op == 'T' && n > 0x7fffffffu) fail("negative string length");
      Value* v = make(Kind::Str);
      v->s = std::string(take(n));
      push(v);
      return true;
    }
    default: return false;
  }
}

// Tuples, lists and dicts.
bool Machine::step_container(uint8_t op) {
  switch (op) {
    case '(':  // MARK
      if (marks_.size() >= limits_.max_stack) fail("too many MARKs");
      marks_.push_back(stack_.size());
      return true;
    case '0': pop(); return true;            // POP
    case '1': pop_to_mark(); return true;    // POP_MARK
    case '2': push(top()); return true;      // DUP
    case ')': push(make(Kind::Tuple)); return true;  // EMPTY_TUPLE
    case 't': push(make_seq(Kind::Tuple, pop_to_mark())); return true;
    case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
      std::vector<Value*> items(static_cast<size_t>(op - 0x84));
      for (size_t k = items.size(); k-- > 0;) items[k] = pop();
      push(make_seq(Kind::Tuple, std::move(items)));
      return true;
    }
    case ']': push(make(Kind::List)); return true;  // EMPTY_LIST
    case 'l': push(make_seq(Kind::List, pop_to_mark())); return true;
    case 'a': {  // APPEND
      Value* v = pop();
      top_of(Kind::List, "APPEND")->items.push_back(v);
      return true;
    }
    case 'e': {  // APPENDS
      std::vector<Value*> items = pop_to_mark();
      auto& list = top_of(Kind::List, "APPENDS")->items;
      list.insert(list.end(), items.begin(), items.end());
      return true;
    }
    case '}': push(make(Kind::Dict)); return true;  // EMPTY_DICT
    case 'd': case 'u': {  // DICT, SETITEMS
      std::vector<Value*> items = pop_to_mark();
      if (items.size() % 2) fail("odd number of items for a dict");
      if (op == 'd') {
        push(make_seq(Kind::Dict, std::move(items)));
      } else {
        auto& dict = top_of(Kind::Dict, "SETITEMS")->items;
        dict.insert(dict.end(), items.begin(), items.end());
      }
      return true;
    }
    case 's': {  // SETITEM
      Value* v = pop();
      Value* k = pop();
      auto& dict = top_of(Kind::Dict, "SETITEM")->items;
      dict.push_back(k);
      dict.push_back(v);
      return true;
    }
    default: return false;
  }
}

// The memo: values stored by index for later reuse (shared tensors, repeated globals).
bool Machine::step_memo(uint8_t op) {
  switch (op) {
    case 'q': case 'r': case 0x94: {  // BINPUT, LONG_BINPUT, MEMOIZE
      const uint64_t index = op == 'q' ? uint_le(1) : op == 'r' ? uint_le(4) : memo_.size();
      if (memo_.size() >= limits_.max_values && !memo_.count(index)) fail("memo too large");
      memo_[index] = top();
      return true;
    }
    case 'h': case 'j': {  // BINGET, LONG_BINGET
      const uint64_t index = uint_le(op == 'h' ? 1 : 4);
      auto it = memo_.find(index);
      if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
      push(it->second);
      return true;
    }
    default: return false;
  }
}

// Globals, calls, persistent ids and object state: the only place where objects are "built".
bool Machine::step_object(uint8_t op) {
  switch (op) {
    case 'c': {  // GLOBAL module\nname\n
      std::string_view module = line();
      op_global(module, line());
      return true;
    }
    case 0x93: {  // STACK_GLOBAL
      Value* name = pop();
      Value* module = pop();
      if (module->kind != Kind::Str || name->kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
      op_global(module->s, name->s);
      return true;
    }
    case 'R': op_reduce(); return true;
    case 'Q': op_persistent_id(); return true;
    case 'b': {  // BUILD: state for a dict (OrderedDict's _metadata) or a tensor; nothing to keep
      pop();
      const Value* obj = top();
      if (obj->kind != Kind::Dict && obj->kind != Kind::Tensor) fail(std::string("BUILD on a ") + kind_name(obj->kind));
      return true;
    }
    default: return false;
  }
}

void Machine::op_global(std::string_view module, std::string_view name) {
  const KnownGlobal* g = find_global(module, name);
  if (!g)
    bad_model(source_ + ": data.pkl asks for the Python global '" + printable(module) + "." + printable(name) +
              "', which a weight file has no use for; refusing to load it (nothing in a weight file is executed)");
  Value* v = make(Kind::Global);
  v->fn = g->fn;
  v->dtype = g->dtype;
  v->s = printable(module) + "." + printable(name);  // only for messages
  push(v);
}

void Machine::op_reduce() {
  Value* args = pop();
  Value* callable = pop();
  if (callable->kind != Kind::Global) fail(std::string("REDUCE calls a ") + kind_name(callable->kind));
  if (args->kind != Kind::Tuple) fail("REDUCE of " + callable->s + " without an argument tuple");
  const auto& a = args->items;
  auto want_args = [&](size_t lo, size_t hi) {
    if (a.size() < lo || a.size() > hi) {
      std::string want = std::to_string(lo);
      if (hi > lo) want += std::string(" to ") + std::to_string(hi);
      fail(callable->s + " called with " + std::to_string(a.size()) + " arguments, expected " + want);
    }
  };
  switch (callable->fn) {
    case Fn::OrderedDict:
      want_args(0, 0);
      push(make(Kind::Dict));
      return;
    case Fn::RebuildTensor: want_args(4, 4); push(rebuild_tensor(a)); return;
    // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]): the last ones
    // concern autograd only.
    case Fn::RebuildTensorV2: want_args(6, 7); push(rebuild_tensor(a)); return;
    case Fn::RebuildParameter: case Fn::RebuildParameterState:  // (tensor, requires_grad, hooks[, state])
      want_args(callable->fn == Fn::RebuildParameter ? 3 : 4, callable->fn == Fn::RebuildParameter ? 3 : 4);
      if (a[0]->kind != Kind::Tensor) fail(callable->s + " of a " + kind_name(a[0]->kind) + ", not a tensor");
      push(a[0]);
      return;
    case Fn::StorageType: fail("calling " + callable->s + " is not supported (storages come from persistent ids)");
  }
}

// ('storage', StorageType, key, location, numel): a storage record of the archive.
void Machine::op_persistent_id() {
  const Value* pid = pop();
  const auto& p = pid->items;
  if (pid->kind != Kind::Tuple || p.size() != 5 || p[0]->kind != Kind::Str || p[0]->s != "storage")
    fail("persistent id is not ('storage', type, key, location, size)");
  if (p[1]->kind != Kind::Global || p[1]->fn != Fn::StorageType) fail("persistent id names no storage type");
  if (p[2]->kind != Kind::Str || p[3]->kind != Kind::Str) fail("persistent id has a malformed key or location");
  const int64_t numel = as_count(p[4], "storage size");
  const DType dtype = p[1]->dtype;
  if (static_cast<uint64_t>(numel) > (uint64_t{1} << 62) / dtype_size(dtype)) fail("storage size is impossibly large");
  const std::string& key = p[2]->s;
  auto [it, fresh] = storage_by_key_.emplace(key, storages_.size());
  if (fresh) {
    storages_.push_back({key, dtype, static_cast<uint64_t>(numel)});
  } else {
    const StorageInfo& s = storages_[it->second];
    if (s.dtype != dtype || s.numel != static_cast<uint64_t>(numel))
      fail("storage '" + printable(key) + "' is described both as " + std::to_string(s.numel) + " x " + dtype_name(s.dtype) +
           " and as " + std::to_string(numel) + " x " + dtype_name(dtype));
  }
  Value* v = make(Kind::Storage);
  v->i = static_cast<int64_t>(it->second);
  push(v);
}

int64_t Machine::as_count(const Value* v, const char* what) const {
  if (v->kind != Kind::Int) fail(std::string(what) + " is a " + kind_name(v->kind) + ", not an integer");
  if (v->i < 0 || v->i > kMaxCount) fail(std::string(what) + " " + std::to_string(v->i) + " is out of range");
  return v->i;
}

std::vector<int64_t> Machine::as_counts(const Value* v, const char* what) const {
  if (v->kind != Kind::Tuple) fail(std::string(what) + " is a " + kind_name(v->kind) + ", not a tuple");
  if (v->items.size() > limits_.max_dims)
    fail(std::string(what) + " has " + std::to_string(v->items.size()) + " dimensions, more than " +
         std::to_string(limits_.max_dims));
  std::vector<int64_t> out;
  for (const Value* x : v->items) out.push_back(as_count(x, what));
  return out;
}

// A view (offset, size, stride) of a storage. Every element it can reach must lie inside the
// storage as described; the archive's record is checked against that description later.
Value* Machine::rebuild_tensor(const std::vector<Value*>& args) {
  if (args[0]->kind != Kind::Storage) fail(std::string("tensor built from a ") + kind_name(args[0]->kind));
  const StorageInfo& s = storages_[static_cast<size_t>(args[0]->i)];
  TorchTensorRef t;
  t.storage = s.key;
  t.dtype = s.dtype;
  t.storage_numel = s.numel;
  t.offset = static_cast<uint64_t>(as_count(args[1], "storage offset"));
  t.shape = as_counts(args[2], "tensor size");
  t.stride = as_counts(args[3], "tensor stride");
  if (t.stride.size() != t.shape.size()) fail("tensor size and stride differ in length");
  // Each factor is at most 2^59 and there are at most max_dims of them: 128-bit sums cannot overflow.
  // The product of the non-zero dimensions is bounded too, so that no product of dimensions a
  // model may compute later can overflow, even when one of them is zero.
  unsigned __int128 numel = 1, nonzero = 1, last = t.offset;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    numel *= static_cast<uint64_t>(t.shape[d]);
    if (t.shape[d] > 0) nonzero *= static_cast<uint64_t>(t.shape[d]);
    if (nonzero > static_cast<unsigned __int128>(kMaxCount))
      fail("tensor size " + shape_to_string(t.shape) + " is impossibly large");
    if (t.shape[d] > 0) last += static_cast<unsigned __int128>(t.shape[d] - 1) * static_cast<uint64_t>(t.stride[d]);
  }
  const bool inside = numel == 0 ? t.offset <= s.numel : last < s.numel;
  if (!inside)
    fail("tensor of size " + shape_to_string(t.shape) + " at offset " + std::to_string(t.offset) +
         " reaches past the end of storage '" + printable(s.key) + "' (" + std::to_string(s.numel) + " elements)");
  Value* v = make(Kind::Tensor);
  v->i = static_cast<int64_t>(tensors_.size());
  tensors_.push_back(std::move(t));
  return v;
}

TorchStateDict Machine::result(const Value* root) const {
  if (root->kind != Kind::Dict)
    bad_model(source_ + ": data.pkl holds a " + kind_name(root->kind) + ", not a state dict of named tensors");
  TorchStateDict out;
  const auto& items = root->items;
  for (size_t k = 0; k + 1 < items.size(); k += 2) {
    const Value* key = items[k];
    const Value* value = items[k + 1];
    if (key->kind != Kind::Str) bad_model(source_ + ": data.pkl: the state dict has a key that is not a string");
    if (value->kind == Kind::Tensor)
      out.tensors.emplace_back(key->s, tensors_[static_cast<size_t>(value->i)]);
    else
      ++out.skipped;
  }
  return out;
}

}  // namespace

TorchStateDict unpickle_state_dict(std::string_view pickle, const std::string& source, const PickleLimits& limits) {
  Machine m(pickle, source, limits);
  return m.run();
}

}  // namespace parley
