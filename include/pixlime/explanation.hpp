#pragma once
/// \file pixlime/explanation.hpp
/// pixlime::explanation, the result of pixlime::explain: per explained label a linear model over
/// the segments (weights, intercept, score), the data it was fitted on (masks, classifier
/// outputs, sample weights, segmentation), how sure it is (standard errors, intervals, top-k
/// stability; statistics.hpp) and how it was made (sampling_summary, explain_timings).
/// Everything that only reads an explanation (render.hpp, faithfulness.hpp, a custom
/// pipeline's assembly) needs this header alone, not the pipeline of explain.hpp.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/linear_model.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/shapley.hpp>
#include <pixlime/statistics.hpp>
#include <pixlime/task.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace pixlime {

/// How an explanation's samples were drawn and evaluated (what its standard errors, stability
/// and the adaptive stop rest on).
struct sampling_summary {
    /// Images the classifier saw: the distinct masks (a repeated mask reuses its output).
    int model_calls = 0;
    /// Every one of the 2^K masks once (explain does this when 2^K <= num_samples, with a
    /// built-in sampler other than lime_compatible): the weights are the fit over all masks,
    /// with no sampling error.
    bool enumerated = false;
    /// The built-in fit's penalty, which the standard errors need (weighted_ridge's alpha, or
    /// shapley_kernel's); empty with a custom surrogate.
    std::optional<double> ridge_alpha = 1.0;
    /// The fit was KernelSHAP's constrained one (explain_options::kernel = shapley_kernel).
    bool shapley = false;
    /// The order of sampling::orthogonal's Hadamard matrix the masks were rows of
    /// (orthogonal_order), or 0 for any other design: the standard errors then leave out the
    /// part of the noise that such a design cancels (detail::ridge_spread).
    std::int64_t orthogonal_order = 0;
    /// Seeds the stability simulation (explain passes explain_options::seed).
    std::uint64_t seed = 0;
    /// explain_options::target_stability (0: off) and whether it was reached.
    double target_stability = 0;
    /// Whether the adaptive stop reached target_stability (false when off; true when every
    /// mask was enumerated, whose stability is 1).
    bool target_reached = false;
};

namespace detail {
/// The sampling spread of one target's weights under the fit `summary` describes (see
/// explanation::weight_spread; `summary.ridge_alpha` must be set): detail::shapley_spread or
/// detail::ridge_spread of `fit`, fitted to `target` (#samples) over `samples` (#samples by
/// #segments) weighted by `sample_weights` (#samples). Returns #segments by #groups.
inline Eigen::MatrixXd fit_spread(const sampling_summary& summary, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                  const Eigen::VectorXd& target, const linear_fit& fit) {
    if (summary.shapley)
        return shapley_spread(shapley_setup(*summary.ridge_alpha, samples, sample_weights), samples, sample_weights, target, fit);
    return ridge_spread(*summary.ridge_alpha, samples, sample_weights, target, fit, summary.orthogonal_order);
}

}  // namespace detail

/// Wall-clock time spent in each stage of one explain call, in milliseconds.
struct explain_timings {
    double segmentation_ms = 0;  ///< the segmenter
    double perturbation_ms = 0;  ///< drawing masks, the fill, building perturbed images
    double classifier_ms = 0;    ///< inside the user's classifier
    double surrogate_ms = 0;     ///< kernel and surrogate fits
    double total_ms = 0;         ///< the whole explain call
};

/// The result of pixlime::explain: per explained label a linear model over the segments,
/// plus the data it was fitted on.
class explanation {
public:
    /// The explained labels, in order: the top labels (highest output first) or explain_options::labels.
    const std::vector<int>& labels() const { return labels_; }
    /// The classes ranked by the classifier's output on the unperturbed image, highest first,
    /// at most explain_options::top_labels of them (lime's top_labels).
    const std::vector<int>& top_labels() const { return top_labels_; }
    /// Number of classes of the model (2 for a single-output binary model; 1 with
    /// task::regression: the value, label 0).
    int num_classes() const { return int(predictions_.cols()); }
    /// What the model's output was read as (explain_options::task): classes, or with
    /// task::regression a single value, label 0, whose weights are in the value's units (the
    /// positive pane: the segments that raised it).
    pixlime::task task() const { return task_; }
    /// Number of segments K.
    int num_segments() const { return segments_.count(); }

