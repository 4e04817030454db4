// explain's perturbation threads: is more threads ever slower? A stub classifier (reads one
// pixel), 224x224 RGB chelsea_224.png, 100 segments (10x10 grid), 1000 samples; batch sizes 10
// (lime's) and 64; num_threads 1, 2 and 8. Prints the median of `repeats` explain calls per case.
//
//   bench_threads [repeats=31]
//
// Written against the part of the API that pixlime 0.1 (before the thread pool) also has, so
// the same file builds against both trees for a before/after comparison in one run.
#include <pixlime/pixlime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const int repeats = argc > 1 ? std::atoi(argv[1]) : 31;
    const auto img = pixlime::load_image(std::string(PIXLIME_SAMPLE_IMAGES) + "/chelsea_224.png", 3);
    std::vector<std::int32_t> labels(224 * 224);
    for (int y = 0; y < 224; ++y)
        for (int x = 0; x < 224; ++x) labels[std::size_t(y * 224 + x)] = (y * 10 / 224) * 10 + x * 10 / 224;
    const pixlime::segmentation seg(224, 224, labels);
    auto stub = [](pixlime::batch_view<const std::uint8_t> b) {
        Eigen::MatrixXf p(b.size(), 10);
        for (int i = 0; i < b.size(); ++i) p.row(i).setConstant(b[i].at(100, 100, 0) / 255.f);
        return p;
    };
    for (int batch : {10, 64})
        for (int threads : {1, 2, 8}) {
            pixlime::explain_options opt;
            opt.seed = 1;
            opt.batch_size = batch;
            opt.num_threads = threads;
            std::vector<double> ms;
            for (int r = 0; r < repeats; ++r) {
                const auto t0 = std::chrono::steady_clock::now();
                const auto ex = pixlime::explain(img, seg, stub, opt);
                ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                if (ex.num_segments() != 100) return 1;
            }
            std::sort(ms.begin(), ms.end());
            std::printf("batch %2d threads %d: median %.2f ms (min %.2f, max %.2f, %d runs)\n", batch, threads, ms[ms.size() / 2],
                        ms.front(), ms.back(), repeats);
        }
    return 0;
}
