#pragma once
/// \file pixlime/explain.hpp
/// pixlime::explain: LIME for images (Ribeiro, Singh, Guestrin 2016, "Why Should I Trust You?":
/// Explaining the Predictions of Any Classifier", KDD), with lime_image's semantics and defaults.
///
/// 1. The image is split into K segments (a segmentation you give, or explain_options::segmenter).
/// 2. N masks are drawn (#samples by #segments, 0/1, row 0 all ones) from one seed
///    (explain_options::sampler).
/// 3. Each mask gives a perturbed image, its hidden segments replaced by the fill
///    (explain_options::fill), in the form the classifier takes (explain_options::model_input);
///    perturbed images are streamed to the classifier in batches of explain_options::batch_size
///    through one reused buffer, so memory never grows with num_samples x image size.
/// 4. Each sample is weighted by a kernel of its distance to the unperturbed image
///    (explain_options::kernel).
/// 5. For each explained label, a linear surrogate (explain_options::surrogate; lime's weighted
///    ridge) approximates the classifier's output over the masks; its coefficients are the
///    segments' weights.
/// Every stage is a value in explain_options: a built-in options struct or any callable.
///
/// The classifier is any callable `M classify(pixlime::batch_view<const V> batch)` where V is
/// the image's pixel type (or float with model_input::to_float) and M an Eigen matrix (or
/// expression) of float or double with batch.size() rows and one column per class. A single
/// column is a binary model's P(class 1), in [0, 1], explained as the two classes
/// {0: 1 - p, 1: p}; with explain_options::task = task::regression the model returns exactly
/// one column of any finite value, explained as one output, label 0 (task.hpp). The batches
/// are written into one buffer of batch_size images, reused and freed when explain returns, or
/// into memory the classifier provides (batch_memory: see classifier.hpp).
///
/// This header is the pipeline, its steps in the order they run. Its parts are headers of their
/// own, all included here: explain_options.hpp, explanation.hpp (the result, its statistics),
/// classifier.hpp (shared with faithfulness.hpp) and the five stages' (see detail/stage.hpp).

#include <pixlime/classifier.hpp>
#include <pixlime/detail/stage.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>
#include <pixlime/explain_options.hpp>
#include <pixlime/explanation.hpp>
#include <pixlime/fill.hpp>
#include <pixlime/image.hpp>
#include <pixlime/kernel.hpp>
#include <pixlime/linear_model.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/perturb.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/segmenter.hpp>
#include <pixlime/shapley.hpp>
#include <pixlime/statistics.hpp>
#include <pixlime/surrogate.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

