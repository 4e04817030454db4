#include <pixlime_app/backend.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pixlime::app {

std::string backend_for(const std::string& model_path) {
    std::string ext = std::filesystem::path(model_path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".pt" || ext == ".pth" || ext == ".ts" || ext == ".torchscript") return "torch";
    if (ext == ".onnx") return "onnx";
    if (ext == ".pxm") return "pxm";
    return "";
}

const std::vector<std::string>& detection_layouts() {
    static const std::vector<std::string> layouts = {"yolo", "torchvision"};
    return layouts;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string s;
    for (std::int64_t d : shape) s += (s.empty() ? "" : "x") + std::to_string(d);
    return s.empty() ? "()" : s;
}

std::vector<std::vector<pixlime::detection>> model_backend::detect(pixlime::batch_view<const float> batch, const std::string& layout,
                                                                   double min_score) {
    if (layout == "torchvision")
        throw std::runtime_error("--detections torchvision: the " + name() + " backend's output is one tensor; torchvision's boxes, "
                                 "labels and scores need a TorchScript model (or use --detections yolo for N x rows x "
                                 "(5 + classes) output)");
    if (layout != "yolo") throw std::runtime_error("--detections '" + layout + "': expected yolo or torchvision");
    const output_tensor y = forward(batch);
    if (y.shape.size() != 3 || y.shape[0] != batch.size() || y.shape[2] < 6)
        throw std::runtime_error("--detections yolo: the model's output has shape " + shape_text(y.shape) + ": expected " +
                                 std::to_string(batch.size()) + " x rows x (5 + classes) (x_center, y_center, w, h, objectness, "
                                 "class scores...) for a batch of " + std::to_string(batch.size()));
    const Eigen::Index rows = Eigen::Index(y.shape[1]), cols = Eigen::Index(y.shape[2]);
    std::vector<std::vector<pixlime::detection>> out;
    for (int i = 0; i < batch.size(); ++i) {
        const Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>> m(y.values.data() + std::size_t(i) * std::size_t(rows * cols), rows, cols);
        out.push_back(pixlime::detections_from_yolo(m.cast<double>(), min_score));
    }
    return out;
}

std::vector<std::string> built_backends() {
    std::vector<std::string> b;
#ifdef PIXLIME_APP_WITH_TORCH
    b.push_back("torch");
#endif
#ifdef PIXLIME_APP_WITH_OPENCV
    b.push_back("onnx");
#endif
    b.push_back("pxm");
    return b;
}

#ifdef PIXLIME_APP_WITH_TORCH
namespace {
// libtorch allocates every layer's activations afresh (megabytes a batch) and frees them after it.
// glibc serves blocks that size with mmap and gives them back to the kernel, so each batch faulted
// its memory in again: up to half the CPU time was the kernel's, and `pixlime explain` of a small
// CNN took several times as long (benchmarks/RESULTS.md, "pixlime explain against lime_image").
// Freed memory is kept for reuse instead: the process keeps its peak, as a model server does.
void keep_freed_memory() {
#if defined(__GLIBC__)
    static const bool once = [] {
        mallopt(M_MMAP_THRESHOLD, 1 << 30);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        return true;
    }();
    (void)once;
#endif
}
}  // namespace
#endif

std::unique_ptr<model_backend> open_model(const std::string& model_path, const std::string& backend, int threads) {
    const std::string b = backend == "auto" ? backend_for(model_path) : backend;
    if (b.empty())
        throw std::runtime_error("--model '" + model_path +
                                 "': expected a TorchScript file (.pt, .pth, .ts, .torchscript), an ONNX file (.onnx) "
                                 "or a pixlime MLP file (.pxm); or name the backend with --backend torch|onnx|pxm");
    if (!std::filesystem::is_regular_file(model_path)) throw std::runtime_error("--model '" + model_path + "': no such file");
    if (b == "torch") {
#ifdef PIXLIME_APP_WITH_TORCH
        keep_freed_memory();
        return open_torch(model_path, threads);
#else
        throw std::runtime_error("--model '" + model_path + "' needs the TorchScript backend, which this pixlime was built "
                                 "without (build it with libtorch: Debian libtorch-dev)");
#endif
    }
    if (b == "onnx") {
#ifdef PIXLIME_APP_WITH_OPENCV
        return open_onnx(model_path, threads);
#else
        throw std::runtime_error("--model '" + model_path + "' needs the ONNX backend (OpenCV DNN), which this pixlime was "
                                 "built without (build it with OpenCV DNN: Debian libopencv-dnn-dev)");
#endif
    }
    if (b == "pxm") return open_pxm(model_path);
    throw std::runtime_error("--backend '" + backend + "': expected auto, torch, onnx or pxm");
}

}  // namespace pixlime::app
