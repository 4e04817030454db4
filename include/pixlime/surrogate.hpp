#pragma once
/// \file pixlime/surrogate.hpp
/// The local surrogate: sample weights from a distance kernel, and a weighted ridge regression
/// fitted to the classifier's outputs, exactly as lime_image does it with scikit-learn.
///
/// A surrogate is any callable
/// `std::vector<linear_fit>(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
///                          const Eigen::MatrixXd& targets)`
/// where samples is #samples by #segments (0/1, row 0 all ones), sample_weights has #samples
/// entries and targets is #samples by #labels (column j = the classifier's output for the
/// j-th explained label). It returns one linear_fit per target column.

#include <pixlime/error.hpp>
#include <pixlime/sampler.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>
#include <vector>

namespace pixlime {

/// A linear model of one label's output over the segment indicators.
struct linear_fit {
    Eigen::VectorXd weights;        ///< #segments coefficients: effect of keeping each segment
    double intercept = 0;           ///< the model's value with every segment hidden
    double score = 0;               ///< weighted R² on the samples (scikit-learn's Ridge.score)
    double local_prediction = 0;    ///< the model at the all-ones row (the unperturbed image)
};

/// Cosine distance of each 0/1 row to the all-ones row (lime_image: sklearn pairwise_distances
/// with metric='cosine' against data[0]). For a row with m of K segments kept this is
/// 1 - sqrt(m / K); a row with none kept has distance 1 (sklearn's convention for zero vectors).
/// Returns #samples values.
inline Eigen::VectorXd cosine_distances_to_ones(const mask_matrix& samples) {
    const double k = double(samples.cols());
    Eigen::VectorXd d(samples.rows());
    for (Eigen::Index i = 0; i < samples.rows(); ++i) {
        const double m = samples.row(i).cast<double>().sum();
        d[i] = m == 0 ? 1.0 : std::min(2.0, std::max(0.0, 1.0 - m / (std::sqrt(m) * std::sqrt(k))));
    }
    return d;
}

/// lime_image's kernel: sqrt(exp(-d² / width²)), applied to each distance.
inline Eigen::VectorXd exponential_kernel(const Eigen::VectorXd& distances, double kernel_width) {
    if (!(kernel_width > 0) || !std::isfinite(kernel_width))
        throw invalid_argument::make("explain_options.kernel_width", kernel_width, "a finite value > 0");
    return (-(distances.array().square()) / (kernel_width * kernel_width)).exp().sqrt().matrix();
}

/// Weighted ridge regression with intercept, as scikit-learn's Ridge(alpha, fit_intercept=True)
/// fitted with sample_weight: X and y are centred by their weighted means, the penalty
/// alpha * |w|² leaves the intercept free, and score is the weighted R². One factorisation of
/// the #segments by #segments Gram matrix serves every target column.
struct weighted_ridge {
    double alpha = 1.0;  ///< lime_image: Ridge(alpha=1)

    /// `samples`: #samples by #segments 0/1 (a mask_matrix); `sample_weights`: #samples;
    /// `targets`: #samples by #targets. Returns one fit per target column.
    /// (A template only so that translation units that never fit pay nothing to compile it.)
    template <class Masks>
    std::vector<linear_fit> operator()(const Masks& samples, const Eigen::VectorXd& sample_weights,
                                       const Eigen::MatrixXd& targets) const {
        const Eigen::Index n = samples.rows(), k = samples.cols();
        if (!(alpha >= 0) || !std::isfinite(alpha))
            throw invalid_argument::make("explain_options.ridge_alpha", alpha, "a finite value >= 0");
        if (sample_weights.size() != n || targets.rows() != n)
            throw invalid_argument("weighted_ridge: samples, sample_weights and targets must have the same number of rows");
        const double total = sample_weights.sum();
        if (!(total > 0)) throw invalid_argument::make("weighted_ridge sum of sample weights", total, "a value > 0");

        // One #samples by #segments buffer: X, centred by its weighted mean, rows scaled by sqrt(w).
        Eigen::MatrixXd xs = samples.template cast<double>();
        const Eigen::RowVectorXd x_mean = (sample_weights.transpose() * xs) / total;
        const Eigen::VectorXd sqrt_w = sample_weights.array().sqrt().matrix();
        xs.rowwise() -= x_mean;
        xs = sqrt_w.asDiagonal() * xs;

        Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(k, k);
        gram.selfadjointView<Eigen::Lower>().rankUpdate(xs.transpose());
        gram = gram.selfadjointView<Eigen::Lower>();
        gram.diagonal().array() += alpha;

        const Eigen::RowVectorXd y_mean = (sample_weights.transpose() * targets) / total;
        const Eigen::MatrixXd ys = sqrt_w.asDiagonal() * (targets.rowwise() - y_mean);  // sqrt(w) * centred y
        const Eigen::MatrixXd rhs = xs.transpose() * ys;

        const Eigen::LLT<Eigen::MatrixXd> llt(gram);
        if (llt.info() != Eigen::Success)  // only possible with alpha = 0 and segments that always move together
            throw invalid_argument::make("explain_options.ridge_alpha", alpha,
                                         "a value > 0 here: with no penalty the samples do not determine every segment's weight");
        const Eigen::MatrixXd coef = llt.solve(rhs);
        const Eigen::MatrixXd residual = ys - xs * coef;  // sqrt(w) * (y - prediction)

        std::vector<linear_fit> fits(std::size_t(targets.cols()));
        for (Eigen::Index j = 0; j < targets.cols(); ++j) {
            linear_fit& f = fits[std::size_t(j)];
            f.weights = coef.col(j);
            f.intercept = y_mean[j] - x_mean.dot(f.weights);
            f.local_prediction = f.intercept + f.weights.sum();
            const double ss_res = residual.col(j).squaredNorm();
            const double ss_tot = ys.col(j).squaredNorm();
            // scikit-learn's r2_score with force_finite: a constant target scores 1 when fitted exactly, else 0.
            f.score = ss_tot != 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
        }
        return fits;
    }
};

}  // namespace pixlime
