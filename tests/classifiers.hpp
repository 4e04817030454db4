#pragma once
// The project's two test classifiers with a known answer, specified exactly in
// tests/data/classifiers/README.md (copied from the shared fixtures' CLASSIFIERS.md) and
// checked against its reference outputs by tests/test_classifiers.cpp:
//
//   planted: 2 classes, p1 = sigmoid(10 (m - 0.3)), m = mean red / 255 over rows H/4..H/2-1,
//            columns W/4..W/2-1 (only the segments overlapping that rectangle can matter);
//   linear:  5 classes, softmax(0.25 W (f - 0.5)), f the 256 cell means of a 16x16 gray thumbnail.
//
// Both are pixlime classifiers over nhwc RGB batches (batch_view<const std::uint8_t> or float,
// values on the 0..255 scale) returning #images x #classes probabilities.
#include <pixlime/image.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pixlime::test {

/// The directory of linear_weights.json and classifier_vectors.json.
inline std::string classifier_data_dir() { return std::string(PIXLIME_TEST_DATA) + "/classifiers"; }

/// The planted classifier's two probabilities [p0, p1] for one packed RGB image.
template <class T>
Eigen::RowVector2d planted_probabilities(const T* px, int width, int height, int channels) {
    const int y0 = height / 4, y1 = height / 2, x0 = width / 4, x1 = width / 2;
    double sum = 0;  // integers (uint8 input): exact
    for (int y = y0; y < y1; ++y) {
        const T* row = px + (std::size_t(y) * std::size_t(width) + std::size_t(x0)) * std::size_t(channels);
        for (int x = x0; x < x1; ++x, row += channels) sum += double(row[0]);
    }
    const double n = double(y1 - y0) * double(x1 - x0);
    const double m = sum / (n * 255.0);
    const double p1 = 1.0 / (1.0 + std::exp(-10.0 * (m - 0.3)));
    return {1.0 - p1, p1};
}

/// planted as a pixlime classifier (2 classes).
struct planted_classifier {
    template <class T>
    Eigen::MatrixXd operator()(batch_view<const T> batch) const {
        if (batch.channels() < 3) throw std::invalid_argument("planted_classifier: RGB images");
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i)
            p.row(i) = planted_probabilities(batch.image_data(i), batch.width(), batch.height(), batch.channels());
        return p;
    }
};

/// linear's weights W (5 x 256, row-major) from linear_weights.json.
inline Eigen::Matrix<double, 5, 256, Eigen::RowMajor> linear_weights(const std::string& path = classifier_data_dir() + "/linear_weights.json") {
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot open " + path);
    const nlohmann::json j = nlohmann::json::parse(f);
    const auto& w = j.at("W");
    if (w.size() != 5) throw std::runtime_error(path + ": W is not 5 rows");
    Eigen::Matrix<double, 5, 256, Eigen::RowMajor> out;
    for (int k = 0; k < 5; ++k) {
        if (w[std::size_t(k)].size() != 256) throw std::runtime_error(path + ": a row of W is not 256 values");
        for (int t = 0; t < 256; ++t) out(k, t) = w[std::size_t(k)][std::size_t(t)].get<double>();
    }
    return out;
}

/// The 256 features of linear (row-major 16x16 cell means of gray) for one packed RGB image:
/// within a cell, rows are summed first per column, then the columns, then divided by the count
/// (numpy's np.add.reduceat order).
template <class T>
Eigen::Matrix<double, 256, 1> linear_features(const T* px, int width, int height, int channels) {
    Eigen::Matrix<double, 256, 1> f;
    std::vector<double> column(std::size_t(width), 0.0);
    for (int i = 0; i < 16; ++i) {
        const int ya = i * height / 16, yb = (i + 1) * height / 16;
        std::fill(column.begin(), column.end(), 0.0);
        for (int y = ya; y < yb; ++y) {
            const T* row = px + std::size_t(y) * std::size_t(width) * std::size_t(channels);
            for (int x = 0; x < width; ++x) {
                const T* p = row + std::size_t(x) * std::size_t(channels);
                column[std::size_t(x)] += ((0.299 * double(p[0]) + 0.587 * double(p[1])) + 0.114 * double(p[2])) / 255.0;
            }
        }
        for (int j = 0; j < 16; ++j) {
            const int xa = j * width / 16, xb = (j + 1) * width / 16;
            double s = 0;
            for (int x = xa; x < xb; ++x) s += column[std::size_t(x)];
            f[i * 16 + j] = s / (double(yb - ya) * double(xb - xa));
        }
    }
    return f;
}

/// linear as a pixlime classifier (5 classes); reads linear_weights.json when constructed.
struct linear_classifier {
    Eigen::Matrix<double, 5, 256, Eigen::RowMajor> w = linear_weights();

    /// The 5 probabilities for one packed RGB image.
    template <class T>
    Eigen::Matrix<double, 1, 5> probabilities(const T* px, int width, int height, int channels) const {
        const Eigen::Matrix<double, 256, 1> f = linear_features(px, width, height, channels);
        Eigen::Matrix<double, 5, 1> z;
        for (int k = 0; k < 5; ++k) {
            double s = 0;
            for (int t = 0; t < 256; ++t) s += w(k, t) * (f[t] - 0.5);
            z[k] = 0.25 * s;
        }
        const double top = z.maxCoeff();
        const Eigen::Matrix<double, 5, 1> e = (z.array() - top).exp().matrix();
        return (e / e.sum()).transpose();
    }
    template <class T>
    Eigen::MatrixXd operator()(batch_view<const T> batch) const {
        if (batch.channels() < 3) throw std::invalid_argument("linear_classifier: RGB images");
        Eigen::MatrixXd p(batch.size(), 5);
        for (int i = 0; i < batch.size(); ++i)
            p.row(i) = probabilities(batch.image_data(i), batch.width(), batch.height(), batch.channels());
        return p;
    }
};

}  // namespace pixlime::test
