#pragma once
/// \file pixlime/model_input.hpp
/// pixlime::model_input: what the batch handed to the classifier looks like. By default it
/// holds the image's own pixels, interleaved (NHWC), as stored. A typical ONNX Runtime,
/// libtorch or OpenCV DNN model instead wants float NCHW, scaled and normalised per channel;
/// with model_input the perturbed images are written straight into that form, so the
/// classifier needs no conversion loop (one costs about 0.1 ms per 224x224 image, more than
/// all of pixlime's own work per sample):
///
///     opt.model_input.to_float = true;                      // batch_view<const float>
///     opt.model_input.layout = pixlime::layout::nchw;       // one plane per channel
///     opt.model_input.scale = 1.0 / 255;                    // uint8 -> [0, 1]
///     opt.model_input.mean = {0.485, 0.456, 0.406};         // ImageNet normalisation
///     opt.model_input.stddev = {0.229, 0.224, 0.225};
///
/// Every value then is (pixel * scale - mean[c]) / stddev[c]. The perturbation is the same
/// (hidden segments take the fill's pixels, converted alike); only the classifier's view of
/// it changes.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace pixlime {

/// The form of the batch the classifier receives (see the file comment).
struct model_input {
    /// false (default): the image's own pixel type T (batch_view<const T>); true: float
    /// (batch_view<const float>), each value (pixel * scale - mean[c]) / stddev[c].
    bool to_float = false;
    /// Memory order of the batch (default nhwc, pixlime's own).
    pixlime::layout layout = pixlime::layout::nhwc;
    /// The channels handed over, in order: output channel c is the image's channel
    /// channels[c]. Empty (default): every channel as stored. E.g. {2, 1, 0} for a BGR model
    /// and an RGB image, {0, 0, 0} for an RGB model and a gray image, {0, 1, 2} to drop alpha.
    /// Each entry in 0..channels-1; at most max_channels entries.
    std::vector<int> channels;
    /// to_float only: factor applied to each pixel first (default 1; e.g. 1/255 maps uint8 to
    /// [0, 1]). Finite and != 0.
    double scale = 1.0;
    /// to_float only: subtracted per output channel after scaling: empty (default: 0), one
    /// value for all channels, or one per output channel. Finite.
    std::vector<double> mean;
    /// to_float only: divisor per output channel after the mean: empty (default: 1), one value
    /// for all, or one per output channel. Finite and != 0.
    std::vector<double> stddev;

    /// True when the classifier gets the image's pixels as stored (nothing to convert).
    bool is_identity() const { return !to_float && layout == pixlime::layout::nhwc && channels.empty(); }
    /// Channels handed to the classifier for an image of `image_channels`.
    int output_channels(int image_channels) const { return channels.empty() ? image_channels : int(channels.size()); }

    /// Throws pixlime::invalid_argument naming the first field that does not fit an image of
    /// `image_channels` channels.
    void validate(int image_channels) const {
        if (layout != pixlime::layout::nhwc && layout != pixlime::layout::nchw)
            throw invalid_argument("model_input.layout", int(layout), "pixlime::layout::nhwc or nchw");
        if (channels.size() > std::size_t(max_channels))
            throw invalid_argument("model_input.channels size", channels.size(), "at most " + std::to_string(max_channels));
        for (std::size_t c = 0; c < channels.size(); ++c)
            if (channels[c] < 0 || channels[c] >= image_channels)
                throw invalid_argument("model_input.channels[" + std::to_string(c) + "]", channels[c],
                                       "a channel of the image, 0.." + std::to_string(image_channels - 1));
        const int out = output_channels(image_channels);
        if (!to_float) {
            if (scale != 1.0 || !mean.empty() || !stddev.empty())
                throw invalid_argument("model_input.to_float", "false",
                                       "true when scale, mean or stddev is set (they make float values)");
            return;
        }
        if (!std::isfinite(scale) || scale == 0) throw invalid_argument("model_input.scale", scale, "a finite value != 0");
        check_per_channel("model_input.mean", mean, out, false);
        check_per_channel("model_input.stddev", stddev, out, true);
    }

private:
    static void check_per_channel(const std::string& name, const std::vector<double>& v, int out, bool nonzero) {
        if (!v.empty() && v.size() != 1 && v.size() != std::size_t(out))
            throw invalid_argument(name + " size", v.size(), "0, 1 or the output channel count " + std::to_string(out));
        for (std::size_t c = 0; c < v.size(); ++c)
            if (!std::isfinite(v[c]) || (nonzero && v[c] == 0))
                throw invalid_argument(name + "[" + std::to_string(c) + "]", v[c], nonzero ? "a finite value != 0" : "a finite value");
    }
};

namespace detail {

/// `img` converted to the classifier's form (U: float when input.to_float, else the image's
/// T): width * height * output channels values in input.layout order. input must be
/// validated. Values are computed in double and rounded once to float; a value outside
/// float's range throws pixlime::invalid_argument.
template <class U, class T>
std::vector<U> to_model_input(image_view<const T> img, const model_input& input) {
    const int w = img.width(), h = img.height(), ic = img.channels(), oc = input.output_channels(ic);
    const std::size_t plane = std::size_t(w) * std::size_t(h);
    std::vector<U> out(plane * std::size_t(oc));
    if constexpr (std::is_same_v<U, T>) {
        if (input.is_identity()) {  // the values as stored: row by row
            const std::size_t row = std::size_t(w) * std::size_t(ic);
            for (int y = 0; y < h; ++y) std::copy(img.row(y), img.row(y) + row, out.begin() + std::ptrdiff_t(std::size_t(y) * row));
            return out;
        }
    }
    std::vector<int> source(static_cast<std::size_t>(oc));
    std::vector<double> mean(std::size_t(oc), 0.0), inv(std::size_t(oc), 1.0);
    for (int c = 0; c < oc; ++c) {
        source[std::size_t(c)] = input.channels.empty() ? c : input.channels[std::size_t(c)];
        if (!input.mean.empty()) mean[std::size_t(c)] = input.mean[input.mean.size() == 1 ? 0 : std::size_t(c)];
        if (!input.stddev.empty()) inv[std::size_t(c)] = input.stddev[input.stddev.size() == 1 ? 0 : std::size_t(c)];
    }
    const bool nchw = input.layout == layout::nchw;
    for (int y = 0; y < h; ++y) {
        const T* row = img.row(y);
        for (int x = 0; x < w; ++x) {
            const std::size_t p = std::size_t(y) * std::size_t(w) + std::size_t(x);
            for (int c = 0; c < oc; ++c) {
                const T v = row[std::ptrdiff_t(x) * ic + source[std::size_t(c)]];
                const std::size_t at = nchw ? std::size_t(c) * plane + p : p * std::size_t(oc) + std::size_t(c);
                if (input.to_float) {
                    if constexpr (std::is_same_v<U, float>) {
                        const double r = (double(v) * input.scale - mean[std::size_t(c)]) / inv[std::size_t(c)];
                        if (!(std::abs(r) <= double(std::numeric_limits<float>::max())))
                            throw invalid_argument("model_input", "pixel value " + detail::to_text(double(v)) + " -> " + detail::to_text(r),
                                                   "scale, mean and stddev that keep values within float range");
                        out[at] = float(r);
                    }
                } else if constexpr (std::is_same_v<U, T>) {
                    out[at] = v;
                }
            }
        }
    }
    return out;
}

}  // namespace detail
}  // namespace pixlime
