#pragma once
/// \file pixlime/detail/blur.hpp
/// The one Gaussian blur of pixlime (segmenter features, hide_mode blur fill), with
/// scipy.ndimage.gaussian_filter's semantics: kernel truncated at 4 sigma, edges mirrored
/// ("reflect", half-sample symmetric: d c b a | a b c d | d c b a). Implementation detail of
/// pixlime: may change without notice.

#include <pixlime/detail/planes.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {

/// Largest accepted blur sigma, in pixels. The kernel has 8 sigma + 1 taps, so a blur costs
/// about 16 sigma operations per value: at 1000, a 224x224 RGB image takes seconds; a
/// larger blur is a near-constant image anyway.
constexpr double max_blur_sigma = 1000.0;

/// Throws pixlime::invalid_argument naming `name` unless 0 <= sigma <= max_blur_sigma.
inline void check_blur_sigma(const std::string& name, double sigma, const std::string& zero_means = "0 = no blur") {
    if (!(sigma >= 0 && sigma <= max_blur_sigma))
        throw invalid_argument(name, sigma, "a value in [0, 1000] pixels (" + zero_means + ")");
}

/// The mirrored index of i in [0, n) ("reflect"), for any i, also far outside [0, n).
inline int reflect_index(int i, int n) {
    if (n == 1) return 0;
    const int period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
}

/// Normalised 1-D Gaussian weights w[0..2r] (centre r) with r = int(4 sigma + 0.5), as
/// scipy.ndimage.gaussian_filter1d with truncate = 4. A sigma below 1/8 gives r = 0: {1}.
inline std::vector<float> gaussian_kernel(double sigma) {
    const int r = int(4.0 * sigma + 0.5);
    if (r == 0) return {1.0f};  // (sigma^2 may underflow to 0 here: no 0 / 0)
    std::vector<double> wd(std::size_t(2 * r + 1));
    double sum = 0;
    for (int i = -r; i <= r; ++i) {
        const double v = std::exp(-0.5 * double(i) * double(i) / (sigma * sigma));
        wd[std::size_t(i + r)] = v;
        sum += v;
    }
    std::vector<float> w(wd.size());
    for (std::size_t i = 0; i < wd.size(); ++i) w[i] = float(wd[i] / sum);
    return w;
}

/// Separable Gaussian blur of every plane in place (standard deviation `sigma` pixels along x
/// and y, none across planes). sigma must pass check_blur_sigma; below 1/8 nothing changes.
inline void gaussian_blur(feature_planes& p, double sigma, thread_pool& pool) {
    const std::vector<float> k = gaussian_kernel(sigma);
    const int r = int(k.size() / 2);
    if (r == 0 || p.values.empty()) return;
    const int w = p.width, h = p.height;
    std::vector<float> tmp(p.plane_size());
    for (int c = 0; c < p.channels; ++c) {
        float* pl = p.plane(c);
        // Horizontal pass: pl -> tmp, each row padded with its mirror images.
        pool.bands(h, [&](int y0, int y1) {
            std::vector<float> padded(std::size_t(w) + 2 * std::size_t(r));
            for (int y = y0; y < y1; ++y) {
                const float* in = pl + std::size_t(y) * std::size_t(w);
                for (int i = 0; i < r; ++i) {
                    padded[std::size_t(i)] = in[reflect_index(i - r, w)];
                    padded[std::size_t(w + r + i)] = in[reflect_index(w + i, w)];
                }
                std::copy(in, in + w, padded.begin() + r);
                float* out = tmp.data() + std::size_t(y) * std::size_t(w);
                std::fill(out, out + w, 0.0f);
                for (int j = 0; j <= 2 * r; ++j) {
                    const float kj = k[std::size_t(j)];
                    const float* src = padded.data() + j;
                    for (int x = 0; x < w; ++x) out[x] += kj * src[x];
                }
            }
        });
        // Vertical pass: tmp -> pl, combining whole rows (cache friendly).
        pool.bands(h, [&](int y0, int y1) {
            for (int y = y0; y < y1; ++y) {
                float* out = pl + std::size_t(y) * std::size_t(w);
                std::fill(out, out + w, 0.0f);
                for (int j = -r; j <= r; ++j) {
                    const float kj = k[std::size_t(j + r)];
                    const float* src = tmp.data() + std::size_t(reflect_index(y + j, h)) * std::size_t(w);
                    for (int x = 0; x < w; ++x) out[x] += kj * src[x];
                }
            }
        });
    }
}

}  // namespace detail
}  // namespace pixlime
