// Faithfulness of the explanations on a real trained model: over 60 Fashion-MNIST validation
// images, RISE's deletion and insertion curves (pixlime::deletion_curve, insertion_curve) of
// each image's explanation (for its predicted class) must beat those of random orders of the
// same segments: a lower deletion AUC, a higher insertion AUC, on most images.
//
// The model is a small MLP trained here on real Fashion-MNIST training images (Debian's
// dataset-fashion-mnist); the segmentation and hiding are the workflow's own settings.
// Without the dataset the test exits 77, which ctest reports as skipped. In builds without
// optimization or with a sanitizer the training set and sample counts shrink (not the
// number of images explained).
#define DOCTEST_CONFIG_IMPLEMENT
#include "dataset.hpp"
#include "model.hpp"
#include "faithfulness.hpp"
#include "transactions.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define WF_SANITIZED 1
#endif
#endif
#if !defined(WF_SANITIZED) && defined(__OPTIMIZE__)
constexpr bool small_mode = false;
#else
constexpr bool small_mode = true;
#endif

namespace {

std::string dataset_dir() {
    const char* env = std::getenv("PIXLIME_FASHION_MNIST_DIR");
    return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

Eigen::MatrixXf to_matrix(const wf::idx_images& imgs) {
    Eigen::MatrixXf x(imgs.rows * imgs.cols, imgs.count);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = imgs.pixels[std::size_t(i)] / 255.0f;
    return x;
}

}  // namespace

TEST_CASE("the explanations' deletion and insertion curves beat random orders of the same segments") {
    const std::string dir = dataset_dir();
    const int n_train = small_mode ? 4000 : 12000, epochs = small_mode ? 4 : 3, n_images = 60;
    const wf::idx_images tr = wf::read_idx_images(dir + "/train-images-idx3-ubyte.gz", n_train);
    const std::vector<std::uint8_t> tl = wf::read_idx_labels(dir + "/train-labels-idx1-ubyte.gz", n_train);
    const wf::idx_images va = wf::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz", 2000);
    const std::vector<std::uint8_t> vl = wf::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz", 2000);
    const Eigen::MatrixXf x = to_matrix(tr), xv = to_matrix(va);
    const std::vector<int> y(tl.begin(), tl.end()), yv(vl.begin(), vl.end());

    wf::mlp model = wf::make_mlp({28, 28, 1}, {64}, 10, wf::output_kind::softmax, wf::fashion_mnist_classes(), 11);
    wf::train_options o;
    o.epochs = epochs;
    const auto history = wf::train(model, x, y, xv, yv, o);
    const double acc = history.back().validation_accuracy;
    MESSAGE("model: 784-64-10 MLP trained on " << n_train << " images, " << epochs << " epochs: validation accuracy "
                                               << acc * 100 << "% on 2000 images");
    REQUIRE(acc > 0.70);  // a real model (chance is 10%)

    const wf::deployed_model m = wf::deploy(model);
    wf::explain_settings es;  // the workflow's defaults: SLIC ~50, background merged, hidden = black
    es.num_samples = small_mode ? 300 : 1000;
    std::vector<pixlime::image<float>> images;
    for (int i = 0; i < n_images; ++i) {
        pixlime::image<float> img(28, 28, 1);
        for (int p = 0; p < 28 * 28; ++p) img.data()[p] = xv(p, i);
        images.push_back(std::move(img));
    }
    const wf::faithfulness_result r = wf::faithfulness(m, images, es, 20);
    REQUIRE(r.images == n_images);
    MESSAGE("faithfulness over " << r.images << " validation images: deletion AUC " << r.deletion_auc << " vs "
                                 << r.deletion_random_auc << " for random orders (lower on " << r.deletion_beats_random << "/"
                                 << r.images << "), insertion AUC " << r.insertion_auc << " vs " << r.insertion_random_auc
                                 << " (higher on " << r.insertion_beats_random << "/" << r.images << ")");
    std::printf("FAITHFULNESS deletion_auc=%.4f deletion_random_auc=%.4f deletion_beats=%d insertion_auc=%.4f "
                "insertion_random_auc=%.4f insertion_beats=%d images=%d samples=%d\n",
                r.deletion_auc, r.deletion_random_auc, r.deletion_beats_random, r.insertion_auc, r.insertion_random_auc,
                r.insertion_beats_random, r.images, es.num_samples);
    CHECK(r.deletion_auc < 0.5 * r.deletion_random_auc);
    CHECK(r.deletion_beats_random >= r.images * 9 / 10);
    CHECK(r.insertion_auc > r.insertion_random_auc + 0.05);
    CHECK(r.insertion_beats_random >= r.images * 3 / 4);
}

int main(int argc, char** argv) {
    const std::string dir = dataset_dir();
    if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) {
        std::printf("SKIPPED: Fashion-MNIST not found in %s (Debian: apt-get install dataset-fashion-mnist, or set "
                    "PIXLIME_FASHION_MNIST_DIR)\n", dir.c_str());
        return 77;
    }
    if (small_mode) std::printf("small mode (unoptimized or sanitizer build): fewer training images and samples\n");
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
