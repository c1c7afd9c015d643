#include "nnlab/seq2seq/models/image_captioner.h"

#include <torch/torch.h>

#include "nnlab/core/autocast.h"
#include "nnlab/core/error.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::seq2seq {

CaptionerOptions::CaptionerOptions() {
  decoder.embedding = 64;
  decoder.decoder_hidden = 256;
  decoder.decoder_layers = 1;
  decoder.attention = "additive";
  decoder.dropout = 0.2;
}

ModelOptions CaptionerOptions::decoder_options() const {
  ModelOptions o = decoder;
  o.encoder_hidden = features;
  o.encoder_layers = 1;
  o.bidirectional = false;
  return o;
}

void CaptionerOptions::validate() const {
  if (channels < 1)
    throw core::OptionError("CaptionerOptions.channels",
                            "must be >= 1, got " + std::to_string(channels));
  if (height < 8 || width < 8)
    throw core::OptionError(
        "CaptionerOptions.height/CaptionerOptions.width",
        "at least 8x8 pixels, got " + std::to_string(height) + "x" + std::to_string(width));
  if (features < 8)
    throw core::OptionError("CaptionerOptions.features",
                            "must be >= 8, got " + std::to_string(features));
  decoder_options().validate();
}

nlohmann::json CaptionerOptions::to_json() const {
  return {{"channels", channels},
          {"height", height},
          {"width", width},
          {"features", features},
          {"decoder", decoder_options().to_json()}};
}

CaptionerOptions CaptionerOptions::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    CaptionerOptions o;
    o.channels = j.at("channels").get<std::int64_t>();
    o.height = j.at("height").get<std::int64_t>();
    o.width = j.at("width").get<std::int64_t>();
    o.features = j.at("features").get<std::int64_t>();
    o.decoder = ModelOptions::from_json(j.at("decoder"), source);
    o.validate();
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad caption model options: ") + e.what());
  } catch (const core::OptionError& e) {
    throw core::FileError(source, std::string("bad caption model options: ") + e.what());
  }
}

ImageCaptionerImpl::ImageCaptionerImpl(const CaptionerOptions& options, std::int64_t vocabulary)
    : options_(options) {
  options_.validate();
  encoder_ = register_module("encoder", ImageEncoder(options_.channels, options_.height,
                                                     options_.width, options_.features));
  decoder_ = register_module("decoder", Decoder(vocabulary, options_.decoder_options()));
}

SequenceOutput ImageCaptionerImpl::forward(const torch::Tensor& images,
                                           const torch::Tensor& target_input,
                                           double teacher_forcing) {
  const core::AutocastGuard autocast(precision_, images.device().type());
  return decode_teacher_forced(*this, start(images, {}), target_input, teacher_forcing);
}

DecodingState ImageCaptionerImpl::start(const torch::Tensor& source, const torch::Tensor&) {
  TORCH_CHECK(source.dim() == 4 && source.size(1) == options_.channels &&
                  source.size(2) == options_.height && source.size(3) == options_.width,
              "the caption model reads ", options_.channels, "x", options_.height, "x",
              options_.width, " images, got ", source.sizes());
  const core::AutocastGuard autocast(precision_, source.device().type());
  if (precision_ == core::Precision::kFp32) return decoder_->initial_state(encoder_(source));
  // oneDNN's bf16 convolutions want channels-last activations (the weights are, set_precision).
  return decoder_->initial_state(encoder_(source.contiguous(torch::MemoryFormat::ChannelsLast)));
}

StepOutput ImageCaptionerImpl::step(const torch::Tensor& tokens, const DecodingState& state) {
  const core::AutocastGuard autocast(precision_, tokens.device().type());
  return float_outputs(decoder_->step(tokens, state));
}

void ImageCaptionerImpl::set_precision(core::Precision precision) {
  StepDecoder::set_precision(precision);
  core::place_convolution_weights(precision, parameters());
}

torch::Device ImageCaptionerImpl::device() const {
  return parameters().front().device();
}

std::int64_t ImageCaptionerImpl::parameter_count() const {
  return models::parameter_count(*this);
}

}  // namespace nnlab::seq2seq