    /// Segment weights of `label`: #segments values, weight k is the effect of keeping segment k.
    const Eigen::VectorXd& weights(int label) const { return fit(label).weights; }
    /// The surrogate's value for `label` with every segment hidden.
    double intercept(int label) const { return fit(label).intercept; }
    /// Weighted R² of the surrogate on the samples (lime: score).
    double score(int label) const { return fit(label).score; }
    /// The surrogate's prediction for the unperturbed image (lime: local_pred).
    double local_prediction(int label) const { return fit(label).local_prediction; }
    /// The classifier's output for `label` on the unperturbed image (any class, explained or not;
    /// with task::regression the predicted value, label 0).
    double model_prediction(int label) const {
        check_class(label);
        return predictions_(0, label);
    }
    /// (segment, weight) pairs by |weight| descending, ties by segment (lime: local_exp[label]).
    std::vector<std::pair<int, double>> ranked(int label) const { return pixlime::ranked(weights(label)); }
    /// Whether `label` was explained.
    bool has_label(int label) const { return std::find(labels_.begin(), labels_.end(), label) != labels_.end(); }

    /// #samples by #segments 0/1 masks (row 0: all ones).
    const mask_matrix& samples() const { return samples_; }
    /// #samples by #classes classifier outputs (a binary model's single column expanded to 1-p, p;
    /// with task::regression the single column of values).
    const Eigen::MatrixXd& predictions() const { return predictions_; }
    /// #samples kernel weights.
    const Eigen::VectorXd& sample_weights() const { return sample_weights_; }
    /// The segmentation the features refer to (its size is the explained image's).
    const segmentation& segments() const { return segments_; }
    /// The explained image's channel count, or 0 when unknown (an explanation assembled
    /// without it). The render functions and the faithfulness curves of an explanation refuse
    /// an image of another size or channel count.
    int image_channels() const { return image_channels_; }
    /// The fit of an explained label.
    const linear_fit& fit(int label) const {
        for (std::size_t i = 0; i < labels_.size(); ++i)
            if (labels_[i] == label) return fits_[i];
        std::ostringstream s;
        for (std::size_t i = 0; i < labels_.size(); ++i) s << (i ? ", " : "") << labels_[i];
        throw invalid_argument("label", label, "one of the explained labels {" + s.str() + "}");
    }
    /// Where explain spent its time.
    const explain_timings& timings() const { return timings_; }

    /// Images the classifier actually saw (distinct masks; at most samples().rows()).
    int model_calls() const { return summary_.model_calls; }
    /// Whether the adaptive stop (explain_options::target_stability) reached its target; false
    /// when it was off or the cap num_samples came first; true when every mask was enumerated
    /// (the ranking is then exact: stability 1).
    bool target_reached() const { return summary_.target_reached; }
    /// How the samples were drawn and evaluated.
    const sampling_summary& summary() const { return summary_; }

