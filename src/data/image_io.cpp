// Image files <-> (C,H,W) float tensors. The resize path follows torchvision's ImageNet
// evaluation transform, Resize(256) + CenterCrop(224) (scaled for other crop sizes), so models
// trained in PyTorch see the same framing here.
#include "nnlab/data/image_io.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/data/image_header.h"
#include "nnlab/data/png_reader.h"

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

// (C, H, W) float [0,1] -> an 8-bit cv::Mat in OpenCV's BGR order (owning its pixels).
cv::Mat to_mat(const torch::Tensor& image) {
  const int channels = static_cast<int>(image.size(0));
  const torch::Tensor hwc = to_8bit(image.detach().cpu()).permute({1, 2, 0}).contiguous();
  cv::Mat pixels(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC(channels),
                 hwc.data_ptr<std::uint8_t>());
  cv::Mat out;
  if (channels == 3) {
    cv::cvtColor(pixels, out, cv::COLOR_RGB2BGR);
  } else {
    out = pixels.clone();
  }
  return out;
}

// An 8-bit cv::Mat (RGB or gray) -> (channels, H, W) float32 in [0,1].
torch::Tensor from_mat(cv::Mat image) {
  if (!image.isContinuous()) image = image.clone();
  const torch::Tensor hwc =
      torch::from_blob(image.data, {image.rows, image.cols, image.channels()}, torch::kUInt8);
  // from_8bit's conversion copies, so the result does not point into the cv::Mat's buffer.
  return from_8bit(hwc.permute({2, 0, 1}).contiguous(), torch::kFloat);
}

std::atomic<std::int64_t> max_pixels{kDefaultMaxImagePixels};

// Refuses, before decoding, a file whose header declares no pixels or too many, and a file in a
// format whose header is not read here but that OpenCV would decode (TIFF, WebP, ...): its size
// could not be checked first. Returns the header.
ImageHeader check_declared_size(const std::string& path) {
  const ImageHeader header = read_image_header(path);
  if (!header.known) {
    if (cv::haveImageReader(path)) {
      throw core::FileError(path,
                            "an image format nnlab does not read (PNG, JPEG, BMP and PNM are read: "
                            "their size is checked before decoding)");
    }
    throw core::FileError(path, "not an image (OpenCV cannot decode it)");
  }
  if (header.width <= 0 || header.height <= 0) {
    throw core::FileError(path, "not an image: the " + header.format + " header declares " +
                                    std::to_string(header.width) + "x" +
                                    std::to_string(header.height) + " pixels");
  }
  const std::int64_t limit = max_pixels.load();
  // Each side is below 2^32 (PNG's 4 bytes; BMP's and PNM's are capped at 2^31), so the product
  // fits in 64 unsigned bits.
  const std::uint64_t pixels =
      static_cast<std::uint64_t>(header.width) * static_cast<std::uint64_t>(header.height);
  if (pixels > static_cast<std::uint64_t>(limit)) {
    throw core::FileError(path, "declares " + std::to_string(header.width) + "x" +
                                    std::to_string(header.height) + " = " + std::to_string(pixels) +
                                    " pixels, more than the limit of " + std::to_string(limit) +
                                    " (raise it with set_max_image_pixels.pixels)");
  }
  return header;
}

// The file's pixels as an 8-bit cv::Mat, RGB or gray. PNGs through libpng (data/png_reader.h,
// whose errors are one line and whose warnings are not printed), the rest through OpenCV.
cv::Mat decode_file(const std::string& path, const ImageHeader& header, int channels) {
  if (header.format == "PNG") {
    DecodedPng png = read_png(path, channels);
    // The cv::Mat borrows the vector's pixels; the clone owns them past this scope.
    return cv::Mat(png.height, png.width, CV_8UC(png.channels), png.pixels.data()).clone();
  }
  // IGNORE_ORIENTATION: PIL (and so torchvision) does not apply EXIF rotation either.
  const int flags =
      (channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR) | cv::IMREAD_IGNORE_ORIENTATION;
  cv::Mat image;
  try {
    image = cv::imread(path, flags);
  } catch (const cv::Exception& e) {
    throw core::FileError(path, "not an image (OpenCV cannot decode it: " + e.msg + ")");
  }
  if (image.empty()) throw core::FileError(path, "not an image (OpenCV cannot decode it)");
  if (channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return image;
}

std::vector<int> write_params(const std::string& ext, int jpeg_quality) {
  // PNG level 1 instead of the default 3: several times faster, a few percent larger;
  // adversarial example sets are written thousands at a time.
  if (ext == ".png") return {cv::IMWRITE_PNG_COMPRESSION, 1};
  if (ext == ".jpg" || ext == ".jpeg") return {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  return {};
}

}  // namespace

void set_max_image_pixels(std::int64_t pixels) {
  TORCH_CHECK(pixels > 0, "set_max_image_pixels: the limit must be positive, got ", pixels);
  max_pixels.store(pixels);
}

std::int64_t max_image_pixels() {
  return max_pixels.load();
}

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
  if (fs::file_size(path) == 0) throw core::FileError(path, "not an image (the file is empty)");
  cv::Mat image = decode_file(path, check_declared_size(path), options.channels);

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
  return from_mat(image);
}

