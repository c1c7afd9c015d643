// Image files <-> (C,H,W) float tensors. The resize path follows torchvision's ImageNet
// evaluation transform, Resize(256) + CenterCrop(224) (scaled for other crop sizes), so models
// trained in PyTorch see the same framing here.
#include "nnlab/data/image_io.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"

namespace nnlab::data {

namespace fs = std::filesystem;

namespace {

// The one rounding rule of save_image and quantize_to_8bit; sharing it is what makes a saved
// image, read back, equal quantize_to_8bit of the tensor bit for bit. NaN becomes 0 (a cast of
// NaN to uint8 is undefined).
torch::Tensor to_8bit(const torch::Tensor& image) {
  return torch::nan_to_num(image, /*nan=*/0.0).clamp(0, 1).mul(255).round().to(torch::kUInt8);
}

// The inverse used by load_image and quantize_to_8bit: the same division, so the same floats.
torch::Tensor from_8bit(const torch::Tensor& bytes, torch::ScalarType type) {
  return bytes.to(type).div_(255);
}

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// torchvision Resize(size) with an int: the short side becomes `size`, the long side
// int(size * long / short) (truncated, as Python's int() does); then CenterCrop, whose offsets
// use Python's round() (half to even, as std::nearbyint in the default rounding mode).
cv::Mat resize_and_centre_crop(const cv::Mat& image, int height, int width, int* short_side) {
  const int h = image.rows;
  const int w = image.cols;
  const int new_short = static_cast<int>(std::lround(256.0 * height / 224.0));
  const bool portrait = w <= h;
  const int short_in = portrait ? w : h;
  const int long_in = portrait ? h : w;
  const int new_long = static_cast<int>(static_cast<double>(new_short) * long_in / short_in);
  int new_h = portrait ? new_long : new_short;
  int new_w = portrait ? new_short : new_long;
  // A crop wider than the resized image (a very wide target on a narrow file) cannot be cut
  // out; torchvision pads with black there, here the image is enlarged until the crop fits.
  if (new_h < height || new_w < width) {
    const double scale = std::max(static_cast<double>(height) / h, static_cast<double>(width) / w);
    new_h = std::max(height, static_cast<int>(std::ceil(h * scale)));
    new_w = std::max(width, static_cast<int>(std::ceil(w * scale)));
  }
  *short_side = std::min(new_h, new_w);
  cv::Mat resized = image;
  if (new_h != h || new_w != w) {
    cv::resize(image, resized, cv::Size(new_w, new_h), 0, 0, cv::INTER_LINEAR);
  }
  const int top = static_cast<int>(std::nearbyint((new_h - height) / 2.0));
  const int left = static_cast<int>(std::nearbyint((new_w - width) / 2.0));
  return resized(cv::Rect(left, top, width, height)).clone();
}

}  // namespace

torch::Tensor load_image(const std::string& path, const ImageLoadOptions& options) {
  return load_image(path, options, nullptr);
}

torch::Tensor load_image(const std::string& path, const ImageLoadOptions& options,
                         ImageLoadInfo* info) {
  TORCH_CHECK(options.channels == 1 || options.channels == 3,
              "load_image: channels must be 1 or 3, got ", options.channels);
  TORCH_CHECK(
      options.height >= 0 && options.width >= 0 && (options.height == 0) == (options.width == 0),
      "load_image: height and width must both be positive or both 0, got ", options.height, "x",
      options.width);
  if (!fs::exists(path)) throw core::FileError(path, "no such file");
  if (fs::is_directory(path)) throw core::FileError(path, "is a directory, not an image");

  // IGNORE_ORIENTATION: PIL (and so torchvision) does not apply EXIF rotation either.
  const int flags = (options.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR) |
                    cv::IMREAD_IGNORE_ORIENTATION;
  cv::Mat image;
  try {
    image = cv::imread(path, flags);
  } catch (const cv::Exception& e) {
    throw core::FileError(path, "not an image (OpenCV cannot decode it: " + e.msg + ")");
  }
  if (image.empty()) throw core::FileError(path, "not an image (OpenCV cannot decode it)");
  if (options.channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);

  const int file_height = image.rows;
  const int file_width = image.cols;
  const bool resize =
      options.height > 0 && (file_height != options.height || file_width != options.width);
  if (resize) {
    int short_side = 0;
    image = resize_and_centre_crop(image, options.height, options.width, &short_side);
    if (options.warn_on_resize) {
      std::fprintf(
          stderr,
          "nnlab: warning: %s: %dx%d resized to %d short side and centre-cropped to %dx%d\n",
          path.c_str(), file_width, file_height, short_side, options.width, options.height);
    }
  }
  if (info) *info = ImageLoadInfo{file_height, file_width, resize};

  if (!image.isContinuous()) image = image.clone();
  const torch::Tensor hwc =
      torch::from_blob(image.data, {image.rows, image.cols, image.channels()}, torch::kUInt8);
  // from_8bit's conversion copies, so the result does not point into the cv::Mat's buffer.
  return from_8bit(hwc.permute({2, 0, 1}).contiguous(), torch::kFloat);
}

void save_image(const std::string& path, const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), "save_image(", path,
              "): expected (C, H, W) with C = 1 or 3, got ", image.sizes());
  if (!cv::haveImageWriter(path)) {
    throw core::FileError(path, "cannot write images of type '" + lower_extension(path) +
                                    "' (use .png, .jpg or .bmp)");
  }
  const int channels = static_cast<int>(image.size(0));
  const torch::Tensor hwc = to_8bit(image.detach().cpu()).permute({1, 2, 0}).contiguous();
  cv::Mat pixels(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC(channels),
                 hwc.data_ptr<std::uint8_t>());
  cv::Mat out = pixels;
  if (channels == 3) cv::cvtColor(pixels, out, cv::COLOR_RGB2BGR);

  std::vector<int> params;
  const std::string ext = lower_extension(path);
  // Level 1 instead of the default 3: several times faster, a few percent larger; adversarial
  // example sets are written thousands at a time.
  if (ext == ".png") params = {cv::IMWRITE_PNG_COMPRESSION, 1};
  if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 95};

  core::write_atomically(path, [&](const std::string& tmp) {
    bool written = false;
    try {
      written = cv::imwrite(tmp, out, params);
    } catch (const cv::Exception& e) {
      throw core::FileError(path, "cannot write image: " + e.msg);
    }
    if (!written) throw core::FileError(path, "cannot write image (OpenCV's imwrite failed)");
  });
}

torch::Tensor quantize_to_8bit(const torch::Tensor& image) {
  const torch::ScalarType type =
      torch::isFloatingType(image.scalar_type()) ? image.scalar_type() : torch::kFloat;
  return from_8bit(to_8bit(image), type);
}

}  // namespace nnlab::data