    /// The sampling spread of `label`'s weights: a #segments by #groups matrix B with B Bᵀ the
    /// estimated covariance of the weights over reruns with other seeds (the clustered sandwich
    /// of the weighted ridge fit, detail::ridge_spread, or of KernelSHAP's, detail::shapley_spread).
    /// No columns when the masks were
    /// enumerated. Throws pixlime::invalid_argument for a custom surrogate (its spread is
    /// unknown) or a label not explained.
    Eigen::MatrixXd weight_spread(int label) const {
        const linear_fit& f = fit(label);
        if (summary_.enumerated) return Eigen::MatrixXd::Zero(f.weights.size(), 0);
        if (!summary_.ridge_alpha)
            throw invalid_argument("explanation standard errors", "a custom surrogate",
                                   "the built-in weighted_ridge (the standard errors are its sandwich)");
        return detail::fit_spread(summary_, samples_, sample_weights_, predictions_.col(label), f);
    }
    /// Standard error of each of `label`'s weights (#segments values): the spread of the weight
    /// over reruns with other seeds, estimated from this run's samples alone (the square root
    /// of the sandwich covariance's diagonal; 0 when the masks were enumerated).
    Eigen::VectorXd standard_errors(int label) const { return weight_spread(label).rowwise().norm(); }
    /// Normal intervals weight ± z·standard error at `level` (in (0, 1); z = Φ⁻¹((1 + level) / 2),
    /// 1.96 at 0.95): #segments by 2, columns low and high.
    Eigen::MatrixXd weight_intervals(int label, double level = 0.95) const {
        if (!(level > 0 && level < 1)) throw invalid_argument("weight_intervals level", level, "a value in (0, 1), e.g. 0.95");
        const Eigen::VectorXd se = standard_errors(label);
        const double z = detail::normal_quantile(0.5 + 0.5 * level);
        Eigen::MatrixXd out(se.size(), 2);
        out.col(0) = weights(label) - z * se;
        out.col(1) = weights(label) + z * se;
        return out;
    }
    /// The expected top-k Jaccard |A ∩ B| / |A ∪ B| between this explanation's k most
    /// important segments (by |weight|) and those of an independent rerun with the same
    /// options and another seed, estimated without calling the model: the mean over `draws`
    /// pairs of simulated reruns, weights + B ξ with B = weight_spread(label). 1 when the masks
    /// were enumerated. k >= 1 (clamped to #segments), draws >= 1.
    double stability(int label, int k = 5, int draws = 200) const {
        if (k < 1) throw invalid_argument("stability k", k, "at least 1");
        if (draws < 1) throw invalid_argument("stability draws", draws, "at least 1");
        return detail::simulated_stability(weights(label), weight_spread(label), std::min(k, num_segments()), draws,
                                           detail::stability_seed(summary_.seed, label));
    }

    /// Assembles an explanation (used by explain; public so that custom pipelines can build one).
    /// Throws pixlime::invalid_argument unless the parts fit together: `samples` #samples by
    /// #segments of the segmentation, `predictions` #samples by #classes (>= 1 column),
    /// `sample_weights` #samples, `labels` distinct classes with one fit each whose weights
    /// have #segments finite values, `top_labels` classes.
    /// `summary` describes the samples (model_calls 0: taken as #samples; ridge_alpha: the
    /// penalty the fits used, or empty for another surrogate). `image_channels`: the explained
    /// image's channel count (1 to pixlime::max_channels), or 0 when unknown. `task`: what the
    /// predictions are (task::regression: exactly one column, the value, and label 0 alone).
    explanation(segmentation segments, mask_matrix samples, Eigen::MatrixXd predictions, Eigen::VectorXd sample_weights,
                std::vector<int> labels, std::vector<int> top_labels, std::vector<linear_fit> fits, explain_timings timings = {},
                sampling_summary summary = {}, int image_channels = 0, pixlime::task task = pixlime::task::classification)
        : explanation(detail::trusted_t{}, std::move(segments), std::move(samples), std::move(predictions),
                      std::move(sample_weights), std::move(labels), std::move(top_labels), std::move(fits), timings, summary,
                      image_channels, task) {
        if (summary_.model_calls == 0) summary_.model_calls = int(samples_.rows());
        check();
    }
    /// The constructor above without its checks (explain has checked every part as it made it).
    explanation(detail::trusted_t, segmentation segments, mask_matrix samples, Eigen::MatrixXd predictions,
                Eigen::VectorXd sample_weights, std::vector<int> labels, std::vector<int> top_labels,
                std::vector<linear_fit> fits, explain_timings timings, sampling_summary summary, int image_channels = 0,
                pixlime::task task = pixlime::task::classification)
        : segments_(std::move(segments)), samples_(std::move(samples)), predictions_(std::move(predictions)),
          sample_weights_(std::move(sample_weights)), labels_(std::move(labels)), top_labels_(std::move(top_labels)),
          fits_(std::move(fits)), timings_(timings), summary_(summary), image_channels_(image_channels), task_(task) {}

private:
    void check() const {
        const auto k = Eigen::Index(segments_.count());
        if (segments_.empty()) throw invalid_argument("explanation segments", "empty", "a segmentation");
        if (samples_.cols() != k || samples_.rows() < 1)
            throw invalid_argument("explanation samples size", std::to_string(samples_.rows()) + "x" + std::to_string(samples_.cols()),
                                   "#samples x #segments with #segments = " + std::to_string(k));
        if (predictions_.rows() != samples_.rows() || predictions_.cols() < 1)
            throw invalid_argument("explanation predictions size",
                                   std::to_string(predictions_.rows()) + "x" + std::to_string(predictions_.cols()),
                                   std::to_string(samples_.rows()) + " rows (one per sample) and at least 1 column");
        detail::check_task(task_, "explanation task");
        if (task_ == pixlime::task::regression && predictions_.cols() != 1)
            throw invalid_argument("explanation predictions columns", predictions_.cols(),
                                   "1 with task regression (the value, label 0)");
        if (sample_weights_.size() != samples_.rows())
            throw invalid_argument("explanation sample_weights size", sample_weights_.size(), "one per sample");
        if (fits_.size() != labels_.size())
            throw invalid_argument("explanation fits", fits_.size(), "one per label: " + std::to_string(labels_.size()));
        for (std::size_t i = 0; i < labels_.size(); ++i) {
            check_class(labels_[i]);
            if (std::find(labels_.begin(), labels_.begin() + std::ptrdiff_t(i), labels_[i]) != labels_.begin() + std::ptrdiff_t(i))
                throw invalid_argument("explanation labels", labels_[i], "each label once");
            const linear_fit& f = fits_[i];
            const std::string name = "explanation fit of label " + std::to_string(labels_[i]);
            if (f.weights.size() != k) throw invalid_argument(name + " weights size", f.weights.size(), "#segments = " + std::to_string(k));
            if (!f.weights.allFinite() || !std::isfinite(f.intercept) || !std::isfinite(f.score) || !std::isfinite(f.local_prediction))
                throw invalid_argument(name, "NaN or Inf", "finite weights, intercept, score and local prediction");
        }
        for (int l : top_labels_) check_class(l);
        if (summary_.model_calls < 1 || summary_.model_calls > samples_.rows())
            throw invalid_argument("explanation summary.model_calls", summary_.model_calls,
                                   "1.." + std::to_string(samples_.rows()) + " (at most one call per sample)");
        if (summary_.ridge_alpha && !(*summary_.ridge_alpha >= 0 && std::isfinite(*summary_.ridge_alpha)))
            throw invalid_argument("explanation summary.ridge_alpha", *summary_.ridge_alpha, "a finite value >= 0, or empty");
        if (image_channels_ < 0 || image_channels_ > max_channels)
            throw invalid_argument("explanation image_channels", image_channels_,
                                   "the explained image's channel count, 1 to " + std::to_string(max_channels) + ", or 0 (unknown)");
    }