namespace detail {

/// Whether explain draws `opt`'s masks for `k` segments as consecutive complete Hadamard arrays
/// (orthogonal_block_masks): the adaptive stop on, the built-in orthogonal sampler, enough samples
/// for its pairs. planned_summary and draw_masks both ask.
inline bool adaptive_orthogonal_blocks(const explain_options& opt, int k) {
    return opt.target_stability > 0 && opt.sampler.is(sampling::orthogonal) && opt.num_samples >= paired_min_samples(k);
}

/// The first step, before any sample: how the samples will be fitted (the summary's seed,
/// adaptive target, KernelSHAP or not and the built-in fit's penalty, empty for a custom
/// surrogate) from `opt`.
inline sampling_summary planned_summary(const explain_options& opt, int k) {
    sampling_summary summary;
    if (opt.sampler.is(sampling::orthogonal))  // the adaptive stop draws complete arrays in turn (draw_masks)
        summary.orthogonal_order = adaptive_orthogonal_blocks(opt, k) ? orthogonal_block_order(k)
                                   : opt.target_stability > 0         ? 0  // below 2K + 1 samples: balanced draws
                                                                      : orthogonal_order(opt.num_samples, k);
    summary.seed = opt.seed;
    summary.target_stability = opt.target_stability;
    const shapley_kernel* shapley = opt.kernel.builtin<shapley_kernel>();
    const weighted_ridge* ridge = opt.surrogate.builtin<weighted_ridge>();
    summary.shapley = shapley != nullptr;
    summary.ridge_alpha = shapley ? std::optional<double>(shapley->alpha) : ridge ? std::optional<double>(ridge->alpha) : std::nullopt;
    return summary;
}

/// The adaptive stop's first round: max(101, 2K + 1) samples for `k` segments K (enough
/// antithetic pairs for K weights; odd, so that the pairs are complete).
inline std::int64_t first_round_end(int k) { return std::max<std::int64_t>(101, 2 * std::int64_t(k) + 1); }

/// The masks explain evaluates (num_samples by `k`, row 0 all ones): all 2^K of them once when
/// that is no more than num_samples (with the adaptive stop on, no more than its first round) and the sampler is a built-in other than lime_compatible
/// (whose draws must stay lime's), else the sampler's, checked; `enumerated` says which.
/// Enumerated masks are weighted num_samples / 2^K times the kernel's weights: the fit is then
/// the one drawn masks converge to, the expected objective. Throws pixlime::invalid_argument
/// for a sampler result of the wrong size or values, and what the sampler throws (call_stage).
inline mask_matrix draw_masks(const explain_options& opt, int k, bool& enumerated) {
    const int n = opt.num_samples;
    // With the adaptive stop on, only when the first round would hold every mask anyway: it may
    // stop long before 2^K samples (K = 9: 512 masks against a stable ranking after 101).
    const std::int64_t enumerate_up_to = opt.target_stability > 0 ? std::min<std::int64_t>(n, first_round_end(k)) : n;
    enumerated = opt.sampler.is_builtin() && !opt.sampler.is(sampling::lime_compatible) && k < 31 && (std::int64_t(1) << k) <= enumerate_up_to;
    if (enumerated) {
        const std::int64_t all = std::int64_t(1) << k;
        mask_matrix m(all, k);
        for (std::int64_t i = 0; i < all; ++i)  // row i: the bits of 2^K - 1 - i, so row 0 is all ones
            for (int j = 0; j < k; ++j) m(i, j) = std::uint8_t(((all - 1 - i) >> j) & 1);
        return m;
    }
    // The adaptive stop's orthogonal draws come in complete arrays, so that its rounds see
    // exactly orthogonal columns (orthogonal_block_masks); a fixed count draws one array.
    // (explain has checked K, num_samples and their product against the limits already.)
    if (adaptive_orthogonal_blocks(opt, k)) return orthogonal_block_masks(n, k, opt.seed);
    mask_matrix masks = call_stage("explain_options.sampler", opt.sampler, "a num_samples x num_segments mask matrix", n, k, opt.seed,
                                   opt.limits);
    if (masks.rows() != n || masks.cols() != k)
        throw invalid_argument("sampler (" + opt.sampler.name() + ") result size",
                               std::to_string(masks.rows()) + "x" + std::to_string(masks.cols()),
                               "num_samples x num_segments = " + std::to_string(n) + "x" + std::to_string(k));
    if ((masks.row(0).array() != 1).any())
        throw invalid_argument("sampler (" + opt.sampler.name() + ") result row 0", "not all ones",
                               "all ones (sample 0 is the unperturbed image)");
    if ((masks.array() > 1).any()) throw invalid_argument("sampler (" + opt.sampler.name() + ") result", "a value other than 0 or 1", "only 0 and 1");
    return masks;
}

/// The sample counts of the adaptive stop's rounds, ending at `cap`: the first round has
/// first_round_end(K) samples, each next one a quarter
/// more (at least 50); counts are odd so that sampling::paired's pairs are complete.
inline std::vector<int> round_ends(int cap, int k, bool adaptive) {
    std::vector<int> ends;
    if (adaptive) {
        std::int64_t n = first_round_end(k);
        while (n < cap) {
            ends.push_back(int(n));
            n += std::max<std::int64_t>(50, n / 4);
            n += 1 - n % 2;
        }
    }
    ends.push_back(cap);
    return ends;
}

/// The classifier's outputs for rows [from, to) of `masks` (#samples by K), into the same rows
/// of `raw` (sized #samples by #columns at the first output, after check_explanation_size with
/// the classes known): the distinct masks (first[i] == i, see first_occurrences) are rendered
/// by `perturb` on `pool`'s threads and classified through `stream`; a repeated mask copies
/// the output of its first occurrence. Throws what the stream throws.
template <class V>
void classify_rows(batch_stream<V>& stream, const perturber<V>& perturb, thread_pool& pool, const mask_matrix& masks,
                   const std::vector<int>& first, int from, int to, const explain_options& opt, Eigen::MatrixXd& raw) {
    std::vector<int> pending;  // the distinct masks of these rows, in row order
    for (int i = from; i < to; ++i)
        if (first[std::size_t(i)] == i) pending.push_back(i);
    const auto render = [&](int begin, int count, V* out) {
        pool.bands(count, [&](int b, int e) {
            for (int i = b; i < e; ++i)
                perturb.render(masks.row(pending[std::size_t(begin + i)]).data(), out + std::size_t(i) * stream.image_values());
        });
    };
    const auto sample = [&](int i) { return pending[std::size_t(i)]; };
    const auto store = [&](int begin, const Eigen::MatrixXd& out) {
        if (raw.size() == 0) {
            check_explanation_size(opt, int(masks.cols()), stream.image_values(), sizeof(V),
                                   out.cols() == 1 && opt.task == task::classification ? 2 : out.cols());
            raw.resize(masks.rows(), out.cols());
        }
        for (Eigen::Index i = 0; i < out.rows(); ++i) raw.row(pending[std::size_t(begin + i)]) = out.row(i);
    };
    stream.run(int(pending.size()), render, sample, store);
    for (int i = from; i < to; ++i)
        if (first[std::size_t(i)] != i) raw.row(i) = raw.row(first[std::size_t(i)]);
}

/// The top labels and the explained labels, from `raw` (#samples by #columns, row 0 the
/// unperturbed image; a single column is a binary model's P(class 1), 2 classes, or with
/// task::regression the value, the one label 0): the top ones
/// are the classes by output on row 0, highest first, ties by higher index, at most
/// opt.top_labels (lime: np.argsort(labels[0])[-top_labels:] reversed); the explained ones
/// opt.labels, or the top ones. Returns {top, explained}. Throws pixlime::invalid_argument for
/// an opt.labels entry beyond the classes.
inline std::pair<std::vector<int>, std::vector<int>> choose_labels(const Eigen::MatrixXd& raw, const explain_options& opt) {
    const bool binary = raw.cols() == 1 && opt.task == task::classification;
    const int classes = binary ? 2 : int(raw.cols());
    const auto out0 = [&](int c) { return binary ? (c == 1 ? raw(0, 0) : 1.0 - raw(0, 0)) : raw(0, c); };
    std::vector<int> order(static_cast<std::size_t>(classes));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return out0(a) > out0(b) || (out0(a) == out0(b) && a > b); });
    std::vector<int> top(order.begin(), order.begin() + std::min(std::max(opt.top_labels, 1), classes));
    std::vector<int> labels = opt.labels.empty() ? top : opt.labels;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= classes)
            throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", labels[i],
                                   "a class index 0.." + std::to_string(classes - 1) + " of the classifier's output");
    return {std::move(top), std::move(labels)};
}

