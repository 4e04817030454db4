#include <pixlime_app/preprocess.hpp>

#include <pixlime/error.hpp>
#include <pixlime/io.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace pixlime::app {

namespace {

/// One output sample along an axis: a weighted sum of input samples first..first+weights.size()-1.
struct tap {
    int first = 0;
    std::vector<double> weights;
};

/// The taps that take n_in samples to n_out along one axis. Shrinking: output sample i is
/// the mean of the input over [i * n_in / n_out, (i + 1) * n_in / n_out), each input sample
/// weighted by how much of it lies in that span (area averaging). Enlarging: linear
/// interpolation between the two nearest input samples, sample centres aligned
/// (x_in = (i + 0.5) * n_in / n_out - 0.5), clamped to the first and last sample at the edges.
std::vector<tap> taps(int n_in, int n_out) {
    std::vector<tap> t(static_cast<std::size_t>(n_out));
    const double scale = double(n_in) / double(n_out);
    for (int i = 0; i < n_out; ++i) {
        tap& k = t[std::size_t(i)];
        if (n_out == n_in) {
            k.first = i;
            k.weights = {1.0};
        } else if (n_out < n_in) {
            const double a = i * scale, b = (i + 1) * scale;
            k.first = int(std::floor(a));
            const int last = std::min(n_in - 1, int(std::ceil(b)) - 1);
            for (int j = k.first; j <= last; ++j)
                k.weights.push_back((std::min(b, double(j + 1)) - std::max(a, double(j))) / scale);
        } else {
            const double x = std::clamp((i + 0.5) * scale - 0.5, 0.0, double(n_in - 1));
            k.first = std::min(int(std::floor(x)), n_in - 1);
            const double f = x - k.first;
            k.weights = {1.0 - f};
            if (f > 0) k.weights.push_back(f);
        }
    }
    return t;
}

}  // namespace

pixlime::image<float> resize(const pixlime::image<float>& img, int width, int height) {
    if (img.empty()) throw pixlime::invalid_argument("resize image", "empty", "a non-empty image");
    if (width < 1 || height < 1)
        throw pixlime::invalid_argument("resize size", std::to_string(width) + "x" + std::to_string(height), "at least 1x1");
    const int w0 = img.width(), h0 = img.height(), ch = img.channels();
    const std::vector<tap> tx = taps(w0, width), ty = taps(h0, height);
    // Across first (width x h0), then down (width x height); each axis on its own.
    pixlime::image<float> across(width, h0, ch);
    std::vector<double> acc(static_cast<std::size_t>(ch));
    for (int y = 0; y < h0; ++y)
        for (int x = 0; x < width; ++x) {
            const tap& k = tx[std::size_t(x)];
            std::fill(acc.begin(), acc.end(), 0.0);
            for (std::size_t j = 0; j < k.weights.size(); ++j)
                for (int c = 0; c < ch; ++c) acc[std::size_t(c)] += k.weights[j] * img.at(k.first + int(j), y, c);
            for (int c = 0; c < ch; ++c) across.at(x, y, c) = float(acc[std::size_t(c)]);
        }
    pixlime::image<float> out(width, height, ch);
    for (int y = 0; y < height; ++y) {
        const tap& k = ty[std::size_t(y)];
        for (int x = 0; x < width; ++x) {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (std::size_t j = 0; j < k.weights.size(); ++j)
                for (int c = 0; c < ch; ++c) acc[std::size_t(c)] += k.weights[j] * across.at(x, k.first + int(j), c);
            for (int c = 0; c < ch; ++c) out.at(x, y, c) = float(acc[std::size_t(c)]);
        }
    }
    return out;
}

pixlime::image<float> standardize(const pixlime::image<std::uint8_t>& img, const input_shape& shape) {
    const int sc = img.channels();
    if (sc < 1 || sc > 4) throw pixlime::invalid_argument("image channels", sc, "1..4");
    pixlime::image<float> conv(img.width(), img.height(), shape.channels);
    const std::uint8_t* src = img.data();
    float* dst = conv.data();
    for (std::int64_t i = 0; i < img.pixel_count(); ++i, src += sc, dst += shape.channels) {
        const float r = src[0] / 255.0f;
        const float g = (sc >= 3 ? src[1] : src[0]) / 255.0f;
        const float b = (sc >= 3 ? src[2] : src[0]) / 255.0f;
        const float a = (sc == 2 ? src[1] : sc == 4 ? src[3] : 255) / 255.0f;
        const float gray = sc >= 3 ? 0.299f * r + 0.587f * g + 0.114f * b : r;
        switch (shape.channels) {
            case 1: dst[0] = gray; break;
            case 2: dst[0] = gray; dst[1] = a; break;
            default:
                dst[0] = r; dst[1] = g; dst[2] = b;
                if (shape.channels == 4) dst[3] = a;
                for (int c = 4; c < shape.channels; ++c) dst[c] = 0.0f;
        }
    }
    if (img.width() == shape.width && img.height() == shape.height) return conv;
    pixlime::image<float> out = resize(conv, shape.width, shape.height);
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = std::clamp(out.data()[i], 0.0f, 1.0f);
    return out;
}

pixlime::image<float> load_standardized(const std::string& path, const input_shape& shape) {
    return standardize(pixlime::load_image(path), shape);
}

int upscale_factor(int width, int height, int min_px) {
    const int side = std::max(1, std::min(width, height));
    return std::max(1, (min_px + side - 1) / side);
}

pixlime::image<std::uint8_t> to_u8(const pixlime::image<float>& img) {
    pixlime::image<std::uint8_t> out(img.width(), img.height(), img.channels());
    for (std::size_t i = 0; i < img.size(); ++i)
        out.data()[i] = std::uint8_t(std::clamp(img.data()[i], 0.0f, 1.0f) * 255.0f + 0.5f);
    return out;
}

}  // namespace pixlime::app
