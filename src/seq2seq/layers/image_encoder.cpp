#include "nnlab/seq2seq/layers/image_encoder.h"

#include <torch/torch.h>

namespace nnlab::seq2seq {

namespace {

// conv 3x3 + BatchNorm + ReLU, named conv<i>, bn<i>, relu<i>.
void add_block(torch::nn::Sequential& cnn, int i, std::int64_t in, std::int64_t out) {
  const auto n = std::to_string(i);
  cnn->push_back("conv" + n,
                 torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  cnn->push_back("bn" + n, torch::nn::BatchNorm2d(out));
  cnn->push_back("relu" + n, torch::nn::ReLU(torch::nn::ReLUOptions(true)));
}

}  // namespace

ImageEncoderImpl::ImageEncoderImpl(std::int64_t channels, std::int64_t height, std::int64_t width,
                                   std::int64_t features)
    : grid_height_(height / 8), grid_width_(width / 8) {
  TORCH_CHECK(grid_height_ > 0 && grid_width_ > 0, "image encoder: images of ", height, "x", width,
              " are too small (at least 8x8)");
  const auto first = std::max<std::int64_t>(features / 4, 8);
  const auto second = std::max<std::int64_t>(features / 2, 8);
  cnn_ = register_module("cnn", torch::nn::Sequential());
  add_block(cnn_, 1, channels, first);
  cnn_->push_back("pool1", torch::nn::MaxPool2d(2));
  add_block(cnn_, 2, first, second);
  cnn_->push_back("pool2", torch::nn::MaxPool2d(2));
  add_block(cnn_, 3, second, features);
  cnn_->push_back("pool3", torch::nn::MaxPool2d(2));
  add_block(cnn_, 4, features, features);
  positions_ =
      register_parameter("positions", torch::randn({grid_height_ * grid_width_, features}) * 0.1);
}

EncoderOutput ImageEncoderImpl::forward(const torch::Tensor& images) {
  const auto grid = cnn_->forward(images);  // B x F x h x w
  EncoderOutput out;
  out.memory = grid.flatten(2).transpose(1, 2) + positions_.unsqueeze(0);
  out.mask = torch::ones({out.memory.size(0), out.memory.size(1)},
                         torch::TensorOptions().dtype(torch::kBool).device(images.device()));
  out.final = out.memory.mean(1);
  return out;
}

}  // namespace nnlab::seq2seq
