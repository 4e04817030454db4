#pragma once
/// \file pixlime/explain_options.hpp
/// pixlime::explain_options: every stage and size of one pixlime::explain call (see
/// explain.hpp for the pipeline), with lime_image's defaults. Each stage is a value that holds a
/// built-in or any callable (the pattern of detail/stage.hpp):
///
///     pixlime::explain_options opt;
///     opt.segmenter = pixlime::quickshift_options{};      // segmenter.hpp
///     opt.sampler = pixlime::sampling::paired;            // sampler.hpp
///     opt.fill = pixlime::constant_fill{{0}};             // fill.hpp
///     opt.kernel = pixlime::exponential_kernel{0.25};     // kernel.hpp (shapley_kernel: shapley.hpp)
///     opt.surrogate = pixlime::weighted_ridge{1.0};       // surrogate.hpp

#include <pixlime/error.hpp>
#include <pixlime/fill.hpp>
#include <pixlime/image.hpp>
#include <pixlime/kernel.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/segmenter.hpp>
#include <pixlime/shapley.hpp>
#include <pixlime/surrogate.hpp>
#include <pixlime/task.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pixlime {

/// Options of pixlime::explain. Defaults follow lime_image (LimeImageExplainer.explain_instance,
/// marcotcr/lime v0.2.0.1) unless marked "pixlime".
struct explain_options {
    /// Perturbed samples N, including the unperturbed row 0 (lime: num_samples=1000). At least
    /// 2, at most limits.max_samples.
    int num_samples = 1000;
    /// Images per classifier call (lime: batch_size=10). >= 1. Peak memory is about
    /// batch_size x image size; results do not depend on it.
    int batch_size = 10;
    /// Seeds the sampler; the same seed gives a bitwise-identical explanation whatever the batch
    /// size or thread count. (pixlime: lime's default random_state=None is unseeded, and its seed
    /// reaches only its segmenter, lime issue #477.)
    std::uint64_t seed = 0;
    /// Explain the `top_labels` classes with the highest output on the unperturbed image, highest
    /// first (lime: top_labels=5; clamped to the number of classes). Used when `labels` is empty.
    int top_labels = 5;
    /// Explain exactly these classes, in this order, instead of the top ones (lime: labels=(1,)
    /// when top_labels=None). Each must be in 0..#classes-1, none twice.
    std::vector<int> labels;
    /// What the classifier's output is (pixlime: task::classification, one column per class, or
    /// a single column that is a binary model's P(class 1) in [0, 1]; lime_image explains
    /// classes only). task::regression: the model returns exactly one column of any finite value
    /// (a price, an age, a count), explained as a single output, label 0, with weights in its
    /// units; top_labels is then clamped to 1 and labels may only hold 0. See task.hpp.
    pixlime::task task = pixlime::task::classification;
    /// Segments the image when explain is called without a segmentation (pixlime: SLIC with
    /// slic_options defaults; lime's default is quickshift_options{}: kernel_size=4,
    /// max_dist=200, ratio=0.2). See segmenter.hpp.
    pixlime::segmenter segmenter;
    /// Draws the masks (pixlime: sampling::orthogonal; lime's own draws:
    /// sampling::lime_compatible). See sampler.hpp.
    pixlime::sampler sampler;
    /// What hidden segments show (lime: hide_color=None, segment_mean_fill; hide_color=0 is
    /// constant_fill{{0}}). See perturb.hpp.
    pixlime::fill fill;
    /// Deprecated (0.2's name of `fill`): assigning it still works, with a deprecation warning,
    /// and when set it is used instead of `fill`. Removed in the release after 0.3.
    detail::renamed_hide hide;
    /// Weighs each sample by its distance to the unperturbed image (lime: kernel_width=0.25,
    /// cosine distance: exponential_kernel{}). shapley_kernel{} makes the fit KernelSHAP's
    /// (the weights are Shapley values of the segments; Lundberg and Lee 2017). See kernel.hpp.
    pixlime::kernel kernel;
    /// Fits the local linear model (lime: Ridge(alpha=1): weighted_ridge{}). See surrogate.hpp.
    /// With shapley_kernel the constrained fit replaces it and it must stay the default
    /// (shapley_kernel::alpha is that fit's penalty).
    pixlime::surrogate surrogate;
    /// The form of the batches the classifier receives (pixlime: the image's pixels as stored;
    /// e.g. float NCHW normalised for a CNN). See model_input.hpp.
    pixlime::model_input model_input;
    /// Called after each batch with the images classified so far and the most there will be
    /// (the distinct masks; the adaptive stop may end sooner) (pixlime: none). Returning false
    /// stops the explanation with pixlime::cancelled.
    std::function<bool(int samples_done, int samples_total)> progress;
    /// Threads that build perturbed images, at most the machine's hardware threads
    /// (pixlime: 1). The classifier is always called from the calling thread. Results do not
    /// depend on it. >= 1.
    int num_threads = 1;
    /// Adaptive sample count (pixlime; 0 = off, the default): draw the samples in rounds and
    /// stop as soon as explanation::stability(first explained label, stability_top_k) reaches
    /// this value, num_samples being the cap. In (0, 1]. The explanation says whether the
    /// target was reached (explanation::target_reached) and with how many model calls.
    double target_stability = 0;
    /// The k of the adaptive stop's top-k stability (pixlime: 5, the panes' num_features). >= 1.
    int stability_top_k = 5;
    /// Sizes refused before allocating (see pixlime::limits).
    pixlime::limits limits;
};

