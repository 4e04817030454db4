#include "faithfulness.hpp"

namespace wf {

faithfulness_result faithfulness(const deployed_model& m, const std::vector<pixlime::image<float>>& images,
                                 const explain_settings& es, int random_rankings, std::uint64_t seed) {
    faithfulness_result r;
    r.random_rankings = random_rankings;
    pixlime::curve_options opt;  // removed: black; insertion from blur_fill{3}
    opt.random_rankings = random_rankings;
    opt.batch_size = 100;  // one matrix product per 100 images: the MLP is cheap per image, not per call
    for (std::size_t i = 0; i < images.size(); ++i) {
        const pixlime::explanation ex = explain_image(images[i], m, es);
        const int label = ex.top_labels().at(0);
        opt.seed = seed + i;
        const pixlime::faithfulness_curve del = pixlime::deletion_curve(images[i], ex, m.classify, label, opt);
        const pixlime::faithfulness_curve ins = pixlime::insertion_curve(images[i], ex, m.classify, label, opt);
        r.deletion_auc += del.auc;
        r.deletion_random_auc += del.random_auc;
        r.deletion_beats_random += del.auc < del.random_auc;
        r.insertion_auc += ins.auc;
        r.insertion_random_auc += ins.random_auc;
        r.insertion_beats_random += ins.auc > ins.random_auc;
        ++r.images;
    }
    if (r.images) {
        for (double* v : {&r.deletion_auc, &r.deletion_random_auc, &r.insertion_auc, &r.insertion_random_auc}) *v /= r.images;
    }
    return r;
}

}  // namespace wf
