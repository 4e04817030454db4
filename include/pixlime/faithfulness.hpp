#pragma once
/// \file pixlime/faithfulness.hpp
/// Does the explanation name what the classifier actually uses? The causal metrics of RISE
/// (Petsiuk, Das, Saenko 2018, "RISE: Randomized Input Sampling for Explanation of Black-box
/// Models", BMVC), over segments instead of pixels:
///
/// - deletion_curve: the image's segments are removed in ranked order, most important first
///   (replaced by curve_options::deletion_fill, black by default), and the classifier's output for
///   the label is recorded after each step. An explanation that finds what matters makes the
///   output fall early: a *low* area under the curve (AUC).
/// - insertion_curve: starting from a blurred copy of the image (curve_options::insertion_fill),
///   the segments are restored in ranked order. The output should rise early: a *high* AUC.
///
/// The x axis is the fraction of the image's pixels removed (restored) so far, so a segment
/// counts for its area: RISE removes a fixed number of pixels per step and plots the same
/// fraction. The AUC is the trapezoid rule over x in [0, 1] (RISE's auc() is the trapezoid rule
/// over its equal steps). With an explanation's ranking this is RISE's protocol on the
/// explanation's heatmap (every pixel of a segment has the segment's weight).
///
/// An explanation's weights say what hiding a segment with explain_options::fill does: measure
/// it with the same fill (curve_options::deletion_fill = the explanation's fill) to judge it on its
/// own terms; with another fill the curve also measures how alike the two fills act.
///
/// Each curve comes with a baseline that knows nothing: the same curve for
/// curve_options::random_rankings uniformly random rankings (from curve_options::seed), their
/// mean AUC (random_auc) and their mean curve (random_score). An explanation is useful where
/// its deletion AUC is below random_auc and its insertion AUC above.
///
/// The classifier is called exactly as pixlime::explain calls it, through the same adapter and
/// batching loop (classifier.hpp: batches of curve_options::batch_size images in
/// curve_options::model_input's form, a single output column read as a binary model's
/// P(class 1), or as a value with curve_options::task = task::regression, an optional
/// batch_memory member), with the same checks of its output. The curves of a regression
/// model follow its value (label 0): deletion should make it fall early from where the
/// explanation's positive segments held it. One
/// curve with R random rankings over K segments costs K + 1 + R (K - 1) classifier images (the
/// first and last steps are the same image for every ranking and are classified once).
///
/// The result, faithfulness_curve, and the curves' arithmetic (area_under_curve,
/// ranking_by_weight) are in curve.hpp, which this header includes.

#include <pixlime/classifier.hpp>
#include <pixlime/curve.hpp>
#include <pixlime/detail/random.hpp>
#include <pixlime/error.hpp>
#include <pixlime/explanation.hpp>
#include <pixlime/fill.hpp>
#include <pixlime/image.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/perturb.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/task.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// Options of deletion_curve and insertion_curve.
struct curve_options {
    /// Images per classifier call (as explain_options::batch_size; lime: 10). >= 1. Peak memory
    /// is about batch_size x image size; results do not depend on it.
    int batch_size = 10;
    /// What a removed segment shows in the deletion curve (pixlime: constant_fill{}, black: 0 in
    /// the image's scale; RISE's evaluation code sets removed pixels to 0 with torch.zeros_like
    /// on its normalised input tensors, which is ImageNet's mean colour in image terms: for
    /// that, a constant_fill of the mean colour). Any pixlime::fill; see perturb.hpp. Use the
    /// explanation's explain_options::fill to measure it with the perturbation it was fitted on.
    pixlime::fill deletion_fill = constant_fill{};
    /// Where the insertion curve starts, and what segments not yet restored show (pixlime:
    /// blur_fill{3.0}, a Gaussian blur of standard deviation 3 pixels, truncated at 4 sigma,
    /// mirrored edges). RISE's insertion starts from a blurred image: its evaluation code
    /// (eclique/RISE, evaluation.py: gkern(klen=11, nsig=5), conv2d with zero padding) blurs
    /// with scipy's gaussian_filter(sigma=5) of a delta cut to 11x11 pixels, which is nearly a
    /// box blur of standard deviation 3.13 pixels per axis (computed for pixlime from scipy's
    /// "reflect" folding of the tails), on 224x224 inputs; 3 is that width (a true Gaussian of
    /// sigma 5 would blur much more than RISE did). Scale it for images far from 224 pixels
    /// (blur_fill{} picks max(width, height) / 50). Any pixlime::fill; see perturb.hpp.
    pixlime::fill insertion_fill = blur_fill{3.0};
    /// Random rankings of the baseline (pixlime: 20: the standard error of random_auc is then
    /// about random_auc_stddev / 4.5). >= 0; 0 = no baseline (random_score empty, random_auc
    /// NaN).
    int random_rankings = 20;
    /// Seeds the random rankings; the same seed gives the same curves whatever the batch size.
    std::uint64_t seed = 0;
    /// The form of the batches the classifier receives (as explain_options::model_input).
    pixlime::model_input model_input;
    /// What the classifier's output is (as explain_options::task; pixlime: task::classification).
    /// With task::regression the curve follows the model's single output, the value, label 0.
    /// The curves of an explanation use its task (explanation::task) instead.
    pixlime::task task = pixlime::task::classification;
    /// Called after each batch with the images classified so far and the total (pixlime:
    /// none). Returning false stops with pixlime::cancelled.
    std::function<bool(int images_done, int images_total)> progress;
    /// Sizes refused before allocating: max_samples bounds the classifier images (K + 1 +
    /// random_rankings x (K - 1)), max_segments the segments, max_explanation_bytes the batch
    /// buffer and the curves, max_classes the classifier's columns, max_pixels and
    /// max_image_bytes the image.
    pixlime::limits limits;
    /// Deprecated (0.2's names of deletion_fill and insertion_fill): assigning them still
    /// works, with a deprecation warning, and when set they are used instead. Removed in the
    /// release after 0.3.
    detail::renamed_removed removed;
    /// Deprecated spelling of the insertion fill (see the comment above); removed in the release after 0.3.
    detail::renamed_substrate substrate;
};