namespace detail {

/// Throws pixlime::invalid_argument naming the first field of `opt` out of range (its limits,
/// sizes, task, labels, adaptive stop, the built-in kernel's and surrogate's options, and
/// shapley_kernel with anything but the default surrogate), pixlime::size_limit_error when
/// num_samples exceeds opt.limits.max_samples. Called before anything else runs.
inline void check_explain_options(const explain_options& opt) {
    const limits& lim = opt.limits;
    if (lim.max_pixels < 1 || lim.max_image_bytes < 1 || lim.max_samples < 2 || lim.max_segments < 2 || lim.max_classes < 1 ||
        lim.max_surrogate_size < 1 || lim.max_explanation_bytes < 1)
        throw invalid_argument("explain_options.limits", "a value below its minimum",
                               "max_pixels, max_image_bytes, max_classes, max_surrogate_size, max_explanation_bytes >= 1; "
                               "max_samples, max_segments >= 2");
    if (opt.num_samples < 2) throw invalid_argument("explain_options.num_samples", opt.num_samples, "at least 2");
    if (opt.num_samples > lim.max_samples)
        throw size_limit_error("explain_options.num_samples", opt.num_samples,
                               "at most limits.max_samples = " + std::to_string(lim.max_samples));
    if (opt.batch_size < 1) throw invalid_argument("explain_options.batch_size", opt.batch_size, "at least 1");
    if (opt.num_threads < 1) throw invalid_argument("explain_options.num_threads", opt.num_threads, "at least 1");
    detail::check_task(opt.task, "explain_options.task");
    if (opt.labels.empty() && opt.top_labels < 1)
        throw invalid_argument("explain_options.top_labels", opt.top_labels, "at least 1 (or give explain_options.labels)");
    for (std::size_t i = 0; i < opt.labels.size(); ++i) {
        if (opt.labels[i] < 0)
            throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", opt.labels[i], "a class index >= 0");
        if (opt.task == task::regression && opt.labels[i] != 0)
            throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", opt.labels[i],
                                   "0: with explain_options.task = regression the model's value is the only label, 0");
        for (std::size_t j = 0; j < i; ++j)
            if (opt.labels[j] == opt.labels[i])
                throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", opt.labels[i],
                                       "each label once (it is also labels[" + std::to_string(j) + "])");
    }
    if (!(opt.target_stability >= 0 && opt.target_stability <= 1))
        throw invalid_argument("explain_options.target_stability", opt.target_stability, "a value in [0, 1] (0 = off)");
    const weighted_ridge* ridge = opt.surrogate.builtin<weighted_ridge>();
    if (opt.target_stability > 0 && !ridge)
        throw invalid_argument("explain_options.target_stability", opt.target_stability,
                               "0 with a custom surrogate (the adaptive stop needs the built-in weighted_ridge's standard errors)");
    if (opt.stability_top_k < 1) throw invalid_argument("explain_options.stability_top_k", opt.stability_top_k, "at least 1");
    opt.kernel.validate();
    opt.surrogate.validate();
    if (opt.kernel.builtin<shapley_kernel>() && !(ridge && ridge->alpha == weighted_ridge{}.alpha))
        throw invalid_argument("explain_options.surrogate", ridge ? "weighted_ridge with another alpha" : "a custom surrogate",
                               "the default weighted_ridge{} with shapley_kernel (its constrained fit replaces the surrogate; "
                               "set shapley_kernel::alpha for a penalty)");
}

/// Checks the sizes of the explanation's arrays against opt.limits before they are allocated:
/// `segments` K, `image_values` values of one image as the classifier takes it, `value_size`
/// bytes of one of those values, `classes` the classifier's columns (1 when not yet known).
/// Throws pixlime::size_limit_error naming the limit exceeded.
inline void check_explanation_size(const explain_options& opt, int segments, std::size_t image_values, std::size_t value_size,
                                   Eigen::Index classes) {
    const limits& lim = opt.limits;
    const auto n = std::int64_t(opt.num_samples), k = std::int64_t(segments);
    const std::int64_t batch = std::min<std::int64_t>(opt.batch_size, n);
    // KernelSHAP's fit solves in the segments whatever the samples, on a dense #samples x K design.
    const bool shapley = opt.kernel.builtin<shapley_kernel>() != nullptr;
    const std::int64_t system = shapley ? k : std::min(n, k);
    if (opt.surrogate.builtin<weighted_ridge>() && system > lim.max_surrogate_size)
        throw size_limit_error("surrogate system size min(num_samples, segments)",
                               std::to_string(system) + " (" + std::to_string(n) + " samples, " + std::to_string(k) + " segments)",
                               "at most limits.max_surrogate_size = " + std::to_string(lim.max_surrogate_size) +
                                   " (fewer samples or segments; the solve costs size^3 / 3)");
    // masks (bytes) + outputs (doubles) + the surrogate's system (doubles) + the batch buffer;
    // each term is far below 2^63 (n, k, classes <= 2^31; image_values <= 2^32).
    const double bytes = double(n) * double(k) + 8.0 * double(n) * double(classes) + 8.0 * double(system) * double(system) +
                         (shapley ? 8.0 * double(n + 1) * double(k) : 0.0) +
                         // the adaptive stop's spread: the K x #groups scores and their solve
                         (opt.target_stability > 0 ? 16.0 * double(n + 1) * double(k) : 0.0) +
                         double(batch) * double(image_values) * double(value_size);
    if (bytes > double(lim.max_explanation_bytes))
        throw size_limit_error("explanation memory",
                               detail::to_text(bytes) + " bytes (" + std::to_string(n) + " samples x " + std::to_string(k) +
                                   " segments, " + std::to_string(classes) + " classes, batch " + std::to_string(batch) + ")",
                               "at most limits.max_explanation_bytes = " + std::to_string(lim.max_explanation_bytes));
}

}  // namespace detail

}  // namespace pixlime
