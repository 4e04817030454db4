#pragma once
/// \file model.hpp
/// Step 3 and 4 of the workflow: a multi-layer perceptron written with Eigen (ReLU hidden
/// layers; a softmax output over the classes, or one sigmoid unit for a binary task),
/// trained with Adam on minibatches; stored to a versioned binary file and loaded back.

#include "dataset.hpp"

#include <pixlime/image.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wf {

enum class output_kind : std::uint32_t {
    softmax = 0,  ///< one output per class, probabilities that sum to 1
    sigmoid = 1,  ///< one output: P(class 1) of a two-class task
};

struct dense_layer {
    Eigen::MatrixXf weights;  ///< out x in
    Eigen::VectorXf bias;     ///< out
};

class mlp {
public:
    /// File format: "PXLMLP\r\n", then little-endian uint32 fields and float32 weights.
    static constexpr std::uint32_t format_version = 1;

    input_shape shape;
    output_kind output = output_kind::softmax;
    std::vector<dense_layer> layers;
    std::vector<std::string> classes;  ///< class names; for sigmoid: {negative, positive}
    std::string metadata;              ///< JSON text: how it was trained, its accuracy, ...

    /// A freshly initialized network (He-uniform weights, zero biases) with the given hidden sizes.
    static mlp make(const input_shape& shape, const std::vector<int>& hidden, int num_outputs, output_kind output,
                    std::vector<std::string> classes, std::uint64_t seed);

    int num_outputs() const { return layers.empty() ? 0 : int(layers.back().weights.rows()); }

    /// Probabilities for the columns of x (shape.size() x N): an N x num_outputs() matrix.
    Eigen::MatrixXf predict(const Eigen::Ref<const Eigen::MatrixXf>& x) const;

    /// The callable pixlime's explainer takes: a batch of images of the model's input shape
    /// (NHWC floats in [0, 1]) to one row of probabilities per image. Throws
    /// std::invalid_argument when the batch's image shape is not the model's.
    Eigen::MatrixXf operator()(pixlime::batch_view<const float> batch) const;

    /// Writes the model (atomically: a temporary file, then a rename). Throws std::runtime_error.
    void save(const std::string& path) const;
    /// The model's bytes exactly as save writes them.
    std::vector<std::uint8_t> serialize() const;
    /// Reads a model written by save. Throws std::runtime_error on a missing, truncated or
    /// foreign file, or an unsupported format version.
    static mlp load(const std::string& path);
    static mlp deserialize(const std::vector<std::uint8_t>& bytes);

    /// A short content hash of the serialized model (16 hex digits, FNV-1a 64), used as its
    /// id in transaction logs.
    std::string id() const;

    /// Bit-exact equality of everything stored.
    friend bool operator==(const mlp& a, const mlp& b);
};

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

/// Predicted class from one row of probabilities (for sigmoid: p >= 0.5).
int predicted_class(const mlp& model, const Eigen::Ref<const Eigen::RowVectorXf>& row);

}  // namespace wf