/// The #samples sample weights of `used` (#samples by K, the masks evaluated so far): the
/// kernel's (through call_stage), checked, then times num_samples / 2^K when `summary` says
/// the masks were enumerated, or 0/1 (detail::shapley_draw_weights) for sampling::shapley's
/// draws under the Shapley kernel. Throws pixlime::invalid_argument unless the kernel returns
/// #samples finite weights >= 0 with some perturbed sample's > 0 (the Shapley kernel gives the
/// all-ones and all-hidden rows 0; with one segment, every row).
inline Eigen::VectorXd sample_weights(const explain_options& opt, const sampling_summary& summary, const mask_matrix& used) {
    const Eigen::Index n = used.rows();
    Eigen::VectorXd weights = call_stage("explain_options.kernel", opt.kernel, "#samples weights", used);
    if (weights.size() != n || !weights.allFinite() || (weights.array() < 0).any() || !(summary.shapley || weights.tail(n - 1).sum() > 0))
        throw invalid_argument("kernel (" + opt.kernel.name() + ") result",
                               std::to_string(weights.size()) + " weights" + (weights.allFinite() ? "" : " with NaN or Inf"),
                               std::to_string(n) + " finite weights >= 0, some perturbed sample's > 0");
    // Enumerated, each mask stands for the num_samples / 2^K draws it would get on average,
    // so that the penalty weighs as much against the data as with drawn masks.
    if (summary.enumerated) weights *= double(opt.num_samples) / double(n);
    else if (summary.shapley && opt.sampler.is(sampling::shapley)) weights = shapley_draw_weights(weights);
    return weights;
}

