#pragma once
/// \file backend.hpp
/// The apps' inference backends (the `pixlime` command, the service): a model file behind the classifier interface
/// pixlime::explain calls. TorchScript (.pt, .pth, .ts, .torchscript) runs on libtorch, ONNX
/// (.onnx) on OpenCV DNN; each is compiled in when its library is found (Debian libtorch-dev,
/// libopencv-dev), and naming one that was not built is an error that says which package
/// builds it.

#include <pixlime/image.hpp>

#include <Eigen/Core>

#include <memory>
#include <string>
#include <vector>

namespace pixlime::app {

/// A loaded model: one row of outputs per image of the batch.
class model_backend {
public:
    virtual ~model_backend() = default;
    /// The batch is the model's input tensor as it is (float, NCHW or NHWC as
    /// explain_options::model_input made it); no copy is made.
    virtual Eigen::MatrixXf classify(pixlime::batch_view<const float> batch) = 0;
    virtual std::string name() const = 0;
};

/// "torch" or "onnx" for a model file's extension, "" when it is neither.
std::string backend_for(const std::string& model_path);
/// The backends this build has ("torch", "onnx").
std::vector<std::string> built_backends();
/// Loads `model_path` with `backend` ("auto": by the extension). `threads` caps the backend's
/// own threads. Throws std::runtime_error naming the file and the reason, or the backend that
/// was not built and the Debian package that builds it.
std::unique_ptr<model_backend> open_model(const std::string& model_path, const std::string& backend, int threads);

// Implemented by backend_torch.cpp / backend_opencv.cpp when built.
std::unique_ptr<model_backend> open_torch(const std::string& model_path, int threads);
std::unique_ptr<model_backend> open_onnx(const std::string& model_path, int threads);

}  // namespace pixlime::app
