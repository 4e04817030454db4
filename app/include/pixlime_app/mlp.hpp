#pragma once
/// \file mlp.hpp
/// A multi-layer perceptron's stored form and inference, written with Eigen: ReLU hidden
/// layers, a softmax output over the classes or one sigmoid unit for a two-class task. Its
/// file ("PXLMLP\r\n", `.pxm`) is what the workflow demo's `train` step writes
/// (examples/workflow: training lives there) and what the pxm backend (backend.hpp) serves.

#include <pixlime_app/preprocess.hpp>

#include <pixlime/image.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

namespace pixlime::app {

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

    int num_outputs() const { return layers.empty() ? 0 : int(layers.back().weights.rows()); }

    /// Throws std::runtime_error when the network is not well formed: an input shape out of
    /// range (1..4096 x 1..4096 x 1..4 channels), no layer, layers that do not chain from
    /// shape.size() inputs, or outputs that do not match the class names (softmax: one per
    /// class; sigmoid: one output, two names).
    void validate() const;

    /// Probabilities for the columns of x (shape.size() x N): an N x num_outputs() matrix.
    /// Throws std::invalid_argument when x has not shape.size() rows.
    Eigen::MatrixXf predict(const Eigen::Ref<const Eigen::MatrixXf>& x) const;

    /// What a forward pass leaves for backpropagation. Reused across calls: its matrices keep
    /// their memory while the batch size stays.
    struct forward_trace {
        std::vector<Eigen::MatrixXf> inputs;  ///< inputs[l]: layer l's input (inputs[0] = x), in x N
        std::vector<Eigen::MatrixXf> logits;  ///< logits[l]: layer l's weights * input + bias, out x N
        Eigen::MatrixXf output;               ///< the probabilities, num_outputs() x N (one column per image)
    };
    /// The forward pass predict makes, over the columns of x (shape.size() x N), into `trace`
    /// (predict returns trace.output transposed). Throws std::invalid_argument as predict.
    void forward(const Eigen::Ref<const Eigen::MatrixXf>& x, forward_trace& trace) const;

    /// The callable pixlime's explainer takes: a batch of images of the model's input shape
    /// (NHWC floats in [0, 1], as pixlime::explain hands them with the default model_input)
    /// to one row of probabilities per image. Throws std::invalid_argument naming the expected
    /// shape when the batch's image shape is not the model's, or when a batch of more than one
    /// channel is NCHW.
    Eigen::MatrixXf operator()(pixlime::batch_view<const float> batch) const;

    /// Writes the model (atomically: a temporary file, then a rename). Throws std::runtime_error.
    void save(const std::string& path) const;
    /// The model's bytes exactly as save writes them. Throws std::runtime_error when the
    /// model is not valid (validate).
    std::vector<std::uint8_t> serialize() const;
    /// Reads a model written by save. Throws std::runtime_error, "'PATH': reason", on a
    /// missing, truncated, corrupt or foreign file, or an unsupported format version.
    static mlp load(const std::string& path);
    /// The model from bytes written by serialize. Throws std::runtime_error as load.
    static mlp deserialize(const std::vector<std::uint8_t>& bytes);

    /// A short content hash of the serialized model (16 hex digits, FNV-1a 64), used as its
    /// id in transaction logs.
    std::string id() const;

    /// Bit-exact equality of everything stored.
    friend bool operator==(const mlp& a, const mlp& b);
};

/// Predicted class from one row of probabilities (for sigmoid: p >= 0.5).
int predicted_class(const mlp& model, const Eigen::Ref<const Eigen::RowVectorXf>& row);

}  // namespace pixlime::app
