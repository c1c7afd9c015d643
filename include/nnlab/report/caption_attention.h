// Where a caption model looked: each word's attention over the image's regions laid over the
// image in red (Show, Attend and Tell's figures), and the self-contained HTML page of one caption
// with a figure per word.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nnlab::report {

// The image (C x H x W in [0, 1], on the CPU) in gray with one step's attention (grid_h x grid_w
// weights, row-major) upsampled bilinearly, scaled to its maximum and added in red; 4x larger,
// nearest-neighbour. 3 x 4H x 4W.
torch::Tensor attention_overlay(const torch::Tensor& image, const std::vector<float>& attention,
                                std::int64_t grid_h, std::int64_t grid_w);

struct CaptionAttentionPage {
  std::string title;                          // what was captioned ("test scene 3", a path)
  std::string text;                           // the caption
  torch::Tensor image;                        // C x H x W in [0, 1]
  std::vector<std::string> words;             // a figure each; a step past the last word is "</s>"
  std::vector<std::vector<float>> attention;  // one row of grid_h x grid_w weights per step
  std::int64_t grid_h = 0, grid_w = 0;
  nlohmann::json provenance;  // core::provenance of the run
};

// The page: the image 4x, then one overlay per step, then the provenance section.
std::string caption_attention_html(const CaptionAttentionPage& page);

}  // namespace nnlab::report