namespace detail {

/// Throws pixlime::invalid_argument naming the first field of `opt` out of range.
inline void check_curve_options(const curve_options& opt) {
    const limits& lim = opt.limits;
    if (lim.max_pixels < 1 || lim.max_image_bytes < 1 || lim.max_samples < 1 || lim.max_segments < 1 || lim.max_classes < 1 ||
        lim.max_explanation_bytes < 1)
        throw invalid_argument("curve_options.limits", "a value below its minimum",
                               "max_pixels, max_image_bytes, max_samples, max_segments, max_classes, max_explanation_bytes >= 1");
    if (opt.batch_size < 1) throw invalid_argument("curve_options.batch_size", opt.batch_size, "at least 1");
    if (opt.random_rankings < 0) throw invalid_argument("curve_options.random_rankings", opt.random_rankings, "at least 0 (0: no baseline)");
    check_task(opt.task, "curve_options.task");
}

/// Throws pixlime::invalid_argument unless `img` (see check_input_image), `seg` (img's size, at
/// most limits.max_segments segments: size_limit_error), `ranking` (every segment once) and
/// `label` (>= 0; 0 with task::regression) can make a curve.
template <class T>
void check_curve_input(image_view<const T> img, const segmentation& seg, const std::vector<int>& ranking, int label,
                       const curve_options& opt) {
    check_input_image(img, opt.limits);
    opt.model_input.validate(img.channels());
    if (seg.empty()) throw invalid_argument("segmentation", "empty", "a segmentation of the image");
    if (seg.width() != img.width() || seg.height() != img.height())
        throw invalid_argument("segmentation size", std::to_string(seg.width()) + "x" + std::to_string(seg.height()),
                               "the image's size " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
    const int k = seg.count();
    if (k > opt.limits.max_segments)
        throw size_limit_error("segmentation count", k, "at most limits.max_segments = " + std::to_string(opt.limits.max_segments));
    if (ranking.size() != std::size_t(k))
        throw invalid_argument("ranking size", ranking.size(),
                               "#segments = " + std::to_string(k) + ": every segment 0.." + std::to_string(k - 1) + " once");
    std::vector<int> seen(std::size_t(k), -1);
    for (std::size_t i = 0; i < ranking.size(); ++i) {
        const int s = ranking[i];
        const std::string name = "ranking[" + std::to_string(i) + "]";
        if (s < 0 || s >= k) throw invalid_argument(name, s, "a segment 0.." + std::to_string(k - 1));
        if (seen[std::size_t(s)] >= 0)
            throw invalid_argument(name, s, "each segment once (it is also ranking[" + std::to_string(seen[std::size_t(s)]) + "])");
        seen[std::size_t(s)] = int(i);
    }
    if (label < 0) throw invalid_argument("label", label, "a class index >= 0");
    if (opt.task == task::regression && label != 0)
        throw invalid_argument("label", label, "0: with curve_options.task = regression the model's value is label 0");
}

/// Classifier images of one curve: the ranking's K + 1 steps and each random ranking's K - 1
/// inner steps (its first and last are the ranking's).
inline std::int64_t curve_images(int segments, int random_rankings) {
    return std::int64_t(segments) + 1 + std::int64_t(random_rankings) * std::int64_t(segments - 1);
}

/// Throws pixlime::size_limit_error when the curve's images or memory exceed opt.limits.
/// `value_size`: bytes of one value of the batches.
inline void check_curve_size(const curve_options& opt, int segments, std::size_t image_values, std::size_t value_size) {
    const int k = segments, r = opt.random_rankings;
    const std::int64_t total = curve_images(k, r);
    if (total > opt.limits.max_samples)
        throw size_limit_error("curve images (#segments + 1 + random_rankings x (#segments - 1))",
                               std::to_string(total) + " (" + std::to_string(k) + " segments, " + std::to_string(r) + " random rankings)",
                               "at most limits.max_samples = " + std::to_string(opt.limits.max_samples));
    const std::int64_t batch = std::min<std::int64_t>(opt.batch_size, total);
    // the batch buffer + the scores (doubles) and rankings (ints) of every ranking
    const double bytes = double(batch) * double(image_values) * double(value_size) + 8.0 * double(r + 1) * double(k + 1) +
                         4.0 * double(r + 1) * double(k);
    if (bytes > double(opt.limits.max_explanation_bytes))
        throw size_limit_error("curve memory",
                               detail::to_text(bytes) + " bytes (batch " + std::to_string(batch) + ", " + std::to_string(k) + " segments, " +
                                   std::to_string(r) + " random rankings)",
                               "at most limits.max_explanation_bytes = " + std::to_string(opt.limits.max_explanation_bytes));
}

/// Every ranking of one curve: 0 `given` (K = `segments` values), then `random` uniformly
/// random permutations of the segments (Fisher-Yates from `seed`). Returns random + 1 rankings.
inline std::vector<std::vector<int>> rankings(std::vector<int> given, int segments, int random, std::uint64_t seed) {
    std::vector<std::vector<int>> orders(std::size_t(random) + 1);
    orders[0] = std::move(given);
    splitmix64 rng{seed};
    for (int r = 1; r <= random; ++r) {
        std::vector<int>& o = orders[std::size_t(r)];
        o.resize(std::size_t(segments));
        std::iota(o.begin(), o.end(), 0);
        for (int i = segments - 1; i > 0; --i) std::swap(o[std::size_t(i)], o[std::size_t(rng.below(std::uint64_t(i) + 1))]);
    }
    return orders;
}

/// The curves, with the batches handed over as V (T, or float with model_input::to_float): the
/// rankings, then every step's image streamed through the classifier (the image stream below),
/// then curve_of. `fill`: what the segments not kept show (deletion_fill's image for deletion,
/// insertion_fill's for insertion); `insertion`: the segments start as the fill and are restored.
template <class V, class T>
faithfulness_curve curve_batches(image_view<const T> img, const image<T>& fill, const segmentation& seg, std::vector<int> ranking,
                                 const classifier_function<V>& classify, int label, bool insertion, const curve_options& opt) {
    const int k = seg.count(), r_count = opt.random_rankings;
    const int total = int(curve_images(k, r_count));  // checked: at most limits.max_samples
    const int out_channels = opt.model_input.output_channels(img.channels());
    const int batch = std::min(opt.batch_size, total);

    std::vector<std::vector<int>> orders = rankings(std::move(ranking), k, r_count, opt.seed);

    // Image i of the stream: the given ranking's steps 0..K (i = 0..K), then random ranking r's
    // steps 1..K-1 (its steps 0 and K are the given ranking's images).
    auto which = [k](int i) -> std::pair<int, int> {  // (ranking, step)
        if (i <= k) return {0, i};
        return {1 + (i - k - 1) / (k - 1), 1 + (i - k - 1) % (k - 1)};
    };
    const perturber<V> perturb(trusted_t{}, img, fill.view(), seg, opt.model_input);
    batch_stream<V> stream(classify, batch, img.width(), img.height(), out_channels, opt.model_input.layout, opt.limits,
                           {&opt.progress, total, "curve_options.progress", "images", "the curve"},
                           {opt.task, "curve_options.task"});
    const std::uint8_t start = insertion ? 0 : 1;  // 1: the image's pixels, 0: the fill's
    std::vector<std::uint8_t> mask(std::size_t(k), start);
    int mask_ranking = 0, mask_step = 0;
    const auto render = [&](int first, int count, V* buffer) {
        for (int b = 0; b < count; ++b) {
            const auto [r, step] = which(first + b);
            if (r != mask_ranking || step < mask_step) {
                std::fill(mask.begin(), mask.end(), start);
                mask_ranking = r;
                mask_step = 0;
            }
            const std::vector<int>& o = orders[std::size_t(r)];
            for (; mask_step < step; ++mask_step) mask[std::size_t(o[std::size_t(mask_step)])] = std::uint8_t(1 - start);
            perturb.render(mask.data(), buffer + std::size_t(b) * perturb.image_size());
        }
    };
    std::vector<std::vector<double>> scores(orders.size(), std::vector<double>(std::size_t(k) + 1, 0.0));
    const auto store = [&](int first, const Eigen::MatrixXd& out) {
        const Eigen::VectorXd s = label_scores(out, label, opt.task);
        for (Eigen::Index b = 0; b < out.rows(); ++b) {
            const auto [r, step] = which(first + int(b));
            scores[std::size_t(r)][std::size_t(step)] = s[b];
        }
    };
    stream.run(total, render, [](int i) { return i; }, store);
    return curve_of(std::move(orders), std::move(scores), seg.sizes());
}

/// Checks, then the fill, then curve_batches with the classifier form model_input asks for.
template <class T>
faithfulness_curve curve_core(image_view<const T> img, const segmentation& seg, const std::vector<int>& ranking,
                              const classifier_functions<T>& classify, int label, bool insertion, const curve_options& opt) {
    check_curve_options(opt);
    check_curve_input(img, seg, ranking, label, opt);
    const bool as_float = opt.model_input.to_float || std::is_same_v<T, float>;
    check_classifier_form(classify, as_float, "curve_options");
    check_curve_size(opt, seg.count(), std::size_t(img.pixel_count()) * std::size_t(opt.model_input.output_channels(img.channels())),
                     as_float ? sizeof(float) : sizeof(T));
    // The deprecated removed / substrate, when old code set them, are what the user asked for.
    const std::optional<pixlime::fill>& renamed = insertion ? opt.substrate.value : opt.removed.value;
    const image<T> fill = renamed     ? call_fill(insertion ? "curve_options.substrate" : "curve_options.removed", *renamed, img, seg)
                          : insertion ? call_fill("curve_options.insertion_fill", opt.insertion_fill, img, seg)
                                      : call_fill("curve_options.deletion_fill", opt.deletion_fill, img, seg);
    return with_batch_type(classify, as_float,
                           [&](const auto& f) { return curve_batches(img, fill, seg, ranking, f, label, insertion, opt); });
}

}  // namespace detail

/// The deletion curve of `ranking`: `classify`'s output for `label` as the segments are
/// removed (replaced by opt.deletion_fill) in that order, with its AUC (lower is better) and the
/// random-ranking baseline. See faithfulness_curve for what is returned.
/// \param img       width x height x channels, T = std::uint8_t or float (float: finite values).
/// \param seg       a segmentation of the image's size, K >= 1 segments.
/// \param ranking   K values: every segment 0..K-1 exactly once, most important first (e.g.
///                  ranking_by_weight(ex.weights(label))). A partial ranking is refused: the
///                  curve runs until every pixel is removed, and where the rest would go is
///                  the caller's choice.
/// \param classify  any classifier pixlime::explain takes (see explain.hpp).
/// \param label     the class whose output is followed: a column of the classifier's output
///                  (0 or 1 for a single-column binary model; 0, the value, with
///                  curve_options::task = task::regression).
/// \param opt       see curve_options.
/// Throws pixlime::invalid_argument on bad input or options (before any classifier call, except
/// a label beyond the classifier's columns, known after its first batch),
/// pixlime::size_limit_error over opt.limits (before allocating), pixlime::classifier_error
/// when the classifier throws (nested) or returns a wrong shape or values, pixlime::stage_error
/// when a custom fill throws anything but a pixlime::error (nested), pixlime::cancelled when
/// opt.progress returns false.
template <class T, class Classifier>
faithfulness_curve deletion_curve(image_view<const T> img, const segmentation& seg, const std::vector<int>& ranking,
                                  Classifier&& classify, int label, const curve_options& opt = {}) {
    return detail::curve_core<T>(img, seg, ranking, detail::wrap_classifier<T>(classify), label, false, opt);
}

/// The insertion curve of `ranking`: `classify`'s output for `label` as the segments are
/// restored in that order onto opt.insertion_fill (a blurred copy by default), with its AUC
/// (higher is better) and the random-ranking baseline. Arguments as deletion_curve.
template <class T, class Classifier>
faithfulness_curve insertion_curve(image_view<const T> img, const segmentation& seg, const std::vector<int>& ranking,
                                   Classifier&& classify, int label, const curve_options& opt = {}) {
    return detail::curve_core<T>(img, seg, ranking, detail::wrap_classifier<T>(classify), label, true, opt);
}

namespace detail {
/// `opt` with the task of `ex` (the curves of an explanation read the model's output as it did).
inline curve_options with_task_of(const explanation& ex, const curve_options& opt) {
    curve_options o = opt;
    o.task = ex.task();
    return o;
}
}  // namespace detail

/// The curves of an explanation: its segments() ranked by its weights for `label`, highest
/// first (ranking_by_weight), the classifier's output read as the explanation's task
/// (explanation::task, in place of opt.task). `label` must be an explained label
/// (explanation::weights throws pixlime::invalid_argument otherwise); `img` the explained image
/// (another size, or another channel count than explanation::image_channels when known, is refused).
template <class T, class Classifier>
faithfulness_curve deletion_curve(image_view<const T> img, const explanation& ex, Classifier&& classify, int label,
                                  const curve_options& opt = {}) {
    if (!img.empty()) detail::check_explained_channels(ex, img.channels());
    return deletion_curve(img, ex.segments(), ranking_by_weight(ex.weights(label)), std::forward<Classifier>(classify), label,
                          detail::with_task_of(ex, opt));
}
/// The insertion curve of an explanation: its segments restored most positive first (ranked by
/// ex.weights(label)), as insertion_curve with a segmentation and ranking, the output read as
/// the explanation's task. `img` is the explained image (its channel count is checked against
/// the explanation's).
template <class T, class Classifier>
faithfulness_curve insertion_curve(image_view<const T> img, const explanation& ex, Classifier&& classify, int label,
                                   const curve_options& opt = {}) {
    if (!img.empty()) detail::check_explained_channels(ex, img.channels());
    return insertion_curve(img, ex.segments(), ranking_by_weight(ex.weights(label)), std::forward<Classifier>(classify), label,
                           detail::with_task_of(ex, opt));
}

// The same for owning images and for views of mutable pixels.
#define PIXLIME_DETAIL_CURVE_OVERLOADS(name)                                                                                    \
    template <class T, class Classifier>                                                                                        \
    faithfulness_curve name(const image<T>& img, const segmentation& seg, const std::vector<int>& ranking, Classifier&& classify, \
                            int label, const curve_options& opt = {}) {                                                         \
        return name(img.view(), seg, ranking, std::forward<Classifier>(classify), label, opt);                                  \
    }                                                                                                                           \
    template <class T, class Classifier>                                                                                        \
    faithfulness_curve name(const image<T>& img, const explanation& ex, Classifier&& classify, int label,                      \
                            const curve_options& opt = {}) {                                                                    \
        return name(img.view(), ex, std::forward<Classifier>(classify), label, opt);                                            \
    }                                                                                                                           \
    template <class T, class Classifier, class = std::enable_if_t<!std::is_const_v<T>>>                                        \
    faithfulness_curve name(image_view<T> img, const segmentation& seg, const std::vector<int>& ranking, Classifier&& classify,  \
                            int label, const curve_options& opt = {}) {                                                         \
        return name(image_view<const T>(img), seg, ranking, std::forward<Classifier>(classify), label, opt);                    \
    }                                                                                                                           \
    template <class T, class Classifier, class = std::enable_if_t<!std::is_const_v<T>>>                                        \
    faithfulness_curve name(image_view<T> img, const explanation& ex, Classifier&& classify, int label,                        \
                            const curve_options& opt = {}) {                                                                    \
        return name(image_view<const T>(img), ex, std::forward<Classifier>(classify), label, opt);                              \
    }
PIXLIME_DETAIL_CURVE_OVERLOADS(deletion_curve)
PIXLIME_DETAIL_CURVE_OVERLOADS(insertion_curve)
#undef PIXLIME_DETAIL_CURVE_OVERLOADS

}  // namespace pixlime
