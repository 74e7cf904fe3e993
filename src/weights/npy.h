// NumPy .npy arrays (format versions 1-3): speaker x-vectors, recorded dropout masks, mel output.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "tensor/tensor.h"

namespace parley {

// Reads a C-ordered little-endian array of float32/float64/float16 or integers/bools as float32.
// Throws Error(BadInput) naming the file for anything else or for a truncated file.
Tensor read_npy(const std::filesystem::path& file);
Tensor parse_npy(std::string_view bytes, const std::string& source);

// Writes a float32 array (format version 1.0).
void write_npy(const std::filesystem::path& file, const Tensor& t);
std::string encode_npy(const Tensor& t);

}  // namespace parley
