#include "faithfulness.hpp"

#include <algorithm>
#include <random>

namespace wf {

namespace {

pixlime::image<float> hide(const pixlime::image<float>& img, const pixlime::segmentation& seg, const std::vector<int>& segs) {
    std::vector<char> off(std::size_t(seg.count()), 0);
    for (int s : segs) off[std::size_t(s)] = 1;
    pixlime::image<float> out = img;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            if (off[std::size_t(seg.label(x, y))])
                for (int c = 0; c < img.channels(); ++c) out.at(x, y, c) = 0.0f;
    return out;
}

}  // namespace

faithfulness_result faithfulness(const deployed_model& m, const std::vector<pixlime::image<float>>& images,
                                 const explain_settings& es, int k, int draws, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    faithfulness_result r;
    double sum_top = 0, sum_rand = 0;
    for (const auto& img : images) {
        const pixlime::explanation ex = explain_image(img, m, es);
        const pixlime::segmentation& seg = ex.segments();
        const int label = ex.top_labels().at(0);
        auto prob = [&](const pixlime::image<float>& im) {
            const Eigen::MatrixXf p =
                m.classify(pixlime::batch_view<const float>(im.data(), 1, im.width(), im.height(), im.channels()));
            return m.binary ? (label == 1 ? double(p(0, 0)) : 1.0 - double(p(0, 0))) : double(p(0, label));
        };
        const double p0 = prob(img);

        std::vector<int> top;
        for (const auto& [s, w] : ex.ranked(label))
            if (w > 0 && int(top.size()) < k) top.push_back(s);
        // Random segments come from those holding part of the object (not the black
        // background, whose hiding changes nothing): the harder comparison.
        const std::vector<char> background = background_segments(img, seg, std::max(es.merge_background, 0.0));
        std::vector<int> candidates;
        for (int s = 0; s < seg.count(); ++s)
            if (!background[std::size_t(s)]) candidates.push_back(s);
        const std::size_t n = std::min(top.size(), candidates.size());
        if (n == 0) continue;
        top.resize(n);

        const double drop_top = p0 - prob(hide(img, seg, top));
        double drop_rand = 0;
        for (int d = 0; d < draws; ++d) {
            std::vector<int> c = candidates;
            std::shuffle(c.begin(), c.end(), rng);
            c.resize(n);
            drop_rand += (p0 - prob(hide(img, seg, c))) / draws;
        }
        sum_top += drop_top;
        sum_rand += drop_rand;
        r.top_beats_random += drop_top > drop_rand;
        ++r.images;
    }
    if (r.images) {
        r.top_drop = sum_top / r.images;
        r.random_drop = sum_rand / r.images;
    }
    return r;
}

}  // namespace wf
