// Instantiates every public template of pixlime for both pixel types, so that compiling this
// file with strict warnings (-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
// -Wold-style-cast -Werror, pixlime included with -I, not as a system header) checks the code
// a user's program compiles, not just the declarations. Built, not run (tests/CMakeLists.txt).
#include <pixlime/pixlime.hpp>

#include <cstdint>
#include <vector>

namespace {

template <class T>
void everything(const pixlime::image<T>& img) {
    const auto seg = pixlime::slic(img);
    (void)pixlime::quickshift(img);
    (void)pixlime::felzenszwalb(img);
    (void)pixlime::grid(img);
    const pixlime::segmenter by_callable([](pixlime::image_view<const T> v) { return pixlime::grid(v); });
    (void)by_callable(img);
    auto classify = [](pixlime::batch_view<const T> b) { return Eigen::MatrixXf::Constant(b.size(), 3, 0.25f).eval(); };
    auto classify_float = [](pixlime::batch_view<const float> b) { return Eigen::MatrixXd::Constant(b.size(), 2, 0.5).eval(); };
    pixlime::explain_options opt;
    opt.num_samples = 20;
    opt.progress = [](int, int) { return true; };
    for (const pixlime::fill& stage : {pixlime::fill(pixlime::segment_mean_fill{}), pixlime::fill(pixlime::constant_fill{{1}}),
                                       pixlime::fill(pixlime::blur_fill{}), pixlime::fill(pixlime::image_fill{})}) {
        opt.fill = stage;
        (void)pixlime::explain(img, seg, classify, opt);
    }
    opt.fill = [](pixlime::image_view<const T> v, const pixlime::segmentation&) { return pixlime::image<T>(v); };
    opt.sampler = [](int n, int k, std::uint64_t) { return pixlime::mask_matrix::Ones(n, k).eval(); };
    opt.kernel = [](const pixlime::mask_matrix& m) { return Eigen::VectorXd::Ones(m.rows()).eval(); };
    opt.surrogate = [](const pixlime::mask_matrix& m, const Eigen::VectorXd& w, const Eigen::MatrixXd& y) {
        return pixlime::weighted_ridge{}(m, w, y);
    };
    const pixlime::explanation ex = pixlime::explain(img, classify, opt);
    opt.model_input.to_float = true;
    opt.model_input.layout = pixlime::layout::nchw;
    (void)pixlime::explain(img.view(), classify_float, opt);
    const int label = ex.top_labels().front();
    pixlime::render_options ro;
    (void)pixlime::side_by_side({pixlime::render_positive(img, ex, label, ro), pixlime::render_negative(img, ex, label, ro),
                                 pixlime::render_overlay(img.view(), ex, label, ro),
                                 pixlime::render_heatmap(img, seg, Eigen::VectorXd::Ones(seg.count()), ro)});
    (void)pixlime::upscale_nearest(img, 2);
    (void)pixlime::upscale_nearest(seg, 2);
    (void)pixlime::to_rgb8(img);
    pixlime::curve_options co;
    co.random_rankings = 2;
    co.progress = [](int, int) { return true; };
    (void)pixlime::deletion_curve(img, ex, classify, label, co);
    (void)pixlime::insertion_curve(img.view(), seg, pixlime::ranking_by_weight(Eigen::VectorXd::Zero(seg.count())), classify, 0, co);
    co.model_input = opt.model_input;
    (void)pixlime::insertion_curve(img, ex, classify_float, label, co);
    (void)pixlime::area_under_curve({0.0, 1.0}, {1.0, 1.0});
    const pixlime::perturber<float> p(img.view(), img.view(), seg, opt.model_input);
    std::vector<float> out(p.image_size());
    p.render(ex.samples().row(0).data(), out.data());
}

}  // namespace

void pixlime_instantiate_all() {
    everything(pixlime::image<std::uint8_t>(32, 24, 3, 7));
    everything(pixlime::image<float>(32, 24, 1, 0.5f));
    const auto img = pixlime::load_image("x.png", 3);
    pixlime::save_png("y.png", img);
    (void)pixlime::sample_masks(pixlime::sampling::balanced, 10, 4, 1);
    (void)pixlime::segmentation::from_labels(2, 1, std::vector<long>{5, -3});
    (void)pixlime::ranked(Eigen::VectorXd::Ones(3));
    (void)pixlime::distances_to_ones(pixlime::mask_matrix::Ones(2, 2), pixlime::distance_metric::hamming);
    // The stages by name (the parsers are templates over the enums inside).
    const pixlime::segmenter by_name = pixlime::parse_segmenter_kind("grid");
    const pixlime::fill fill_by_name = pixlime::parse_fill_kind("blur");
    (void)fill_by_name.builtin<pixlime::blur_fill>();
    (void)by_name.name();
    (void)pixlime::parse_sampling("orthogonal");
}
