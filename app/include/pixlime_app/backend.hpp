#pragma once
/// \file backend.hpp
/// The apps' inference backends (the `pixlime` command, the service): a model file behind the classifier interface
/// pixlime::explain calls. TorchScript (.pt, .pth, .ts, .torchscript) runs on libtorch, ONNX
/// (.onnx) on OpenCV DNN; each is compiled in when its library is found (Debian libtorch-dev,
/// libopencv-dev), and naming one that was not built is an error that says which package
/// builds it. The workflow demo's MLP (.pxm, pixlime_app/mlp.hpp) runs on Eigen and is in
/// every build.

#include <pixlime_app/preprocess.hpp>

#include <pixlime/detection.hpp>
#include <pixlime/image.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pixlime::app {

/// A model's output as it is: its shape (e.g. N x C x H x W) and its values in row-major order.
struct output_tensor {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

/// A loaded model: one row of outputs per image of the batch.
class model_backend {
public:
    virtual ~model_backend() = default;
    /// The batch is the model's input tensor as it is (float, NCHW or NHWC as
    /// explain_options::model_input made it); no copy is made. Throws std::runtime_error when
    /// the model refuses it (pxm: a batch not of input()'s shape, or NCHW with channels > 1).
    virtual Eigen::MatrixXf classify(pixlime::batch_view<const float> batch) = 0;
    /// The model's output for the batch as the tensor it is, not folded into rows: a segmenter's
    /// N x C x H x W per-pixel class scores, YOLO's N x R x (5 + classes) rows. Throws
    /// std::runtime_error when the output is not one tensor or its first dimension is not the
    /// batch's size. pxm: classify's N x classes.
    virtual output_tensor forward(pixlime::batch_view<const float> batch) = 0;
    /// Each image's detections from the model's output `layout`: "yolo", forward()'s N x R x
    /// (5 + classes) pre-NMS rows (x_center, y_center, w, h, objectness, class scores;
    /// pixlime::detections_from_yolo, rows under min_score left out); "torchvision", one dict per
    /// image of boxes (x1, y1, x2, y2), labels and scores, or torchvision's (losses, detections)
    /// pair (pixlime::detections_from_torchvision; TorchScript only). Boxes in the model input's
    /// pixels. Throws std::runtime_error naming what the output is and what was expected.
    virtual std::vector<std::vector<pixlime::detection>> detect(pixlime::batch_view<const float> batch, const std::string& layout,
                                                                double min_score);
    /// "torch", "onnx" or "pxm".
    virtual std::string name() const = 0;

    // What the model file says about itself, for a caller (the service) that has no flags for it.

    /// The input the model takes, when its file states it (pxm: images of this size, NHWC
    /// floats in [0, 1], pixlime::explain's default model_input); none for TorchScript and
    /// ONNX, whose input the caller has to be told.
    virtual std::optional<input_shape> input() const { return std::nullopt; }
    /// The names of the model's classes in output order, when its file has them (pxm); empty
    /// otherwise. With binary(): {negative, positive}.
    virtual std::vector<std::string> classes() const { return {}; }
    /// true when classify returns a single column, P(classes()[1]) of a two-class task (a pxm
    /// model with a sigmoid output); false: one column per class (or as the file's model does).
    virtual bool binary() const { return false; }
};

/// The detection layouts detect() reads: "yolo", "torchvision".
const std::vector<std::string>& detection_layouts();
/// "AxBxC" for a tensor's shape ("()" for none).
std::string shape_text(const std::vector<std::int64_t>& shape);

/// "torch", "onnx" or "pxm" for a model file's extension, "" when it is none of them.
std::string backend_for(const std::string& model_path);
/// The backends this build has ("torch", "onnx" when built; "pxm" always).
std::vector<std::string> built_backends();
/// Loads `model_path` with `backend` ("auto": by the extension; "torch", "onnx", "pxm").
/// `threads` caps the backend's own threads (pxm runs on the calling thread). Throws
/// std::runtime_error naming the file and the reason (pxm: a truncated, corrupt or foreign
/// file), or the backend that was not built and the Debian package that builds it.
/// Opening a TorchScript model also raises glibc's mmap and trim thresholds to 1 GiB for the whole
/// process (freed memory is kept for reuse: libtorch frees its activations after every batch).
std::unique_ptr<model_backend> open_model(const std::string& model_path, const std::string& backend, int threads);

// Implemented by backend_torch.cpp / backend_opencv.cpp when built, backend_pxm.cpp always.
std::unique_ptr<model_backend> open_torch(const std::string& model_path, int threads);
std::unique_ptr<model_backend> open_onnx(const std::string& model_path, int threads);
std::unique_ptr<model_backend> open_pxm(const std::string& model_path);

}  // namespace pixlime::app
