// Benchmark of pixlime's segmenters (SLIC, quickshift, Felzenszwalb, grid) at 224 x 224
// and 1024 x 1024, one thread by default. Prints one line per case:
//   case <name> image <file> size <w>x<h> threads <t> runs <n> median_ms <m> min_ms <m> segments <k>
// benchmarks/skimage_times.py runs this and times scikit-image on the same inputs.
//
// Usage: bench_segmenters [--data DIR] [--save-inputs DIR] [--threads N] [--quick]
//   --data DIR         the sample images (default: tests/data/images of the source tree)
//   --save-inputs DIR  also write the inputs as PNG files there (for skimage_times.py)
//   --threads N        num_threads for SLIC and quickshift (default 1)
//   --quick            fewer runs
#include <pixlime/felzenszwalb.hpp>
#include <pixlime/grid.hpp>
#include <pixlime/io.hpp>
#include <pixlime/quickshift.hpp>
#include <pixlime/slic.hpp>

// The 1024 x 1024 inputs are resized with stb_image_resize (from Debian's libstb-dev; pixlime
// itself does not use it).
#if __has_include(<stb_image_resize.h>)
#include <stb_image_resize.h>
#else
#include <stb/stb_image_resize.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#ifndef PIXLIME_SAMPLE_IMAGES  // defined by benchmarks/CMakeLists.txt
#define PIXLIME_SAMPLE_IMAGES "tests/data/images"
#endif

namespace {

struct timing {
    double median_ms = 0, min_ms = 0;
    int segments = 0;
};

timing run(int runs, const std::function<pixlime::segmentation()>& f) {
    std::vector<double> ms;
    int segments = 0;
    f();  // warm-up
    for (int r = 0; r < runs; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto s = f();
        const auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        segments = s.count();
    }
    std::sort(ms.begin(), ms.end());
    const std::size_t n = ms.size();
    timing t;
    t.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    t.min_ms = ms.front();
    t.segments = segments;
    return t;
}

/// Bilinear resize (stb_image_resize) of an 8-bit image.
pixlime::image<std::uint8_t> resize(const pixlime::image<std::uint8_t>& img, int w, int h) {
    pixlime::image<std::uint8_t> out(w, h, img.channels());
    stbir_resize_uint8(img.data(), img.width(), img.height(), 0, out.data(), w, h, 0, img.channels());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data = PIXLIME_SAMPLE_IMAGES, save;
    int threads = 1;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--data" && i + 1 < argc) {
            data = argv[++i];
        } else if (a == "--save-inputs" && i + 1 < argc) {
            save = argv[++i];
        } else if (a == "--threads" && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else if (a == "--quick") {
            quick = true;
        } else {
            std::fprintf(stderr, "usage: %s [--data DIR] [--save-inputs DIR] [--threads N] [--quick]\n", argv[0]);
            return 2;
        }
    }
    const auto small = pixlime::load_image(data + "/chelsea_224.png", 3);
    const auto large = resize(pixlime::load_image(data + "/chelsea_full.png", 3), 1024, 1024);
    if (!save.empty()) {
        pixlime::save_png(save + "/chelsea_224.png", small);
        pixlime::save_png(save + "/chelsea_1024.png", large);
    }
    struct input {
        const char* file;
        const pixlime::image<std::uint8_t>* img;
        int runs, slic_runs;  // SLIC is fast and noisy: more runs for a steadier median
    };
    const input inputs[] = {{"chelsea_224.png", &small, quick ? 5 : 21, quick ? 11 : 101},
                            {"chelsea_1024.png", &large, quick ? 2 : 5, quick ? 3 : 21}};

    auto report = [&](const char* name, const input& in, int runs, const timing& t) {
        std::printf("case %s image %s size %dx%d threads %d runs %d median_ms %.3f min_ms %.3f segments %d\n", name, in.file,
                    in.img->width(), in.img->height(), threads, runs, t.median_ms, t.min_ms, t.segments);
        std::fflush(stdout);
    };
    for (const input& in : inputs) {
        const auto& img = *in.img;
        pixlime::slic_options so;  // scikit-image's defaults: 100 segments, compactness 10
        so.num_threads = threads;
        report("slic", in, in.slic_runs, run(in.slic_runs, [&] { return pixlime::slic(img, so); }));
        pixlime::quickshift_options qo;  // lime's defaults
        qo.num_threads = threads;
        const int qruns = std::max(1, in.runs / 2);
        report("quickshift", in, qruns, run(qruns, [&] { return pixlime::quickshift(img, qo); }));
        report("felzenszwalb", in, in.runs, run(in.runs, [&] { return pixlime::felzenszwalb(img); }));
        report("grid", in, in.runs, run(in.runs, [&] { return pixlime::grid(img.width(), img.height(), 8, 8); }));
    }
    return 0;
}
