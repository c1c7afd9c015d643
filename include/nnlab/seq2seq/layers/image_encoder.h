// The encoder of caption generation (Show, Attend and Tell, Xu et al. 2015): a small CNN turns an
// image into a grid of feature vectors, one per region, plus a learned embedding of each grid
// position (so the decoder knows where a region is, which reading order needs). Its output is an
// EncoderOutput like the text encoder's, so the same attention and decoder read it.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>

#include "nnlab/seq2seq/layers/encoder.h"

namespace nnlab::seq2seq {

class ImageEncoderImpl : public torch::nn::Module {
 public:
  // images: channels x height x width. Four conv 3x3 + BatchNorm + ReLU blocks with a 2x2 max
  // pool between them: the grid is (height / 8) x (width / 8) regions, `features` wide, and each
  // region sees 38 x 38 pixels — a whole 28 x 28 item from the region at its centre.
  ImageEncoderImpl(std::int64_t channels, std::int64_t height, std::int64_t width,
                   std::int64_t features);
  // images: B x C x H x W in [0, 1]. memory: B x (h * w) x features, row-major over the grid;
  // mask: all true; final: the mean feature vector.
  EncoderOutput forward(const torch::Tensor& images);
  std::int64_t grid_height() const { return grid_height_; }
  std::int64_t grid_width() const { return grid_width_; }

 private:
  std::int64_t grid_height_, grid_width_;
  torch::nn::Sequential cnn_{nullptr};
  torch::Tensor positions_;  // (h * w) x features
};
TORCH_MODULE(ImageEncoder);

}  // namespace nnlab::seq2seq
