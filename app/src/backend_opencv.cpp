#include <pixlime_app/backend.hpp>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <stdexcept>

namespace pixlime::app {
namespace {

class onnx_backend final : public model_backend {
public:
    explicit onnx_backend(const std::string& path) : net_(cv::dnn::readNetFromONNX(path)) {
        if (net_.empty()) throw std::runtime_error("OpenCV DNN read an empty network");
    }
    Eigen::MatrixXf classify(pixlime::batch_view<const float> b) override {
        cv::Mat y = run(b);
        const int rows = y.size[0];
        y = y.reshape(1, rows);  // N x classes (a trailing 1 x 1 of a convolutional head folded in)
        if (!y.isContinuous()) y = y.clone();
        return Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(y.ptr<float>(), y.rows, y.cols);
    }
    output_tensor forward(pixlime::batch_view<const float> b) override {
        cv::Mat y = run(b);
        if (!y.isContinuous()) y = y.clone();
        output_tensor t;
        for (int d = 0; d < y.dims; ++d) t.shape.push_back(y.size[d]);
        t.values.assign(y.ptr<float>(), y.ptr<float>() + y.total());
        return t;
    }
    std::string name() const override { return "onnx"; }

private:
    /// The network's output for the batch, float, one row per image (checked).
    cv::Mat run(pixlime::batch_view<const float> b) {
        if (b.layout() != pixlime::layout::nchw)
            throw std::runtime_error("the ONNX backend (OpenCV DNN) takes NCHW input: use --layout nchw");
        const int shape[4] = {b.size(), b.channels(), b.height(), b.width()};
        // The blob is a header over pixlime's batch memory: no copy.
        net_.setInput(cv::Mat(4, shape, CV_32F, const_cast<float*>(b.data())));
        cv::Mat y = net_.forward();
        if (y.type() != CV_32F) y.convertTo(y, CV_32F);
        const int rows = y.dims >= 1 ? y.size[0] : 0;
        const std::int64_t total = std::int64_t(y.total());
        if (rows != b.size() || total % std::max(rows, 1) != 0)
            throw std::runtime_error("the model's output has " + std::to_string(rows) + " rows: expected one per image of a batch of " +
                                     std::to_string(b.size()));
        return y;
    }
    cv::dnn::Net net_;
};

}  // namespace

std::unique_ptr<model_backend> open_onnx(const std::string& model_path, int threads) {
    cv::setNumThreads(threads);
    try {
        return std::make_unique<onnx_backend>(model_path);
    } catch (const cv::Exception& e) {
        throw std::runtime_error("--model '" + model_path + "': OpenCV DNN cannot load it as ONNX: " + e.msg +
                                 " (docs/backends.md says how to export for OpenCV 4.6)");
    }
}

}  // namespace pixlime::app
