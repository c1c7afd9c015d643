#include "nnlab/data/png_reader.h"

#include <png.h>

#include <cstdio>
#include <stdexcept>

#include "nnlab/core/error.h"

namespace nnlab::data {

namespace {

struct Messages {
  char error[256] = "";  // a fixed buffer: filled inside libpng's call, before the longjmp
  std::vector<std::string> warnings;
};

// libpng's error callback must not return: it records the message and jumps back to decode().
// Nothing with a destructor is alive in the frames it jumps over (this one and libpng's).
[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto* messages = static_cast<Messages*>(png_get_error_ptr(png));
  std::snprintf(messages->error, sizeof messages->error, "%s", message ? message : "");
  png_longjmp(png, 1);
}

void on_warning(png_structp png, png_const_charp message) {
  auto* messages = static_cast<Messages*>(png_get_error_ptr(png));
  try {
    messages->warnings.emplace_back(message ? message : "");
  } catch (...) {  // out of memory for a warning: it is dropped, the image is still read
  }
}

// Owns the file and libpng's structs, so that every way out of read_png frees them.
struct Reader {
  std::FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end = nullptr;
  ~Reader() {
    if (png != nullptr) png_destroy_read_struct(&png, &info, &end);
    if (file != nullptr) std::fclose(file);
  }
};

// The libpng calls, between setjmp and any longjmp from on_error: false on a libpng error. Its
// own frame holds only plain values, so the jump skips no destructor; the vectors it fills belong
// to the caller and are resized before libpng writes into them.
bool decode(const Reader& r, int channels, DecodedPng& out, std::vector<png_bytep>& rows) {
  if (setjmp(png_jmpbuf(r.png)) != 0) return false;
  png_init_io(r.png, r.file);
  png_read_info(r.png, r.info);
  const png_uint_32 width = png_get_image_width(r.png, r.info);
  const png_uint_32 height = png_get_image_height(r.png, r.info);
  const int bit_depth = png_get_bit_depth(r.png, r.info);
  const int color_type = png_get_color_type(r.png, r.info);
  // OpenCV's calls (PngDecoder::readData, 8-bit output of 1 or 3 channels), less png_set_bgr:
  // colour stays in RGB order, which OpenCV's caller restored with a cvtColor.
  if (bit_depth == 16) png_set_strip_16(r.png);
  png_set_strip_alpha(r.png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(r.png);
  }
  if (channels == 3) {
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(r.png);
  } else {
    png_set_rgb_to_gray(r.png, PNG_ERROR_ACTION_NONE, 0.299, 0.587);
  }
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  if (png_get_rowbytes(r.png, r.info) != static_cast<png_size_t>(width) * channels) {
    png_error(r.png, "unexpected row size after conversion to 8-bit samples");
  }
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.channels = channels;
  out.pixels.resize(static_cast<std::size_t>(width) * height * channels);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) {
    rows[y] = out.pixels.data() + static_cast<std::size_t>(y) * width * channels;
  }
  png_read_image(r.png, rows.data());
  png_read_end(r.png, r.end);
  return true;
}

}  // namespace

DecodedPng read_png(const std::string& path, int channels) {
  if (channels != 1 && channels != 3) {
    throw std::invalid_argument("read_png: channels must be 1 or 3, got " +
                                std::to_string(channels));
  }
  Messages messages;
  Reader r;
  r.file = std::fopen(path.c_str(), "rb");
  if (r.file == nullptr) throw core::FileError(path, "cannot open for reading");
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &messages, on_error, on_warning);
  if (r.png != nullptr) r.info = png_create_info_struct(r.png);
  if (r.png != nullptr) r.end = png_create_info_struct(r.png);
  if (r.png == nullptr || r.info == nullptr || r.end == nullptr) {
    throw core::FileError(path, "cannot read PNG: libpng could not start (out of memory?)");
  }
  DecodedPng out;
  std::vector<png_bytep> rows;
  if (!decode(r, channels, out, rows)) {
    throw core::FileError(path, std::string("damaged PNG: ") + messages.error);
  }
  out.warnings = std::move(messages.warnings);
  return out;
}

}  // namespace nnlab::data
