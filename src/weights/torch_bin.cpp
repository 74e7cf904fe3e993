// torch.save's zip/pickle format. Placeholder until the reader lands (see weights.h).
#include "core/error.h"
#include "weights/weights.h"

namespace parley {

Weights read_torch_bin(const std::filesystem::path& file) {
  fail(ErrorKind::BadModel, file.string() + ": reading pytorch_model.bin is not implemented yet");
}

}  // namespace parley
