// libFuzzer target: every segmenter on a small image (uint8 or float, 1 to 5 channels, float
// pixels possibly NaN or huge) with fuzzed options. A pixlime::error is a valid outcome; any
// other exception, a crash, a hang or an invalid segmentation is a finding.
#include "fuzz_input.hpp"

#include <pixlime/felzenszwalb.hpp>
#include <pixlime/grid.hpp>
#include <pixlime/quickshift.hpp>
#include <pixlime/slic.hpp>

#include <cstdlib>
#include <vector>

namespace {

void check(const pixlime::segmentation& s, int w, int h) {
    if (s.width() != w || s.height() != h || s.count() < 1) std::abort();
    std::vector<char> used(std::size_t(s.count()), 0);
    for (auto l : s.labels()) {
        if (l < 0 || l >= s.count()) std::abort();
        used[std::size_t(l)] = 1;
    }
    for (char u : used)
        if (!u) std::abort();
}

template <class T>
void segment(const pixlime::image<T>& img, fuzz::input& in) {
    const int which = in.in(0, 3);
    const int w = img.width(), h = img.height();
    if (which == 0) {
        pixlime::slic_options o;
        o.num_segments = in.in(-5, 2000);
        o.compactness = in.real();
        o.max_iterations = in.in(-1, 20);
        o.sigma = in.real();
        o.convert_to_lab = in.flag();
        o.enforce_connectivity = in.flag();
        o.min_size_factor = in.real();
        o.num_threads = in.in(0, 3);
        check(pixlime::slic(img, o), w, h);
    } else if (which == 1) {
        pixlime::quickshift_options o;
        o.ratio = in.real();
        o.kernel_size = in.flag() ? in.real() : double(in.in(1, 8));
        o.max_dist = in.real();
        o.sigma = in.real();
        o.convert_to_lab = in.flag();
        o.num_threads = in.in(0, 3);
        check(pixlime::quickshift(img, o), w, h);
    } else if (which == 2) {
        pixlime::felzenszwalb_options o;
        o.scale = in.real();
        o.sigma = in.real();
        o.min_size = in.in(-2, 500);
        check(pixlime::felzenszwalb(img, o), w, h);
    } else {
        check(pixlime::grid(img, pixlime::grid_options{in.in(-1, 50), in.in(-1, 50)}), w, h);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const int w = in.in(1, 24), h = in.in(1, 24), c = in.in(1, 5);
    try {
        if (in.flag()) {
            pixlime::image<float> img(w, h, c);
            for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = in.flag() ? in.real_float() : float(in.byte()) / 255.0f;
            segment(img, in);
        } else {
            pixlime::image<std::uint8_t> img(w, h, c);
            for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = in.byte();
            segment(img, in);
        }
    } catch (const pixlime::error&) {
    }
    return 0;
}