/// One linear_fit per explained label (`labels`, one per column of `targets`, #samples by
/// #labels) over `used` (#samples by K) weighted by `weights` (#samples): KernelSHAP's
/// constrained fit with the Shapley kernel, else the surrogate's (through call_stage), checked.
/// Throws pixlime::invalid_argument unless there is one fit per label with K weights, all
/// finite (and what shapley_setup throws).
inline std::vector<linear_fit> fit_labels(const explain_options& opt, const mask_matrix& used, const Eigen::VectorXd& weights,
                                          const Eigen::MatrixXd& targets, const std::vector<int>& labels) {
    const Eigen::Index k = used.cols();
    const shapley_kernel* shapley = opt.kernel.builtin<shapley_kernel>();
    std::vector<linear_fit> fits = shapley ? shapley_fit(shapley_setup(shapley->alpha, used, weights), used, weights, targets)
                                           : call_stage("explain_options.surrogate", opt.surrogate, "one linear_fit per label", used,
                                                        weights, targets);
    const std::string surrogate_name = "surrogate (" + opt.surrogate.name() + ") result";
    if (fits.size() != labels.size())
        throw invalid_argument(surrogate_name, std::to_string(fits.size()) + " fits", "one per label: " + std::to_string(labels.size()));
    for (std::size_t j = 0; j < fits.size(); ++j) {
        const linear_fit& f = fits[j];
        const std::string which = surrogate_name + " for label " + std::to_string(labels[j]);
        if (f.weights.size() != k) throw invalid_argument(which + " weights size", f.weights.size(), "#segments = " + std::to_string(k));
        if (!f.weights.allFinite() || !std::isfinite(f.intercept) || !std::isfinite(f.score) || !std::isfinite(f.local_prediction))
            throw invalid_argument(which, "NaN or Inf", "finite weights, intercept, score and local prediction");
    }
    return fits;
}

/// Whether the adaptive stop may stop: the simulated top-k stability (k =
/// opt.stability_top_k, at most K) of `fit`, the first explained label's (`label`), fitted to
/// `target` (#samples) over `used` (#samples by K) weighted by `weights` (#samples) as
/// `summary` says, reaches opt.target_stability. The same simulation as
/// explanation::stability's.
inline bool stability_reached(const explain_options& opt, const sampling_summary& summary, const mask_matrix& used,
                              const Eigen::VectorXd& weights, const Eigen::VectorXd& target, const linear_fit& fit, int label) {
    const Eigen::MatrixXd spread = fit_spread(summary, used, weights, target, fit);
    const double reached = simulated_stability(fit.weights, spread, std::min(opt.stability_top_k, int(used.cols())), 200,
                                               stability_seed(opt.seed, label));
    return reached >= opt.target_stability;
}

