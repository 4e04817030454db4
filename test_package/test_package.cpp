// Conan's test_package: a small explanation through the packaged headers. ConanCenter's stb is
// headers only, so this one file compiles it.
#define PIXLIME_STB_IMPLEMENTATION
#include <pixlime/pixlime.hpp>

#include <cstdio>

int main() {
    // Two halves; the classifier's P(class 1) rises only with the right half kept.
    const pixlime::image<std::uint8_t> img(16, 8, 3, 150);
    std::vector<int> ids(16 * 8);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i % 16) < 8 ? 0 : 1;
    const auto seg = pixlime::segmentation::from_labels(16, 8, ids);
    auto classify = [](pixlime::batch_view<const std::uint8_t> b) {
        Eigen::VectorXf p(b.size());
        for (int i = 0; i < b.size(); ++i) p[i] = b[i].at(12, 4, 0) == 150 ? 0.8f : 0.3f;
        return p;
    };
    pixlime::explain_options opt;
    opt.fill = pixlime::constant_fill{{0}};
    opt.num_samples = 50;
    const auto ex = pixlime::explain(img, seg, classify, opt);
    // stb, compiled above: a pane written and read back.
    pixlime::save_png("test_package_positive.png", pixlime::render_positive(img, ex, 1));
    const bool read_back = pixlime::load_image("test_package_positive.png").width() == 16;
    std::printf("consumer ok: pixlime %s, top segment %d\n", pixlime::version, ex.ranked(1).front().first);
    return ex.ranked(1).front().first == 1 && read_back ? 0 : 1;
}