torch::Tensor load_images_of_size(const std::vector<std::string>& paths, int channels,
                                  std::int64_t height, std::int64_t width) {
  const ImageLoadOptions as_stored{channels, /*height=*/0, /*width=*/0};
  std::vector<torch::Tensor> images;
  for (const auto& path : paths) {
    auto image = load_image(path, as_stored);
    if (image.size(1) != height || image.size(2) != width) {
      throw core::FileError(path, "is " + std::to_string(image.size(2)) + "x" +
                                      std::to_string(image.size(1)) + " but the model takes " +
                                      std::to_string(width) + "x" + std::to_string(height) +
                                      " (adversarial images are never resized)");
    }
    images.push_back(std::move(image));
  }
  if (images.empty()) return torch::empty({0, channels, height, width});
  return torch::stack(images);
}

void save_image(const std::string& path, const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), "save_image(", path,
              "): expected (C, H, W) with C = 1 or 3, got ", image.sizes());
  if (!cv::haveImageWriter(path)) {
    throw core::FileError(path, "cannot write images of type '" + lower_extension(path) +
                                    "' (use .png, .jpg or .bmp)");
  }
  // Encoded in memory, then written by the one atomic writer, which checks every write and leaves
  // nothing behind when one fails (full disk, file too large, killed).
  std::vector<std::uint8_t> bytes;
  bool encoded = false;
  try {
    encoded = cv::imencode(lower_extension(path), to_mat(image), bytes,
                           write_params(lower_extension(path), 95));
  } catch (const cv::Exception& e) {
    throw core::FileError(path, "cannot encode image: " + e.msg);
  }
  if (!encoded) throw core::FileError(path, "cannot encode image (OpenCV's imencode failed)");
  core::write_text_atomically(path, std::string(bytes.begin(), bytes.end()));
}

std::vector<std::uint8_t> encode_image(const torch::Tensor& image, const std::string& format,
                                       int jpeg_quality) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
              "encode_image: expected (C, H, W) with C = 1 or 3, got ", image.sizes());
  TORCH_CHECK(format == ".png" || format == ".jpg",
              "encode_image: format must be .png or .jpg, got '", format, "'");
  TORCH_CHECK(jpeg_quality >= 1 && jpeg_quality <= 100,
              "encode_image: JPEG quality must be in "
              "[1, 100], got ",
              jpeg_quality);
  std::vector<std::uint8_t> bytes;
  TORCH_CHECK(cv::imencode(format, to_mat(image), bytes, write_params(format, jpeg_quality)),
              "encode_image: OpenCV could not encode ", format);
  return bytes;
}

torch::Tensor decode_image(const std::vector<std::uint8_t>& bytes, int channels) {
  TORCH_CHECK(channels == 1 || channels == 3, "decode_image: channels must be 1 or 3");
  cv::Mat image = cv::imdecode(bytes, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  TORCH_CHECK(!image.empty(), "decode_image: not an image OpenCV can decode");
  if (channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return from_mat(image);
}

torch::Tensor quantize_to_8bit(const torch::Tensor& image) {
  const torch::ScalarType type =
      torch::isFloatingType(image.scalar_type()) ? image.scalar_type() : torch::kFloat;
  return from_8bit(to_8bit(image), type);
}

}  // namespace nnlab::data