/// Steps 2 to 5 of the file comment, with the batches handed over as V (T, or float with
/// model_input::to_float): the masks and fill, then in rounds (one round unless the adaptive
/// stop is on) the classifier's outputs, the labels, the sample weights and the fits, until
/// the last round or the adaptive stop's target. `seg`: checked, K >= 2 segments of img's size;
/// `timings`: the segmentation's so far; `t_start`: when explain was called.
template <class V, class T>
explanation explain_batches(image_view<const T> img, segmentation seg, const classifier_function<V>& classify,
                            const explain_options& opt, explain_timings timings, clock::time_point t_start) {
    const int k = seg.count();
    const int out_channels = opt.model_input.output_channels(img.channels());
    check_explanation_size(opt, k, std::size_t(img.pixel_count()) * std::size_t(out_channels), sizeof(V), 1);

    auto t0 = clock::now();
    sampling_summary summary = planned_summary(opt, k);
    mask_matrix masks = draw_masks(opt, k, summary.enumerated);
    masks = with_all_hidden(std::move(masks), summary.shapley && !summary.enumerated);  // enumerated: it is there
    const int n = int(masks.rows());
    const std::vector<int> first = first_occurrences(masks);
    int distinct = 0;  // the model calls of a run to the end
    for (int i = 0; i < n; ++i) distinct += first[std::size_t(i)] == i;
    // The deprecated `hide`, when old code set it, is what the user asked for.
    const image<T> fill = opt.hide.value ? call_fill("explain_options.hide", *opt.hide.value, img, seg)
                                         : call_fill("explain_options.fill", opt.fill, img, seg);
    const perturber<V> perturb(trusted_t{}, img, fill.view(), seg, opt.model_input);
    timings.perturbation_ms += ms_since(t0);

    // One reused batch buffer; the pool's workers live through every batch.
    const int batch = std::min(opt.batch_size, n);
    thread_pool pool(std::min(opt.num_threads, batch));
    batch_stream<V> stream(classify, batch, img.width(), img.height(), out_channels, opt.model_input.layout, opt.limits,
                           {&opt.progress, distinct, "explain_options.progress", "model calls", "the explanation"},
                           {opt.task, "explain_options.task"});
    Eigen::MatrixXd raw, predictions;
    std::vector<int> top, labels;
    Eigen::VectorXd weights;
    std::vector<linear_fit> fits;
    mask_matrix used;
    const bool adaptive = opt.target_stability > 0 && !summary.enumerated;
    // Every mask seen: the ranking is exact and its stability 1, so any target is reached.
    summary.target_reached = opt.target_stability > 0 && summary.enumerated;
    int done = 0;
    for (const int end : round_ends(n, k, adaptive)) {
        classify_rows(stream, perturb, pool, masks, first, done, end, opt, raw);
        done = end;
        t0 = clock::now();
        if (labels.empty()) std::tie(top, labels) = choose_labels(raw, opt);
        predictions = class_outputs(raw, end, opt.task);
        used = end == n ? masks : mask_matrix(masks.topRows(end));
        weights = sample_weights(opt, summary, used);
        Eigen::MatrixXd targets(end, Eigen::Index(labels.size()));  // column j: label j's outputs
        for (std::size_t j = 0; j < labels.size(); ++j) targets.col(Eigen::Index(j)) = predictions.col(labels[j]);
        fits = fit_labels(opt, used, weights, targets, labels);
        if (adaptive && summary.ridge_alpha)
            summary.target_reached = stability_reached(opt, summary, used, weights, targets.col(0), fits[0], labels[0]);
        timings.surrogate_ms += ms_since(t0);
        if (summary.target_reached) break;
    }
    summary.model_calls = stream.images_done();
    timings.perturbation_ms += stream.render_ms();
    timings.classifier_ms += stream.classifier_ms();
    timings.total_ms = timings.segmentation_ms + ms_since(t_start);
    return explanation(trusted_t{}, std::move(seg), std::move(used), std::move(predictions), std::move(weights), std::move(labels),
                       std::move(top), std::move(fits), timings, summary, img.channels(), opt.task);
}

