#pragma once
/// \file preprocess.hpp
/// Image to model input, as every app does it: channels converted, resized, rescaled to
/// [0, 1] floats (the form pixlime explains and the panes are drawn on); and back to 8 bits.

#include <pixlime/image.hpp>

#include <cstdint>
#include <string>

namespace pixlime::app {

/// The model's input: every image is converted to this many channels, resized to
/// width x height and rescaled to [0, 1].
struct input_shape {
    int width = 28, height = 28, channels = 1;
    int size() const { return width * height * channels; }
    friend bool operator==(const input_shape& a, const input_shape& b) {
        return a.width == b.width && a.height == b.height && a.channels == b.channels;
    }
};

/// Resizes each channel to width x height, each axis on its own: an axis that shrinks is
/// area-averaged (an output pixel is the mean of the input area it covers, partly covered
/// pixels weighted by the part), an axis that grows is interpolated linearly (pixel centres
/// aligned, edge pixels repeated). Constant images stay constant; values stay within the
/// input's range. Throws pixlime::invalid_argument for an empty image or a size below 1x1.
pixlime::image<float> resize(const pixlime::image<float>& img, int width, int height);
/// Any 8-bit image (1 to 4 channels, any size) to the model's input: channels converted
/// (gray <-> RGB by ITU-R 601 luma, alpha dropped or kept), resized with resize, rescaled to [0, 1].
pixlime::image<float> standardize(const pixlime::image<std::uint8_t>& img, const input_shape& shape);
/// Loads a file and standardizes it. Throws pixlime::io_error for a missing or corrupt file.
pixlime::image<float> load_standardized(const std::string& path, const input_shape& shape);
/// Nearest-neighbour upscaling factor that brings the smaller side to at least `min_px`.
int upscale_factor(int width, int height, int min_px = 224);
/// A [0, 1] float image back to 8 bits (for writing it out).
pixlime::image<std::uint8_t> to_u8(const pixlime::image<float>& img);

}  // namespace pixlime::app
