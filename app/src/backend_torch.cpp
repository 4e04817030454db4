#include <pixlime_app/backend.hpp>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <stdexcept>

namespace pixlime::app {
namespace {

std::string shape_of(const at::Tensor& t) { return shape_text(std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end())); }

class torch_backend final : public model_backend {
public:
    explicit torch_backend(const std::string& path) : module_(torch::jit::load(path)) {
        module_.eval();
        // torchvision's detection models take a list of C x H x W images, not one N x C x H x W tensor.
        const auto& args = module_.get_method("forward").function().getSchema().arguments();
        list_input_ = args.size() >= 2 && args[1].type()->kind() == c10::TypeKind::ListType;
    }
    Eigen::MatrixXf classify(pixlime::batch_view<const float> b) override {
        torch::NoGradGuard no_grad;
        at::Tensor y = tensor_of(run(b));
        if (y.dim() == 1) y = y.unsqueeze(1);
        if (y.dim() != 2 || y.size(0) != b.size())
            throw std::runtime_error("the model's output has shape " + shape_of(y) + ": expected " + std::to_string(b.size()) +
                                     " x classes for a batch of " + std::to_string(b.size()));
        return Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(y.data_ptr<float>(), y.size(0), y.size(1));
    }
    output_tensor forward(pixlime::batch_view<const float> b) override {
        torch::NoGradGuard no_grad;
        const at::Tensor y = tensor_of(run(b));
        if (y.dim() < 1 || y.size(0) != b.size())
            throw std::runtime_error("the model's output has shape " + shape_of(y) + ": expected " + std::to_string(b.size()) +
                                     " x ... for a batch of " + std::to_string(b.size()));
        output_tensor t;
        t.shape.assign(y.sizes().begin(), y.sizes().end());
        t.values.assign(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
        return t;
    }
    std::vector<std::vector<pixlime::detection>> detect(pixlime::batch_view<const float> b, const std::string& layout,
                                                        double min_score) override {
        if (layout != "torchvision") return model_backend::detect(b, layout, min_score);
        torch::NoGradGuard no_grad;
        c10::IValue out = run(b);
        // torchvision's scripted detectors return (losses, detections); a plain one the detections.
        if (out.isTuple() && out.toTupleRef().elements().size() == 2) out = out.toTupleRef().elements()[1];
        if (!out.isList())
            throw std::runtime_error("--detections torchvision: the model's output is " + out.tagKind() +
                                     ": expected a list of dicts (boxes, labels, scores), one per image");
        const c10::List<c10::IValue> per_image = out.toList();
        if (per_image.size() != std::size_t(b.size()))
            throw std::runtime_error("--detections torchvision: the model returned " + std::to_string(per_image.size()) +
                                     " dicts for a batch of " + std::to_string(b.size()));
        std::vector<std::vector<pixlime::detection>> found;
        for (std::size_t i = 0; i < per_image.size(); ++i) {
            const c10::IValue item = per_image.get(i);
            if (!item.isGenericDict())
                throw std::runtime_error("--detections torchvision: image " + std::to_string(i) + "'s output is " + item.tagKind() +
                                         ": expected a dict of boxes, labels and scores");
            const c10::Dict<c10::IValue, c10::IValue> d = item.toGenericDict();
            const auto field = [&](const char* key) {
                if (!d.contains(key))
                    throw std::runtime_error("--detections torchvision: image " + std::to_string(i) + "'s dict has no '" + key +
                                             "': expected boxes, labels and scores");
                return d.at(key).toTensor().to(torch::kFloat64).contiguous();
            };
            const at::Tensor boxes = field("boxes"), labels = field("labels"), scores = field("scores");
            if (boxes.dim() != 2 || (boxes.size(0) > 0 && boxes.size(1) != 4) || labels.dim() != 1 || scores.dim() != 1)
                throw std::runtime_error("--detections torchvision: image " + std::to_string(i) + "'s boxes " + shape_of(boxes) +
                                         ", labels " + shape_of(labels) + ", scores " + shape_of(scores) +
                                         ": expected K x 4, K and K");
            const Eigen::Index k = Eigen::Index(boxes.size(0));
            const Eigen::MatrixXd box_rows =
                Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(boxes.data_ptr<double>(), k, k > 0 ? 4 : 0);
            std::vector<int> label_ids(std::size_t(labels.size(0)));
            for (std::size_t j = 0; j < label_ids.size(); ++j) label_ids[j] = int(labels.data_ptr<double>()[j]);
            const Eigen::VectorXd score_values = Eigen::Map<const Eigen::VectorXd>(scores.data_ptr<double>(), Eigen::Index(scores.size(0)));
            try {
                found.push_back(pixlime::detections_from_torchvision(k > 0 ? box_rows : Eigen::MatrixXd(0, 4), label_ids, score_values, min_score));
            } catch (const pixlime::invalid_argument& e) {
                throw std::runtime_error("--detections torchvision: image " + std::to_string(i) + ": " + e.what());
            }
        }
        return found;
    }
    std::string name() const override { return "torch"; }

private:
    /// The module's output for the batch: a N x C x H x W (or N x H x W x C) tensor over pixlime's
    /// batch memory (no copy) goes in, or a list of C x H x W images when forward takes a list.
    c10::IValue run(pixlime::batch_view<const float> b) {
        const bool nchw = b.layout() == pixlime::layout::nchw;
        const std::vector<int64_t> shape = nchw ? std::vector<int64_t>{b.size(), b.channels(), b.height(), b.width()}
                                                : std::vector<int64_t>{b.size(), b.height(), b.width(), b.channels()};
        const at::Tensor x = torch::from_blob(const_cast<float*>(b.data()), shape, torch::kFloat32);
        if (!list_input_) return module_.forward({x});
        c10::List<at::Tensor> images;
        for (int64_t i = 0; i < b.size(); ++i) images.push_back(nchw ? x[i] : x[i].permute({2, 0, 1}));
        return module_.forward({images});
    }
    static at::Tensor tensor_of(const c10::IValue& v) {
        if (!v.isTensor())
            throw std::runtime_error("the model's output is " + v.tagKind() + ": expected one tensor (a detector's list of dicts: "
                                     "--task detection --detections torchvision)");
        return v.toTensor().to(torch::kFloat32).contiguous();
    }
    torch::jit::script::Module module_;
    bool list_input_ = false;
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
