// A user's program: explain an image whose classifier only looks at its left half.
#ifdef CONSUMER_OWN_STB
#define PIXLIME_STB_IMPLEMENTATION  // this one file compiles stb (no system stb library)
#endif
#include <pixlime/pixlime.hpp>

#include <cstdio>
#include <cstdlib>

int main() {
    pixlime::image<std::uint8_t> img(32, 16, 3, 200);
    std::vector<int> ids(32 * 16);
    for (int i = 0; i < 32 * 16; ++i) ids[std::size_t(i)] = (i % 32) / 8;  // four vertical bands
    const auto seg = pixlime::segmentation::from_labels(32, 16, ids);
    auto classify = [](pixlime::batch_view<const std::uint8_t> b) {
        Eigen::MatrixXf p(b.size(), 1);
        for (int i = 0; i < b.size(); ++i) p(i, 0) = b[i].at(3, 3, 0) == 200 ? 0.9f : 0.1f;  // band 0 only
        return p;
    };
    pixlime::explain_options opt;
    opt.fill = pixlime::constant_fill{{0}};  // hidden segments black
    const auto ex = pixlime::explain(img, seg, classify, opt);
    pixlime::save_png("consumer_positive.png", pixlime::render_positive(img, ex, 1));
    if (ex.ranked(1).front().first != 0 || pixlime::load_image("consumer_positive.png").width() != 32) return EXIT_FAILURE;
    std::printf("consumer ok: pixlime %s, top segment %d, weight %.3f\n", pixlime::version, ex.ranked(1).front().first,
                ex.ranked(1).front().second);
    return 0;
}
