// The IDX format of MNIST and Fashion-MNIST (LeCun), gzip-compressed or plain.
// Magic: two zero bytes, a type byte (0x08 = uint8), the number of dimensions, then one
// big-endian uint32 per dimension and the data.
#pragma once

#include <torch/types.h>

#include <string>

#include "nnlab/data/dataset.h"

namespace nnlab::data {

// Reads one IDX file (".gz" or plain) into a uint8 tensor of the file's shape. Throws
// core::FileError naming the file for a missing, truncated, oversized or corrupted file.
torch::Tensor read_idx(const std::string& path);

// Writes a uint8 tensor as a plain IDX file (tests make small data sets with it), atomically.
void write_idx(const std::string& path, const torch::Tensor& data);

// DIR holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-...,
// t10k-labels-... . Images become (N,1,28,28) float in [0,1]. class_names may be given.
TrainTestSplit load_idx_dir(const std::string& dir,
                            const std::vector<std::string>& class_names = {});

// Where Debian's dataset-fashion-mnist puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The ten Fashion-MNIST class names.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace nnlab::data