    void check_class(int label) const {
        if (label < 0 || label >= num_classes())
            throw invalid_argument("label", label, "a class 0.." + std::to_string(num_classes() - 1));
    }

    segmentation segments_;
    mask_matrix samples_;
    Eigen::MatrixXd predictions_;
    Eigen::VectorXd sample_weights_;
    std::vector<int> labels_, top_labels_;
    std::vector<linear_fit> fits_;
    explain_timings timings_;
    sampling_summary summary_;
    int image_channels_ = 0;
    pixlime::task task_ = pixlime::task::classification;
};

namespace detail {

/// Throws pixlime::invalid_argument unless an image of `channels` channels can be the one `ex`
/// explained (explanation::image_channels, when known).
inline void check_explained_channels(const explanation& ex, int channels) {
    const int explained = ex.image_channels();
    if (explained != 0 && channels != explained)
        throw invalid_argument("image channels", channels,
                               "the explained image's " + std::to_string(explained) + (explained == 1 ? " channel" : " channels") +
                                   " (an explanation is drawn on the image it explained)");
}

/// Throws pixlime::invalid_argument unless an image of width x height x channels is the one
/// `ex` explained (its segmentation's size, and its channel count when known).
inline void check_explained_image(const explanation& ex, int width, int height, int channels) {
    const segmentation& seg = ex.segments();
    if (width != seg.width() || height != seg.height())
        throw invalid_argument("image size", std::to_string(width) + "x" + std::to_string(height),
                               "the explained image's " + std::to_string(seg.width()) + "x" + std::to_string(seg.height()) +
                                   " (an explanation is drawn on the image it explained)");
    check_explained_channels(ex, channels);
}

}  // namespace detail

}  // namespace pixlime
