// Images as float tensors in [0,1] pixel space, RGB channel order: PNGs decoded by libpng
// (data/png_reader.h), JPEG, BMP and PNM by OpenCV, every file written by OpenCV.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::data {

// The most pixels an image file may declare (10000 x 10000); more is refused unread.
constexpr std::int64_t kDefaultMaxImagePixels = 100'000'000;

// Sets the limit for the whole process. Every format load_image reads (PNG, JPEG, BMP, PNM) has its
// size read from its header and checked against the limit before anything is decoded
// (data/image_header.h); a file in another format is refused unread. (OpenCV's own limit,
// OPENCV_IO_MAX_IMAGE_PIXELS, is read once when its library loads, so it cannot follow this one.)
void set_max_image_pixels(std::int64_t pixels);
std::int64_t max_image_pixels();

struct ImageLoadOptions {
  int channels = 3;  // 3: RGB, 1: grayscale.
  int height = 224;  // Wanted size; 0 keeps the file's size.
  int width = 224;
  // When the file's size differs: ImageNet preprocessing (resize the short side to
  // resize_short = 256 * height / 224, centre-crop height x width), with a warning on stderr.
  bool warn_on_resize = true;
};

// Any PNG is valid input and is read by one rule (docs/FORMAT.md, "Images we read"): samples
// become 8 bits (a 16-bit sample keeps its high byte, v >> 8; 1-, 2- and 4-bit gray is scaled to
// 0-255), a palette is expanded to its colours, an alpha channel is dropped (the colour stays,
// nothing is blended); then gray is copied to R, G and B, or colour becomes gray as
// 0.299 R + 0.587 G + 0.114 B, as the model needs.
//
// Returns (C, H, W) float32 in [0,1]. Throws core::FileError (one line naming the file) for a
// missing file, one that is not a PNG, JPEG, BMP or PNM (another format OpenCV could decode is
// refused too: its size cannot be checked first), one that cannot be decoded, one that declares
// no pixels, and one that declares more than max_image_pixels() (checked from the header,
// before anything is decoded).
torch::Tensor load_image(const std::string& path, const ImageLoadOptions& options = {});

// What load_image did to a file, for callers that summarise many (one warning per folder).
struct ImageLoadInfo {
  int file_height = 0;  // the size stored in the file
  int file_width = 0;
  bool resized = false;  // resized and centre-cropped to the wanted size
};
// As load_image, also reporting the file's size and whether it was resized.
torch::Tensor load_image(const std::string& path, const ImageLoadOptions& options,
                         ImageLoadInfo* info);

// Loads files at their stored size into (N, channels, height, width); a file of any other size is
// a core::FileError naming it. For adversarial images, which must keep their inputs' size and so
// are never resized.
torch::Tensor load_images_of_size(const std::vector<std::string>& paths, int channels,
                                  std::int64_t height, std::int64_t width);

// Writes (C, H, W) float in [0,1] (rounded to 8 bits) as PNG/JPEG by extension, atomically.
void save_image(const std::string& path, const torch::Tensor& image);

// (C, H, W) float in [0,1] (rounded to 8 bits) -> the bytes of an image file in memory:
// format ".png" (lossless) or ".jpg" (quality 1-100). For JPEG defenses and HTML reports.
std::vector<std::uint8_t> encode_image(const torch::Tensor& image, const std::string& format,
                                       int jpeg_quality = 95);
// The inverse: bytes of a PNG/JPEG file -> (channels, H, W) float32 in [0,1].
torch::Tensor decode_image(const std::vector<std::uint8_t>& bytes, int channels);

// Rounds [0,1] values to the 8-bit grid exactly as save_image does: round(x * 255) / 255.
torch::Tensor quantize_to_8bit(const torch::Tensor& image);

}  // namespace nnlab::data
