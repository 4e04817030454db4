// OpenCV DNN runs make_models.py's ONNX export with the batch sizes pixlime uses and gives torch's
// outputs:  onnx_matches_torch MODEL.onnx reference_input.f32 reference.txt SIZE
// Batches of 1, 3, 2 and 3 images of the reference input (a model whose graph fixes the batch
// size fails at the second call, docs/backends.md); each output row equal to reference.txt (torch)
// within 1e-5. Exit 77 when the model is missing (make_models.py was skipped).
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
    if (argc != 5) return std::fprintf(stderr, "usage: onnx_matches_torch MODEL.onnx INPUT.f32 REFERENCE.txt SIZE\n"), 2;
    if (!std::ifstream(argv[1])) return std::printf("no model %s (make_models.py was skipped): skipped\n", argv[1]), 77;
    const int size = std::stoi(argv[4]);
    std::vector<std::vector<float>> reference;
    std::ifstream ref(argv[3]);
    for (std::string line; std::getline(ref, line);) {
        std::istringstream in(line);
        reference.emplace_back();
        for (float v; in >> v;) reference.back().push_back(v);
    }
    const int images = int(reference.size());
    std::vector<float> input(std::size_t(images) * 3 * std::size_t(size) * std::size_t(size));
    std::ifstream raw(argv[2], std::ios::binary);
    raw.read(reinterpret_cast<char*>(input.data()), std::streamsize(input.size() * sizeof(float)));
    if (images < 3 || !raw) return std::fprintf(stderr, "FAIL: cannot read 3 reference images and outputs\n"), 1;

    cv::dnn::Net net = cv::dnn::readNet(argv[1]);
    double worst = 0;
    for (int n : {1, 3, 2, 3}) {
        const int shape[4] = {n, 3, size, size};
        net.setInput(cv::Mat(4, shape, CV_32F, input.data()));
        const cv::Mat p = net.forward();
        if (p.dims != 2 || p.size[0] != n || p.size[1] != int(reference[0].size()))
            return std::fprintf(stderr, "FAIL: batch of %d: output is not %d x %zu\n", n, n, reference[0].size()), 1;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < p.size[1]; ++j) worst = std::max(worst, std::abs(double(p.ptr<float>(i)[j]) - reference[std::size_t(i)][std::size_t(j)]));
    }
    std::printf("batches of 1, 3, 2, 3: largest difference from torch %.3g\n", worst);
    if (worst > 1e-5) return std::fprintf(stderr, "FAIL: OpenCV's outputs differ from torch's by more than 1e-5\n"), 1;
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "FAIL: %s\n", e.what());
    return 1;
}
