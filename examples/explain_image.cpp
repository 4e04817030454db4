// Explains one image end to end and writes its panes.
//
//   explain_image [image.png] [output folder]
//
// The classifier here is a small hand-written colour model, so that the example runs anywhere
// without model files: it scores three classes, "warm" (orange/brown fur, wood), "cool" (blue,
// green) and "neutral" (grays), from the share of pixels of each kind (black counts for none). Plug in your own model
// by replacing `classify` (see README: ONNX Runtime, libtorch, OpenCV DNN).
#include <pixlime/pixlime.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {

const char* const class_names[] = {"warm", "cool", "neutral"};

// Softmax over three colour shares of one RGB image.
Eigen::RowVector3f colour_scores(pixlime::image_view<const std::uint8_t> img) {
    double warm = 0, cool = 0, neutral = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const double r = img.at(x, y, 0), g = img.at(x, y, 1), b = img.at(x, y, 2);
            const double spread = std::max({r, g, b}) - std::min({r, g, b});
            if (std::max({r, g, b}) < 16) continue;  // black: no evidence either way
            if (spread < 25) neutral += 1;
            else if (r > b + 20 && r >= g) warm += 1;
            else if (b > r || g > r) cool += 1;
        }
    const double n = double(img.pixel_count());
    Eigen::RowVector3f logits(float(2.5 * warm / n), float(2.5 * cool / n), float(2.5 * neutral / n));
    logits = (logits.array() - logits.maxCoeff()).exp();
    return logits / logits.sum();
}

}  // namespace

int main(int argc, char** argv) {
    const std::string input = argc > 1 ? argv[1] : std::string(PIXLIME_SAMPLE_IMAGES) + "/chelsea_224.png";
    const std::filesystem::path out_dir = argc > 2 ? argv[2] : "explain_image_out";
    try {
        const pixlime::image<std::uint8_t> img = pixlime::load_image(input, 3);
        auto classify = [](pixlime::batch_view<const std::uint8_t> batch) {
            Eigen::MatrixXf p(batch.size(), 3);
            for (int i = 0; i < batch.size(); ++i) p.row(i) = colour_scores(batch[i]);
            return p;
        };

        pixlime::explain_options opt;  // lime's defaults: 1000 samples, Ridge(alpha=1), kernel width 0.25, ...
        opt.seed = 7;
        // Hidden segments turn black (lime's hide_color=0): a segment-mean fill would keep each
        // segment's colour, and this colour model would barely notice anything was hidden.
        opt.fill = pixlime::constant_fill{{0}};
        opt.top_labels = 2;
        opt.batch_size = 50;
        const pixlime::explanation ex = pixlime::explain(img, classify, opt);  // SLIC segments

        std::filesystem::create_directories(out_dir);
        const int label = ex.top_labels().front();
        std::printf("%s: %dx%d, %d segments, %.1f ms\n", input.c_str(), img.width(), img.height(), ex.num_segments(),
                    ex.timings().total_ms);
        for (int l : ex.labels())
            std::printf("  class %-7s p = %.3f  surrogate R² = %.3f  local prediction = %.3f\n", class_names[l],
                        ex.model_prediction(l), ex.score(l), ex.local_prediction(l));
        std::printf("  top segments for '%s':", class_names[label]);
        for (std::size_t i = 0; i < 5; ++i) std::printf(" %d (%+.4f)", ex.ranked(label)[i].first, ex.ranked(label)[i].second);
        std::printf("\n");

        const pixlime::render_options ro;  // 5 segments, rest dimmed, outlines
        const auto positive = pixlime::render_positive(img, ex, label, ro);
        const auto negative = pixlime::render_negative(img, ex, label, ro);
        const auto overlay = pixlime::render_overlay(img, ex, label, ro);
        const auto heatmap = pixlime::render_heatmap(img, ex, label, ro);
        pixlime::save_png((out_dir / "positive.png").string(), positive);
        pixlime::save_png((out_dir / "negative.png").string(), negative);
        pixlime::save_png((out_dir / "overlay.png").string(), overlay);
        pixlime::save_png((out_dir / "heatmap.png").string(), heatmap);
        pixlime::save_png((out_dir / "panes.png").string(), pixlime::side_by_side({pixlime::to_rgb8(img), positive, negative, heatmap}));
        std::printf("wrote %s/{positive,negative,overlay,heatmap,panes}.png\n", out_dir.string().c_str());
    } catch (const pixlime::error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
