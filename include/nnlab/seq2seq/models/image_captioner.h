// Caption generation with attention: an ImageEncoder's grid of regions is the memory that the
// seq2seq Decoder (the same attention and step as G2P) attends over while it writes one word per
// step. Searches drive it through StepDecoder, with the images as the source.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/seq2seq/layers/decoder.h"
#include "nnlab/seq2seq/layers/image_encoder.h"
#include "nnlab/seq2seq/layers/model_options.h"
#include "nnlab/seq2seq/layers/step_decoder.h"
#include "nnlab/seq2seq/models/seq2seq_model.h"

namespace nnlab::seq2seq {

struct CaptionerOptions {
  std::int64_t channels = 1;
  std::int64_t height = 64;
  std::int64_t width = 64;
  std::int64_t features = 96;  // width of a region's feature vector
  // The decoder's shape (embedding, decoder_hidden, decoder_layers, cell, attention, input feed,
  // dropout); its encoder fields are set from `features`.
  ModelOptions decoder;

  CaptionerOptions();
  ModelOptions decoder_options() const;  // with encoder_output() == features
  void validate() const;                 // throws core::OptionError
  nlohmann::json to_json() const;
  static CaptionerOptions from_json(const nlohmann::json& j, const std::string& source);
};

class ImageCaptionerImpl : public torch::nn::Module, public StepDecoder {
 public:
  ImageCaptionerImpl(const CaptionerOptions& options, std::int64_t vocabulary);

  // images: B x C x H x W; target_input: B x T (<s> w1 .. wn, padded).
  SequenceOutput forward(const torch::Tensor& images, const torch::Tensor& target_input,
                         double teacher_forcing = 1.0);

  // source: the images; lengths are not read (every region is real).
  DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) override;
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override;
  torch::Device device() const override;
  // Also puts the convolutions' weights in channels-last memory for bf16 (contiguous for fp32).
  void set_precision(core::Precision precision) override;

  std::int64_t regions() const { return encoder_->grid_height() * encoder_->grid_width(); }
  std::int64_t grid_height() const { return encoder_->grid_height(); }
  std::int64_t grid_width() const { return encoder_->grid_width(); }
  std::int64_t parameter_count() const;

 private:
  CaptionerOptions options_;
  ImageEncoder encoder_{nullptr};
  Decoder decoder_{nullptr};
};
TORCH_MODULE(ImageCaptioner);

}  // namespace nnlab::seq2seq
