// The pxm backend: the workflow demo's MLP file (pixlime_app/mlp.hpp), on Eigen, in every build.
#include <pixlime_app/backend.hpp>
#include <pixlime_app/mlp.hpp>

#include <stdexcept>

namespace pixlime::app {
namespace {

class pxm_backend final : public model_backend {
public:
    explicit pxm_backend(mlp model) : model_(std::move(model)) {}
    Eigen::MatrixXf classify(pixlime::batch_view<const float> b) override {
        try {
            return model_(b);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(e.what());
        }
    }
    output_tensor forward(pixlime::batch_view<const float> b) override {
        const Eigen::Matrix<float, -1, -1, Eigen::RowMajor> y = classify(b);
        return {{y.rows(), y.cols()}, std::vector<float>(y.data(), y.data() + y.size())};
    }
    std::string name() const override { return "pxm"; }
    std::optional<input_shape> input() const override { return model_.shape; }
    std::vector<std::string> classes() const override { return model_.classes; }
    bool binary() const override { return model_.output == output_kind::sigmoid; }

private:
    mlp model_;
};

}  // namespace

std::unique_ptr<model_backend> open_pxm(const std::string& model_path) {
    try {
        return std::make_unique<pxm_backend>(mlp::load(model_path));
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("--model ") + e.what());  // load's message: "'PATH': reason"
    }
}

}  // namespace pixlime::app