/// Throws pixlime::invalid_argument unless `seg` has img's size and at least 2 segments,
/// pixlime::size_limit_error when it has more than lim.max_segments.
template <class T>
void check_segmentation(const segmentation& seg, image_view<const T> img, const limits& lim) {
    if (seg.width() != img.width() || seg.height() != img.height())
        throw invalid_argument("segmentation size", std::to_string(seg.width()) + "x" + std::to_string(seg.height()),
                               "the image's size " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
    if (seg.count() < 2)
        throw invalid_argument("segmentation count", seg.count(),
                               "at least 2 segments (with one segment there is nothing to compare; use more segments or a larger image)");
    if (seg.count() > lim.max_segments)
        throw size_limit_error("segmentation count", seg.count(), "at most limits.max_segments = " + std::to_string(lim.max_segments));
}

/// The whole pipeline: options, image and classifier checked (step 0), the image segmented
/// unless `given` is set (step 1, explain_options::segmenter through call_stage), then
/// explain_batches with the classifier form model_input asks for.
template <class T>
explanation explain_core(image_view<const T> img, const segmentation* given, const classifier_functions<T>& classify,
                         const explain_options& opt) {
    const auto t_start = clock::now();
    check_explain_options(opt);
    check_input_image(img, opt.limits);
    opt.model_input.validate(img.channels());
    const bool as_float = opt.model_input.to_float || std::is_same_v<T, float>;
    check_classifier_form(classify, as_float, "explain_options");
    explain_timings timings;
    segmentation seg;
    if (given) {
        seg = *given;
    } else {
        const auto t0 = clock::now();
        seg = call_stage("explain_options.segmenter", opt.segmenter, "a segmentation of the image", img);
        timings.segmentation_ms = ms_since(t0);
    }
    check_segmentation(seg, img, opt.limits);
    return with_batch_type(classify, as_float,
                           [&](const auto& f) { return explain_batches(img, std::move(seg), f, opt, timings, t_start); });
}

#ifdef PIXLIME_EXTERN_TEMPLATES  // compiled once per program, by pixlime/instantiate.hpp (docs/speed.md)
extern template explanation explain_core<std::uint8_t>(image_view<const std::uint8_t>, const segmentation*,
                                                       const classifier_functions<std::uint8_t>&, const explain_options&);
extern template explanation explain_core<float>(image_view<const float>, const segmentation*,
                                                const classifier_functions<float>&, const explain_options&);
#endif

}  // namespace detail

/// Explains `classify`'s prediction on `img` over the segments `seg`.
/// \param img       width x height x channels, T = std::uint8_t or float (float: finite values).
/// \param seg       a segmentation of the image's size with at least 2 segments.
/// \param classify  see the file comment.
/// \param opt       every stage and size; see explain_options.
/// Throws pixlime::invalid_argument on bad input or options (before any classifier call), pixlime::size_limit_error
/// over opt.limits (before allocating), pixlime::classifier_error when the classifier throws (nested) or returns a
/// wrong shape or values, pixlime::stage_error when a custom stage callable (segmenter, sampler, fill, kernel,
/// surrogate) throws anything but a pixlime::error (nested; a pixlime::error passes with its class),
/// pixlime::cancelled when opt.progress returns false.
template <class T, class Classifier>
explanation explain(image_view<const T> img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return detail::explain_core<T>(img, &seg, detail::wrap_classifier<T>(classify), opt);
}
/// explain(img.view(), seg, classify, opt) for an owning image.
template <class T, class Classifier>
explanation explain(const image<T>& img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return explain(img.view(), seg, std::forward<Classifier>(classify), opt);
}
/// Explains `classify`'s prediction on `img`, segmenting it with explain_options::segmenter
/// (SLIC by default). See the overload with a segmentation for the rest.
template <class T, class Classifier>
explanation explain(image_view<const T> img, Classifier&& classify, const explain_options& opt = {}) {
    return detail::explain_core<T>(img, nullptr, detail::wrap_classifier<T>(classify), opt);
}
/// explain(img.view(), classify, opt) for an owning image.
template <class T, class Classifier>
explanation explain(const image<T>& img, Classifier&& classify, const explain_options& opt = {}) {
    return explain(img.view(), std::forward<Classifier>(classify), opt);
}
/// Views of mutable pixels are explained as views of const pixels.
template <class T, class Classifier, class = std::enable_if_t<!std::is_const_v<T>>>
explanation explain(image_view<T> img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return explain(image_view<const T>(img), seg, std::forward<Classifier>(classify), opt);
}
/// A view of mutable pixels, segmented by explain_options::segmenter: explained as a view of const pixels.
template <class T, class Classifier, class = std::enable_if_t<!std::is_const_v<T>>>
explanation explain(image_view<T> img, Classifier&& classify, const explain_options& opt = {}) {
    return explain(image_view<const T>(img), std::forward<Classifier>(classify), opt);
}

}  // namespace pixlime
