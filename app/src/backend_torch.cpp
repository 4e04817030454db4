#include <pixlime_app/backend.hpp>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <stdexcept>

namespace pixlime::app {
namespace {

class torch_backend final : public model_backend {
public:
    explicit torch_backend(const std::string& path) : module_(torch::jit::load(path)) { module_.eval(); }
    Eigen::MatrixXf classify(pixlime::batch_view<const float> b) override {
        torch::NoGradGuard no_grad;
        const bool nchw = b.layout() == pixlime::layout::nchw;
        const std::vector<int64_t> shape = nchw ? std::vector<int64_t>{b.size(), b.channels(), b.height(), b.width()}
                                                : std::vector<int64_t>{b.size(), b.height(), b.width(), b.channels()};
        // from_blob wraps pixlime's batch memory as the input tensor: no copy.
        const at::Tensor x = torch::from_blob(const_cast<float*>(b.data()), shape, torch::kFloat32);
        at::Tensor y = module_.forward({x}).toTensor().to(torch::kFloat32).contiguous();
        if (y.dim() == 1) y = y.unsqueeze(1);
        if (y.dim() != 2 || y.size(0) != b.size())
            throw std::runtime_error("the model's output has shape " + shape_text(y) + ": expected " + std::to_string(b.size()) +
                                     " x classes for a batch of " + std::to_string(b.size()));
        return Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(y.data_ptr<float>(), y.size(0), y.size(1));
    }
    std::string name() const override { return "torch"; }

private:
    static std::string shape_text(const at::Tensor& t) {
        std::string s;
        for (int64_t d : t.sizes()) s += (s.empty() ? "" : " x ") + std::to_string(d);
        return s.empty() ? "()" : s;
    }
    torch::jit::script::Module module_;
};

}  // namespace

std::unique_ptr<model_backend> open_torch(const std::string& model_path, int threads) {
    at::set_num_threads(threads);
    try {
        return std::make_unique<torch_backend>(model_path);
    } catch (const c10::Error& e) {
        throw std::runtime_error("--model '" + model_path + "': libtorch cannot load it as TorchScript: " + e.what_without_backtrace());
    }
}

}  // namespace pixlime::app
