// A real model through OpenCV DNN:  opencv_dnn MODEL.onnx IMAGE [LABELS.txt]
// Prints the top label and its five strongest segments; writes positive.png and negative.png.
#include <pixlime/pixlime.hpp>

#include <opencv2/dnn.hpp>

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
    if (argc < 3) return std::fprintf(stderr, "usage: opencv_dnn MODEL.onnx IMAGE [LABELS.txt]\n"), 2;
    cv::dnn::Net net = cv::dnn::readNet(argv[1]);
    const auto img = pixlime::load_image(argv[2], 3);
    std::vector<std::string> names;
    std::ifstream labels(argc > 3 ? argv[3] : "");
    for (std::string line; std::getline(labels, line);) names.push_back(line);

    auto classify = [&](pixlime::batch_view<const float> b) {  // the batch is the input blob, no copy
        const int shape[4] = {b.size(), b.channels(), b.height(), b.width()};
        net.setInput(cv::Mat(4, shape, CV_32F, const_cast<float*>(b.data())));  // NCHW, as the model wants
        cv::Mat p = net.forward();                                                  // N x classes, CV_32F
        return Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(p.ptr<float>(), p.size[0], p.size[1]).eval();
    };
    pixlime::explain_options opt;
    opt.model_input.to_float = true;                  // batch_view<const float>
    opt.model_input.layout = pixlime::layout::nchw;   // one plane per channel
    opt.model_input.scale = 1.0 / 255;                // (pixel / 255 - mean[c]) / stddev[c]
    opt.model_input.mean = {0.485, 0.456, 0.406};
    opt.model_input.stddev = {0.229, 0.224, 0.225};
    opt.batch_size = 64;                              // 1000 samples: 15 batches of 64, then one of 40
    opt.seed = 7;
    const auto ex = pixlime::explain(img, classify, opt);

    const int label = ex.top_labels()[0];
    const std::string name = std::size_t(label) < names.size() ? names[std::size_t(label)] : std::to_string(label);
    std::printf("top label: %s (p = %.6f)\ntop segments:", name.c_str(), ex.model_prediction(label));
    for (int i = 0; i < 5; ++i) std::printf(" %d %.9g", ex.ranked(label)[std::size_t(i)].first, ex.ranked(label)[std::size_t(i)].second);
    std::printf("\n");
    pixlime::save_png("positive.png", pixlime::render_positive(img, ex, label));
    pixlime::save_png("negative.png", pixlime::render_negative(img, ex, label));
    std::printf("wrote positive.png negative.png\n");
} catch (const std::exception& e) {
    std::fprintf(stderr, "opencv_dnn: %s\n", e.what());
    return 1;
}
