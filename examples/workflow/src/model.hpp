#pragma once
/// \file model.hpp
/// Step 3 of the workflow: training a multi-layer perceptron with Adam on minibatches. The
/// network itself (ReLU hidden layers; a softmax output over the classes, or one sigmoid unit
/// for a binary task), its inference and its versioned binary file are the app layer's
/// (pixlime_app/mlp.hpp), which the service loads too.

#include "dataset.hpp"

#include <pixlime_app/mlp.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wf {

// The network, its inference and its file are the app layer's (pixlime_app/mlp.hpp).
using pixlime::app::dense_layer;
using pixlime::app::mlp;
using pixlime::app::output_kind;
using pixlime::app::predicted_class;

/// A freshly initialized network (He-uniform weights, zero biases) with the given hidden sizes.
mlp make_mlp(const input_shape& shape, const std::vector<int>& hidden, int num_outputs, output_kind output,
             std::vector<std::string> classes, std::uint64_t seed);

struct train_options {
    std::vector<int> hidden = {256, 128};
    int epochs = 8;
    int batch_size = 128;
    float learning_rate = 1e-3f;
    float lr_decay = 0.8f;  ///< learning rate multiplied by this after every epoch
    std::uint64_t seed = 42;
};

struct epoch_report {
    int epoch = 0;
    double loss = 0, train_accuracy = 0, validation_accuracy = 0, seconds = 0;
};

/// Trains on x (shape.size() x N, one image per column) and labels y (N values: class
/// indices; for sigmoid 0/1). Validation accuracy is computed after every epoch on (xv, yv)
/// when given. `on_epoch` is called after each epoch; `on_batch(done, total)` now and then.
std::vector<epoch_report> train(mlp& model, const Eigen::Ref<const Eigen::MatrixXf>& x, const std::vector<int>& y,
                                const Eigen::Ref<const Eigen::MatrixXf>& xv, const std::vector<int>& yv,
                                const train_options& options,
                                const std::function<void(const epoch_report&)>& on_epoch = {},
                                const std::function<void(int, int)>& on_batch = {});

/// Fraction of columns of x whose predicted class equals y.
double accuracy(const mlp& model, const Eigen::Ref<const Eigen::MatrixXf>& x, const std::vector<int>& y);

}  // namespace wf
