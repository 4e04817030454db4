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

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
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
/// alpha * |w|² leaves the intercept free, and score is the weighted R². One Cholesky
/// factorisation of the #segments by #segments Gram matrix serves every target column.
///
/// Written for 0/1 masks with plain loops: the Gram matrix is accumulated from each sample's
/// kept segments only (about N K²/8 additions for N samples, K segments, half kept), which is
/// faster than a dense product here and keeps the header cheap to compile.
struct weighted_ridge {
    double alpha = 1.0;  ///< lime_image: Ridge(alpha=1)

    /// `samples`: #samples by #segments of 0/1 (a mask_matrix); `sample_weights`: #samples
    /// values > 0 in total; `targets`: #samples by #targets. Returns one fit per target column.
    /// Throws pixlime::invalid_argument on mismatched sizes, alpha < 0, or alpha = 0 with
    /// segments whose weights the samples do not determine.
    template <class Masks>
    std::vector<linear_fit> operator()(const Masks& samples, const Eigen::VectorXd& sample_weights,
                                       const Eigen::MatrixXd& targets) const {
        const std::size_t n = std::size_t(samples.rows()), k = std::size_t(samples.cols()), nt = std::size_t(targets.cols());
        if (!(alpha >= 0) || !std::isfinite(alpha))
            throw invalid_argument::make("explain_options.ridge_alpha", alpha, "a finite value >= 0");
        if (std::size_t(sample_weights.size()) != n || std::size_t(targets.rows()) != n)
            throw invalid_argument("weighted_ridge: samples, sample_weights and targets must have the same number of rows");
        const double total = sample_weights.sum();
        if (!(total > 0)) throw invalid_argument::make("weighted_ridge sum of sample weights", total, "a value > 0");

        // Each sample's kept segments, ascending.
        std::vector<std::int32_t> kept;
        std::vector<std::size_t> first(n + 1, 0);
        for (std::size_t i = 0; i < n; ++i) {
            first[i] = kept.size();
            for (std::size_t j = 0; j < k; ++j)
                if (samples(Eigen::Index(i), Eigen::Index(j)) != 0) kept.push_back(std::int32_t(j));
        }
        first[n] = kept.size();

        // Weighted means of X and y.
        std::vector<double> x_mean(k, 0.0), y_mean(nt, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t a = first[i]; a < first[i + 1]; ++a) x_mean[std::size_t(kept[a])] += w;
            for (std::size_t t = 0; t < nt; ++t) y_mean[t] += w * targets(Eigen::Index(i), Eigen::Index(t));
        }
        for (double& v : x_mean) v /= total;
        for (double& v : y_mean) v /= total;

        // Lower triangle of the centred weighted Gram matrix + alpha I (row-major k x k):
        // sum_i w_i (x_i - m)(x_i - m)^T = sum_i w_i x_i x_i^T - total m m^T.
        std::vector<double> g(k * k, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t a = first[i]; a < first[i + 1]; ++a) {
                double* row = g.data() + std::size_t(kept[a]) * k;
                for (std::size_t b = first[i]; b <= a; ++b) row[kept[b]] += w;
            }
        }
        for (std::size_t r = 0; r < k; ++r) {
            for (std::size_t c = 0; c <= r; ++c) g[r * k + c] -= total * x_mean[r] * x_mean[c];
            g[r * k + r] += alpha;
        }

        // Right-hand sides X_c^T W (y - y_mean) (k x nt); the centring of X drops out because
        // sum_i w_i (y_i - y_mean) = 0.
        std::vector<double> rhs(k * nt, 0.0), yc(nt);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t t = 0; t < nt; ++t) yc[t] = w * (targets(Eigen::Index(i), Eigen::Index(t)) - y_mean[t]);
            for (std::size_t a = first[i]; a < first[i + 1]; ++a)
                for (std::size_t t = 0; t < nt; ++t) rhs[std::size_t(kept[a]) * nt + t] += yc[t];
        }

        // Cholesky g = L L^T in place (lower triangle), then L L^T coef = rhs.
        for (std::size_t j = 0; j < k; ++j) {
            double* rj = g.data() + j * k;
            const double original = rj[j];
            double d = original;
            for (std::size_t m = 0; m < j; ++m) d -= rj[m] * rj[m];
            if (!(d > 1e-12 * std::max(1.0, original)))  // only possible with alpha = 0
                throw invalid_argument::make("explain_options.ridge_alpha", alpha,
                                             "a value > 0 here: with no penalty the samples do not determine every segment's weight");
            rj[j] = std::sqrt(d);
            for (std::size_t i = j + 1; i < k; ++i) {
                double* ri = g.data() + i * k;
                double s = ri[j];
                for (std::size_t m = 0; m < j; ++m) s -= ri[m] * rj[m];
                ri[j] = s / rj[j];
            }
        }
        std::vector<linear_fit> fits(nt);
        std::vector<double> z(k);
        for (std::size_t t = 0; t < nt; ++t) {
            for (std::size_t i = 0; i < k; ++i) {  // L z = rhs
                double s = rhs[i * nt + t];
                for (std::size_t m = 0; m < i; ++m) s -= g[i * k + m] * z[m];
                z[i] = s / g[i * k + i];
            }
            Eigen::VectorXd beta(Eigen::Index(k), 1);
            for (std::size_t i = k; i-- > 0;) {  // L^T beta = z
                double s = z[i];
                for (std::size_t m = i + 1; m < k; ++m) s -= g[m * k + i] * beta[Eigen::Index(m)];
                beta[Eigen::Index(i)] = s / g[i * k + i];
            }
            linear_fit& f = fits[t];
            double mean_term = 0;  // x_mean . beta
            for (std::size_t j = 0; j < k; ++j) mean_term += x_mean[j] * beta[Eigen::Index(j)];
            f.intercept = y_mean[t] - mean_term;
            f.local_prediction = f.intercept + beta.sum();
            double ss_res = 0, ss_tot = 0;
            for (std::size_t i = 0; i < n; ++i) {
                double pred = f.intercept;
                for (std::size_t a = first[i]; a < first[i + 1]; ++a) pred += beta[kept[a]];
                const double w = sample_weights[Eigen::Index(i)], y = targets(Eigen::Index(i), Eigen::Index(t));
                ss_res += w * (y - pred) * (y - pred);
                ss_tot += w * (y - y_mean[t]) * (y - y_mean[t]);
            }
            // scikit-learn's r2_score with force_finite: a constant target scores 1 when fitted exactly, else 0.
            f.score = ss_tot != 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
            f.weights = std::move(beta);
        }
        return fits;
    }
};

}  // namespace pixlime
