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
