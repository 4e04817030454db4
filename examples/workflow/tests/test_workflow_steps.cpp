// The workflow's steps on tiny data made here: the folder layout produced from IDX files,
// standardization, the model file round trip, the transaction log, failure isolation and
// reruns that skip done work.
#include "dataset.hpp"
#include "model.hpp"
#include "report.hpp"
#include "steps.hpp"
#include "transactions.hpp"

#include <pixlime/io.hpp>

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    explicit temp_dir(const std::string& name) {
        path = fs::temp_directory_path() / ("pixlime_wf_" + name + "_" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
};

void be32(std::vector<std::uint8_t>& v, std::uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(std::uint8_t(x >> s));
}

void write_gz(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    gzFile f = gzopen(p.string().c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
    gzclose(f);
}

std::uint8_t pixel_of(int i, int p) { return std::uint8_t((i * 7 + p * 3) % 256); }

/// Writes Fashion-MNIST-shaped IDX files (gzipped) with n_train / n_test images of 28x28.
void write_fake_fashion(const fs::path& dir, int n_train, int n_test) {
    fs::create_directories(dir);
    for (auto [stem, n] : {std::pair<std::string, int>{"train", n_train}, {"t10k", n_test}}) {
        std::vector<std::uint8_t> img, lab;
        be32(img, 0x803);
        be32(img, std::uint32_t(n));
        be32(img, 28);
        be32(img, 28);
        be32(lab, 0x801);
        be32(lab, std::uint32_t(n));
        for (int i = 0; i < n; ++i) {
            for (int p = 0; p < 28 * 28; ++p) img.push_back(pixel_of(i, p));
            lab.push_back(std::uint8_t(i % 10));
        }
        write_gz(dir / (stem + "-images-idx3-ubyte.gz"), img);
        write_gz(dir / (stem + "-labels-idx1-ubyte.gz"), lab);
    }
}

/// A 28x28 gray image of class k (0..2): a bright horizontal band at a class-specific height,
/// plus noise. Easy for a small MLP to learn, impossible without training.
pixlime::image<std::uint8_t> band_image(int k, std::mt19937& rng) {
    std::uniform_int_distribution<int> noise(0, 60), shift(-2, 2);
    pixlime::image<std::uint8_t> img(28, 28, 1);
    const int top = 4 + 8 * k + shift(rng);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) img.at(x, y) = std::uint8_t(noise(rng) + ((y >= top && y < top + 4) ? 180 : 0));
    return img;
}

const std::vector<std::string> band_classes = {"high", "middle", "low"};
std::vector<std::string> band_classes_sorted() { return {"high", "low", "middle"}; }

/// Writes <dir>/<class>/img-N.png for the three band classes.
void write_band_folder(const fs::path& dir, int per_class, unsigned seed) {
    std::mt19937 rng(seed);
    for (int k = 0; k < 3; ++k) {
        fs::create_directories(dir / band_classes[std::size_t(k)]);
        for (int i = 0; i < per_class; ++i)
            pixlime::save_png((dir / band_classes[std::size_t(k)] / ("img-" + std::to_string(i) + ".png")).string(),
                              band_image(k, rng));
    }
}

/// A small MLP trained on the band task (real training; >= 95% on held-out images).
wf::mlp trained_band_model(const fs::path& train_dir, double* val_acc = nullptr) {
    const wf::input_shape shape;
    wf::folder_dataset d = wf::scan_folder(train_dir.string());
    std::vector<float> px = wf::load_all(d, shape);
    std::vector<int> y;
    for (const auto& f : d.files) y.push_back(f.label);
    Eigen::Map<const Eigen::MatrixXf> x(px.data(), shape.size(), Eigen::Index(y.size()));
    wf::mlp m = wf::make_mlp(shape, {16}, 3, wf::output_kind::softmax, d.classes, 3);
    wf::train_options o;
    o.epochs = 15;
    o.batch_size = 16;
    o.lr_decay = 1.0f;
    const auto h = wf::train(m, x, y, x, y, o);
    if (val_acc) *val_acc = h.back().validation_accuracy;
    return m;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Every file and folder under `dir`: relative path -> bytes ("<dir>" for a folder).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> m;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        m[fs::relative(e.path(), dir).string()] = e.is_directory() ? std::string("<dir>") : slurp(e.path());
    return m;
}

/// A user's data folder: the band task in train/ and validation/, plus files that are not
/// images (a note at the top, one inside a class folder).
void write_user_folder(const fs::path& dir) {
    write_band_folder(dir / "train", 20, 1);
    write_band_folder(dir / "validation", 3, 2);
    std::ofstream(dir / "README.txt") << "my own images, do not touch\n";
    std::ofstream(dir / "train" / "high" / "notes.txt") << "not an image\n";
}

/// A small run of every step: tiny network, few samples, no binary task.
wf::workflow_config small_config(const fs::path& work) {
    wf::workflow_config c;
    c.work = work.string();
    c.train.hidden = {16};
    c.train.epochs = 2;
    c.train.batch_size = 16;
    c.skip_binary = true;
    c.explain_count = 2;
    c.faithfulness_images = 3;
    c.explain.num_samples = 100;
    return c;
}


/// The lines of a file, each with its newline.
std::vector<std::string> lines_of(const fs::path& p) {
    std::vector<std::string> v;
    const std::string text = slurp(p);
    for (std::size_t a = 0; a < text.size();) {
        std::size_t b = text.find('\n', a);
        b = b == std::string::npos ? text.size() : b + 1;
        v.push_back(text.substr(a, b - a));
        a = b;
    }
    return v;
}

/// Two logs hold the same transactions: ids, inputs, labels, outcomes (not times).
void check_same_transactions(const fs::path& a, const fs::path& b) {
    const auto x = wf::read_log(a.string()), y = wf::read_log(b.string());
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        CAPTURE(i);
        CHECK(x[i].id == y[i].id);
        CHECK(x[i].input == y[i].input);
        CHECK(x[i].true_label == y[i].true_label);
        CHECK(x[i].model == y[i].model);
        CHECK(x[i].error == y[i].error);
        CHECK(x[i].predicted == y[i].predicted);
        CHECK(x[i].probabilities == y[i].probabilities);
    }
}

/// A band model, its validation inputs (12, one of them a missing file at index 2) and a
/// reference log scored in one uninterrupted run.
struct scoring_fixture {
    temp_dir t{"resume"};
    wf::deployed_model model;
    std::vector<wf::score_input> inputs;
    fs::path reference;
    int calls = 0;  ///< classifier calls through `counted`
    wf::deployed_model counted;
    scoring_fixture() {
        write_band_folder(t.path / "train", 40, 1);
        write_band_folder(t.path / "validation", 4, 2);
        model = wf::deploy(trained_band_model(t.path / "train"));
        inputs = wf::score_inputs(wf::scan_folder((t.path / "validation").string(), model.classes));
        inputs.insert(inputs.begin() + 2, {(t.path / "missing.png").string(), "low"});
        inputs.pop_back();
        REQUIRE(inputs.size() == 12);
        reference = t.path / "reference.jsonl";
        wf::score(inputs, model, reference.string());
        counted = model;
        counted.classify = [this, inner = model.classify](pixlime::batch_view<const float> b) {
            ++calls;
            return inner(b);
        };
    }
};
}  // namespace

TEST_CASE("all --data uses the user's folders as they are: not a byte in them changes") {
    temp_dir t("user_data");
    const fs::path data = t.path / "mine";
    write_user_folder(data);
    write_fake_fashion(t.path / "idx", 20, 10);  // what prepare would lay out
    const auto before = snapshot(data);
    REQUIRE(before.size() == 2 + 2 * 3 + 3 * 20 + 3 * 3 + 2);  // train, validation, 6 class folders, images, notes

    wf::workflow_config c = small_config(t.path / "work");
    c.data = data.string();
    c.prepare.idx_dir = (t.path / "idx").string();
    CHECK(wf::run_all(c) == 0);
    CHECK(snapshot(data) == before);
    // The model learned the user's classes, scored the user's images, and nothing was laid out.
    CHECK(wf::mlp::load(c.model_path(false)).classes == band_classes_sorted());
    const auto log = wf::read_log(c.log_path(false));
    REQUIRE(log.size() == 9);
    CHECK(log[0].input.rfind(data.string(), 0) == 0);
    CHECK_FALSE(fs::exists(t.path / "work" / "data"));

    // A second run (everything done) leaves the folder as it is too, and the log as it was.
    const std::string log_bytes = slurp(c.log_path(false));
    CHECK(wf::run_all(c) == 0);
    CHECK(snapshot(data) == before);
    CHECK(slurp(c.log_path(false)) == log_bytes);

    // --retrain: a new model, scored into a new log; the old log is kept under a dated name.
    c.retrain = true;
    CHECK(wf::run_all(c) == 0);
    CHECK(snapshot(data) == before);
    int kept = 0;
    for (const auto& e : fs::directory_iterator(t.path / "work")) {
        const std::string n = e.path().filename().string();
        if (n != "transactions.jsonl" && n.rfind("transactions.", 0) == 0) kept += slurp(e.path()) == log_bytes;
    }
    CHECK(kept == 1);
    const auto relog = wf::read_log(c.log_path(false));
    REQUIRE(relog.size() == 9);
    CHECK(relog[0].model == wf::mlp::load(c.model_path(false)).id());
    CHECK(relog[0].model != log[0].model);
}

TEST_CASE("prepare never writes into a folder named by --data, nor removes folders it did not create") {
    temp_dir t("prepare_guard");
    write_fake_fashion(t.path / "idx", 20, 10);
    const fs::path data = t.path / "mine";
    write_user_folder(data);
    const auto before = snapshot(data);
    wf::workflow_config c = small_config(t.path / "work");
    c.prepare.idx_dir = (t.path / "idx").string();

    // prepare --data DIR is refused: prepare writes only under <work>/data.
    c.data = data.string();
    CHECK_THROWS_WITH_AS(wf::run_prepare(c), doctest::Contains("--data"), std::runtime_error);
    CHECK(snapshot(data) == before);
    CHECK_FALSE(fs::exists(t.path / "work" / "data" / "train"));

    // <work>/data/{train,validation} that prepare did not lay out (no stamp) are not removed.
    c.data.clear();
    const fs::path wdata = t.path / "work" / "data";
    write_user_folder(wdata);
    const auto wbefore = snapshot(wdata);
    CHECK_THROWS_WITH_AS(wf::run_prepare(c), doctest::Contains("not laid out by"), std::runtime_error);
    CHECK(snapshot(wdata) == wbefore);

    // Laid out by prepare, then a file of the user's added: a changed request refuses to remove it.
    fs::remove_all(wdata);
    CHECK(wf::run_prepare(c) == 0);
    CHECK(wf::scan_folder((wdata / "validation").string()).files.size() == 10);
    std::ofstream(wdata / "validation" / "bag" / "my-own.png") << "mine";
    c.prepare.validation_limit = 5;
    CHECK_THROWS_WITH_AS(wf::run_prepare(c), doctest::Contains("my-own.png"), std::runtime_error);
    CHECK(slurp(wdata / "validation" / "bag" / "my-own.png") == "mine");
    CHECK(wf::scan_folder((wdata / "validation").string()).files.size() == 11);
    // Without it, the changed request replaces the layout prepare made.
    fs::remove(wdata / "validation" / "bag" / "my-own.png");
    CHECK(wf::run_prepare(c) == 0);
    CHECK(wf::scan_folder((wdata / "validation").string()).files.size() == 5);
    // Files next to the layout in <work>/data are kept.
    std::ofstream(wdata / "keep.txt") << "keep";
    c.prepare.validation_limit = 7;
    CHECK(wf::run_prepare(c) == 0);
    CHECK(slurp(wdata / "keep.txt") == "keep");
}

TEST_CASE("outputs never go into the data folder: a work folder inside it (or it inside an output) is refused") {
    temp_dir t("overlap");
    const fs::path data = t.path / "mine";
    write_user_folder(data);
    const auto before = snapshot(data);
    for (const fs::path& work : {data, data / "out", data / "train"}) {
        wf::workflow_config c = small_config(work);
        c.data = data.string();
        CAPTURE(work.string());
        CHECK_THROWS_WITH_AS(wf::run_all(c), doctest::Contains("data folder"), std::runtime_error);
        CHECK_THROWS_WITH_AS(wf::run_score(c, false), doctest::Contains("data folder"), std::runtime_error);
    }
    // Data inside an output folder of the work folder (here its report) is refused too.
    wf::workflow_config c = small_config(t.path);
    c.data = (t.path / "report").string();
    fs::create_directories(t.path / "report" / "train" / "a");
    CHECK_THROWS_WITH_AS(wf::run_all(c), doctest::Contains("data folder"), std::runtime_error);
    CHECK(snapshot(data) == before);
}

TEST_CASE("the report replaces the images it copied earlier, and nothing else") {
    temp_dir t("report_img");
    const fs::path img = t.path / "report" / "img";
    fs::create_directories(img / "multiclass");
    std::ofstream(img / "multiclass" / "tx-000001-input.png") << "an earlier report's copy";
    CHECK(wf::write_report((t.path / "report").string(), {}).cards == 0);
    CHECK_FALSE(fs::exists(img / "multiclass" / "tx-000001-input.png"));
    CHECK(fs::exists(t.path / "report" / "index.html"));
    // A file the report did not write: refused, left as it is.
    fs::create_directories(img / "holiday");
    std::ofstream(img / "holiday" / "beach.jpg") << "mine";
    CHECK_THROWS_WITH_AS(wf::write_report((t.path / "report").string(), {}), doctest::Contains("beach.jpg"), std::runtime_error);
    CHECK(slurp(img / "holiday" / "beach.jpg") == "mine");
}

TEST_CASE("prepare lays Fashion-MNIST out as data/{train,validation}/<class>/*.png with readable names") {
    temp_dir t("layout");
    write_fake_fashion(t.path / "idx", 23, 12);
    wf::prepare_options o;
    o.idx_dir = (t.path / "idx").string();
    o.data_dir = (t.path / "data").string();
    const wf::prepare_result r = wf::prepare_fashion_mnist(o);
    CHECK_FALSE(r.skipped);
    CHECK(r.train == 23);
    CHECK(r.validation == 12);

    // One folder per class, named, each holding the images of that label.
    const auto& names = wf::fashion_mnist_classes();
    REQUIRE(names.size() == 10);
    CHECK(names[0] == "t-shirt_top");
    CHECK(names[9] == "ankle_boot");
    for (const char* split : {"train", "validation"}) {
        const wf::folder_dataset d = wf::scan_folder((t.path / "data" / split).string());
        std::vector<std::string> sorted = names;
        std::sort(sorted.begin(), sorted.end());
        CHECK(d.classes == sorted);
        CHECK(d.files.size() == (std::string(split) == "train" ? 23u : 12u));
    }
    // Image 13 of the training file has label 3 (dress); its pixels are the IDX bytes.
    const fs::path f = t.path / "data" / "train" / "dress" / "train-00013.png";
    REQUIRE(fs::exists(f));
    const auto img = pixlime::load_image(f.string());
    REQUIRE(img.width() == 28);
    REQUIRE(img.height() == 28);
    REQUIRE(img.channels() == 1);
    for (int p = 0; p < 28 * 28; ++p) REQUIRE(img.data()[p] == pixel_of(13, p));
    CHECK(fs::exists(t.path / "data" / "validation" / "t-shirt_top" / "validation-00010.png"));

    // A rerun with the same request is skipped; a different one rewrites the layout.
    CHECK(wf::prepare_fashion_mnist(o).skipped);
    o.validation_limit = 5;
    const wf::prepare_result r2 = wf::prepare_fashion_mnist(o);
    CHECK_FALSE(r2.skipped);
    CHECK(wf::scan_folder((t.path / "data" / "validation").string()).files.size() == 5);

    // Plain (not gzipped) IDX files are read too; a missing one is a clear error.
    CHECK_THROWS_WITH_AS(wf::read_idx_images((t.path / "idx" / "nope").string()), doctest::Contains("cannot open"),
                         std::runtime_error);
    const auto labels = wf::read_idx_labels((t.path / "idx" / "t10k-labels-idx1-ubyte.gz").string(), 4);
    CHECK(labels == std::vector<std::uint8_t>{0, 1, 2, 3});
    CHECK_THROWS_WITH_AS(wf::read_idx_images((t.path / "idx" / "t10k-labels-idx1-ubyte.gz").string()),
                         doctest::Contains("not an IDX3"), std::runtime_error);
}

TEST_CASE("standardize converts channels, resizes to the input size and rescales to [0, 1]") {
    pixlime::image<std::uint8_t> rgb(56, 40, 3);
    for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 56; ++x) {
            rgb.at(x, y, 0) = 255;
            rgb.at(x, y, 1) = 255;
            rgb.at(x, y, 2) = x < 28 ? 0 : 255;
        }
    const auto g = wf::standardize(rgb, {28, 28, 1});
    CHECK(g.width() == 28);
    CHECK(g.height() == 28);
    CHECK(g.channels() == 1);
    for (std::size_t i = 0; i < g.size(); ++i) {
        REQUIRE(g.data()[i] >= 0.0f);
        REQUIRE(g.data()[i] <= 1.0f);
    }
    CHECK(g.at(2, 14) == doctest::Approx(0.886).epsilon(0.01));  // yellow's luma
    CHECK(g.at(25, 14) == doctest::Approx(1.0).epsilon(0.01));

    pixlime::image<std::uint8_t> gray(28, 28, 1, 51);
    const auto c3 = wf::standardize(gray, {28, 28, 3});
    CHECK(c3.channels() == 3);
    CHECK(c3.at(5, 5, 2) == doctest::Approx(0.2));
}

TEST_CASE("standardize shrinks by area averaging: a 56 x 56 image becomes the means of its 2 x 2 blocks") {
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> v(0, 255);
    pixlime::image<std::uint8_t> big(56, 56, 1);
    for (std::size_t i = 0; i < big.size(); ++i) big.data()[i] = std::uint8_t(v(rng));
    const auto small = wf::standardize(big, {28, 28, 1});
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
            const double mean = (big.at(2 * x, 2 * y) + big.at(2 * x + 1, 2 * y) + big.at(2 * x, 2 * y + 1) +
                                 big.at(2 * x + 1, 2 * y + 1)) / (4 * 255.0);
            REQUIRE(small.at(x, y) == doctest::Approx(mean).epsilon(1e-6));
        }
}

TEST_CASE("resize: area means when shrinking, linear interpolation when enlarging, constants stay constant") {
    // 4 x 4 by half: the 2 x 2 block means, per channel.
    pixlime::image<float> a(4, 4, 3);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x)
            for (int c = 0; c < 3; ++c) a.at(x, y, c) = float(x + 10 * y + 100 * c) / 256.0f;
    const auto half = wf::resize(a, 2, 2);
    REQUIRE(half.width() == 2);
    REQUIRE(half.height() == 2);
    REQUIRE(half.channels() == 3);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x)
            for (int c = 0; c < 3; ++c) {
                double m = 0;
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx) m += a.at(2 * x + dx, 2 * y + dy, c) / 4.0;
                CHECK(half.at(x, y, c) == doctest::Approx(m).epsilon(1e-6));
            }
    // 3 -> 2: each output covers one and a half inputs, the middle one split between them.
    pixlime::image<float> row(3, 1, 1);
    row.at(0, 0) = 0.3f;
    row.at(1, 0) = 0.9f;
    row.at(2, 0) = 0.6f;
    const auto r2 = wf::resize(row, 2, 1);
    CHECK(r2.at(0, 0) == doctest::Approx((0.3 + 0.5 * 0.9) / 1.5).epsilon(1e-6));
    CHECK(r2.at(1, 0) == doctest::Approx((0.5 * 0.9 + 0.6) / 1.5).epsilon(1e-6));
    // 2 -> 4: centres at -0.25, 0.25, 0.75, 1.25 of the input, clamped at the edges.
    pixlime::image<float> two(2, 1, 1);
    two.at(0, 0) = 0.0f;
    two.at(1, 0) = 1.0f;
    const auto four = wf::resize(two, 4, 1);
    CHECK(four.at(0, 0) == doctest::Approx(0.0));
    CHECK(four.at(1, 0) == doctest::Approx(0.25));
    CHECK(four.at(2, 0) == doctest::Approx(0.75));
    CHECK(four.at(3, 0) == doctest::Approx(1.0));

    // A constant image stays constant whatever the sizes (shrink, enlarge, one axis each way).
    const pixlime::image<float> flat(7, 5, 2, 0.37f);
    for (auto [w, h] : {std::pair<int, int>{3, 2}, {20, 11}, {13, 3}, {1, 1}, {7, 5}}) {
        const auto r = wf::resize(flat, w, h);
        REQUIRE(r.width() == w);
        REQUIRE(r.height() == h);
        for (std::size_t i = 0; i < r.size(); ++i) REQUIRE(r.data()[i] == doctest::Approx(0.37f).epsilon(1e-6));
    }

    // An enlarged gradient stays monotone along it, constant across it, within its range.
    pixlime::image<float> grad(5, 3, 1);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 5; ++x) grad.at(x, y) = float(x * x) / 16.0f;
    const auto up = wf::resize(grad, 23, 9);
    for (int y = 0; y < 9; ++y)
        for (int x = 0; x < 23; ++x) {
            REQUIRE(up.at(x, y) >= 0.0f);
            REQUIRE(up.at(x, y) <= 1.0f);
            if (x > 0) REQUIRE(up.at(x, y) >= up.at(x - 1, y));
            REQUIRE(up.at(x, y) == doctest::Approx(up.at(x, 0)).epsilon(1e-6));
        }
    CHECK(up.at(0, 0) == doctest::Approx(0.0));
    CHECK(up.at(22, 0) == doctest::Approx(1.0));
    CHECK(up.at(11, 0) > up.at(5, 0));

    CHECK_THROWS_AS(wf::resize(flat, 0, 3), pixlime::invalid_argument);
    CHECK_THROWS_AS(wf::resize(pixlime::image<float>(), 3, 3), pixlime::invalid_argument);
}

TEST_CASE("loading a folder for training: unreadable files throw, or are skipped and named") {
    temp_dir t("load");
    write_band_folder(t.path / "train", 3, 1);
    std::ofstream(t.path / "train" / "low" / "broken.png") << "nope";
    wf::folder_dataset d = wf::scan_folder((t.path / "train").string());
    REQUIRE(d.files.size() == 10);
    wf::folder_dataset copy = d;
    CHECK_THROWS_WITH_AS(wf::load_all(copy, {}), doctest::Contains("broken.png"), std::runtime_error);
    std::vector<std::string> skipped;
    const std::vector<float> px = wf::load_all(d, {}, {}, &skipped);
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].find("broken.png") != std::string::npos);
    REQUIRE(d.files.size() == 9);
    CHECK(px.size() == 9u * 784u);
    // The buffer follows the kept files: the last one's pixels are that file's.
    const auto last = wf::load_standardized(d.files.back().path, {});
    CHECK(std::equal(last.data(), last.data() + 784, px.end() - 784));
}

TEST_CASE("a trained model round-trips bit-exactly through its versioned file") {
    temp_dir t("model");
    write_band_folder(t.path / "train", 40, 1);
    double acc = 0;
    const wf::mlp m = trained_band_model(t.path / "train", &acc);
    CHECK(acc > 0.95);  // it really learned the task
    const fs::path file = t.path / "model" / "model.pxm";
    wf::mlp with_meta = m;
    with_meta.metadata = R"({"note":"test"})";
    with_meta.save(file.string());
    const wf::mlp back = wf::mlp::load(file.string());

    // Every weight, bias, name and the metadata are identical bit for bit.
    REQUIRE(back.layers.size() == with_meta.layers.size());
    for (std::size_t l = 0; l < back.layers.size(); ++l) {
        const auto& a = with_meta.layers[l];
        const auto& b = back.layers[l];
        REQUIRE(a.weights.rows() == b.weights.rows());
        REQUIRE(a.weights.cols() == b.weights.cols());
        CHECK(std::memcmp(a.weights.data(), b.weights.data(), sizeof(float) * std::size_t(a.weights.size())) == 0);
        CHECK(std::memcmp(a.bias.data(), b.bias.data(), sizeof(float) * std::size_t(a.bias.size())) == 0);
    }
    CHECK(back.classes == std::vector<std::string>{"high", "low", "middle"});  // sorted folder names
    CHECK(back.metadata == with_meta.metadata);
    CHECK(back.shape == with_meta.shape);
    CHECK(back == with_meta);
    CHECK(back.id() == with_meta.id());
    // Saving the loaded model writes the same bytes.
    back.save((t.path / "again.pxm").string());
    CHECK(slurp(file) == slurp(t.path / "again.pxm"));
    // ... and it predicts exactly the same.
    std::mt19937 rng(9);
    const auto img = wf::standardize(band_image(1, rng), back.shape);
    pixlime::batch_view<const float> batch(img.data(), 1, 28, 28, 1);
    const Eigen::MatrixXf p1 = with_meta(batch), p2 = back(batch);
    CHECK(std::memcmp(p1.data(), p2.data(), sizeof(float) * std::size_t(p1.size())) == 0);
    CHECK(p1.sum() == doctest::Approx(1.0));

    // The file format is checked: magic, version, checksum, truncation.
    std::string bytes = slurp(file);
    auto write = [&](const std::string& s) {
        std::ofstream(t.path / "bad.pxm", std::ios::binary | std::ios::trunc) << s;
        return (t.path / "bad.pxm").string();
    };
    std::string v2 = bytes;
    v2[8] = 2;  // format version 2
    CHECK_THROWS_WITH_AS(wf::mlp::load(write(v2)), doctest::Contains("format version 2 is not supported"), std::runtime_error);
    std::string flipped = bytes;
    flipped[bytes.size() / 2] = char(flipped[bytes.size() / 2] ^ 1);
    CHECK_THROWS_WITH_AS(wf::mlp::load(write(flipped)), doctest::Contains("checksum"), std::runtime_error);
    CHECK_THROWS_WITH_AS(wf::mlp::load(write(bytes.substr(0, 30))), doctest::Contains("checksum"), std::runtime_error);
    CHECK_THROWS_WITH_AS(wf::mlp::load(write("GIF89a" + bytes)), doctest::Contains("bad magic"), std::runtime_error);
    CHECK_THROWS_WITH_AS(wf::mlp::load((t.path / "missing.pxm").string()), doctest::Contains("cannot open"), std::runtime_error);
}

TEST_CASE("scoring writes a transaction log that parses back; failing transactions are isolated") {
    temp_dir t("score");
    write_band_folder(t.path / "train", 40, 1);
    write_band_folder(t.path / "validation", 4, 2);
    const wf::deployed_model m = wf::deploy(trained_band_model(t.path / "train"));

    const wf::folder_dataset val = wf::scan_folder((t.path / "validation").string(), m.classes);
    std::vector<wf::score_input> inputs = wf::score_inputs(val);
    REQUIRE(inputs.size() == 12);
    // A missing file and a corrupt one among the good ones.
    std::ofstream(t.path / "corrupt.png", std::ios::binary) << "\x89PNG\r\n\x1a\n this is not a png";
    inputs.insert(inputs.begin() + 3, {(t.path / "missing.png").string(), "middle"});
    inputs.insert(inputs.begin() + 7, {(t.path / "corrupt.png").string(), "low"});

    const fs::path log_path = t.path / "transactions.jsonl";
    const wf::score_summary s = wf::score(inputs, m, log_path.string());
    CHECK(s.total == 14);
    CHECK(s.failed == 2);
    CHECK(s.ok == 12);
    CHECK(s.accuracy() >= 0.9);

    const std::vector<wf::transaction> log = wf::read_log(log_path.string());
    REQUIRE(log.size() == 14);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const wf::transaction& tx = log[i];
        ids.insert(tx.id);
        CHECK(tx.input == inputs[i].path);
        CHECK(tx.true_label == inputs[i].true_label);
        CHECK(tx.model == m.id);
        CHECK(tx.time.size() == 24);  // 2024-05-01T12:34:56.789Z
        if (i == 3 || i == 7) {
            CHECK_FALSE(tx.ok());
            CHECK(tx.error.find(i == 3 ? "missing.png" : "corrupt") != std::string::npos);
            continue;
        }
        REQUIRE(tx.ok());
        REQUIRE(tx.probabilities.size() == 3);
        double sum = 0;
        for (std::size_t c = 0; c < 3; ++c) {
            CHECK(tx.probabilities[c].first == m.classes[c]);
            sum += tx.probabilities[c].second;
        }
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-4));
        CHECK(tx.predicted == m.classes[std::size_t(tx.predicted_index)]);
        CHECK(tx.probability(tx.predicted) >= tx.probabilities[0].second);
    }
    CHECK(ids.size() == 14);
    CHECK(log[0].id == "tx-000001");
    // The log's first line is a JSON object with the documented fields.
    std::ifstream in(log_path);
    std::string line;
    std::getline(in, line);
    const auto j = nlohmann::json::parse(line);
    for (const char* k : {"id", "input", "true_label", "probabilities", "predicted", "predicted_index", "model", "time", "latency_ms"})
        CHECK_MESSAGE(j.contains(k), k);
    // A malformed log names its line.
    std::ofstream(t.path / "bad.jsonl") << line << "\n{\"id\": 3}\n";
    CHECK_THROWS_WITH_AS(wf::read_log((t.path / "bad.jsonl").string()), doctest::Contains("line 2"), std::runtime_error);

    // A model that throws on some inputs fails those transactions only.
    wf::deployed_model flaky = m;
    int calls = 0;
    flaky.classify = [&, inner = m.classify](pixlime::batch_view<const float> b) -> Eigen::MatrixXf {
        if (++calls % 5 == 0) throw std::runtime_error("GPU on fire");
        return inner(b);
    };
    const wf::score_summary s2 = wf::score(inputs, flaky, (t.path / "flaky.jsonl").string());
    CHECK(s2.total == 14);
    int fire = 0;
    for (const auto& tx : wf::read_log((t.path / "flaky.jsonl").string()))
        fire += tx.error.find("model error: GPU on fire") != std::string::npos;
    CHECK(fire == 2);  // calls 5 and 10 of the 12 readable inputs
    CHECK(s2.failed == 4);
}

TEST_CASE("an interrupted score keeps what it scored, and a rerun continues where it stopped") {
    scoring_fixture f;
    const fs::path log = f.t.path / "transactions.jsonl";
    wf::score_options stop_at_5;
    stop_at_5.stop = [](int done) { return done >= 5; };
    const wf::score_summary s1 = wf::score(f.inputs, f.counted, log.string(), {}, stop_at_5);
    CHECK(s1.stopped);
    CHECK(s1.scored == 5);
    CHECK(f.calls == 4);  // input 2 is a missing file
    const auto first = lines_of(log);
    REQUIRE(first.size() == 5);
    CHECK(wf::read_log(log.string()).back().id == "tx-000005");

    f.calls = 0;
    int resumed_at_start = -1, calls_at_start = -1;
    wf::score_options watch;
    watch.started = [&](const wf::score_summary& r) {
        resumed_at_start = r.resumed;
        calls_at_start = f.calls;
    };
    const wf::score_summary s2 = wf::score(f.inputs, f.counted, log.string(), {}, watch);
    CHECK(resumed_at_start == 5);  // told before scoring went on
    CHECK(calls_at_start == 0);
    CHECK_FALSE(s2.stopped);
    CHECK(s2.resumed == 5);
    CHECK(s2.scored == 7);
    CHECK(f.calls == 7);  // only the inputs not yet scored
    CHECK(s2.total == 12);
    CHECK(s2.failed == 1);
    check_same_transactions(log, f.reference);
    const auto all = lines_of(log);
    REQUIRE(all.size() == 12);
    CHECK(std::equal(first.begin(), first.end(), all.begin()));  // the first five lines as they were

    // Everything scored: a rerun has nothing to do and leaves the file as it is.
    f.calls = 0;
    const std::string bytes = slurp(log);
    const wf::score_summary s3 = wf::score(f.inputs, f.counted, log.string());
    CHECK(s3.scored == 0);
    CHECK(s3.resumed == 12);
    CHECK(s3.total == 12);
    CHECK(s3.correct == s2.correct);
    CHECK(f.calls == 0);
    CHECK(slurp(log) == bytes);
}

TEST_CASE("a crash in the middle of score loses none of the transactions it finished") {
    scoring_fixture f;
    const fs::path log = f.t.path / "transactions.jsonl";
    struct crash {};
    wf::score_options crash_at_7;
    crash_at_7.stop = [](int done) -> bool {
        if (done == 7) throw crash{};  // like a kill: score does not get to return
        return false;
    };
    CHECK_THROWS_AS(wf::score(f.inputs, f.counted, log.string(), {}, crash_at_7), crash);
    REQUIRE(lines_of(log).size() == 7);
    f.calls = 0;
    const wf::score_summary s = wf::score(f.inputs, f.counted, log.string());
    CHECK(s.resumed == 7);
    CHECK(f.calls == 5);
    check_same_transactions(log, f.reference);
}

TEST_CASE("a torn last line is dropped (or completed when only its newline is missing), never duplicated") {
    scoring_fixture f;
    const fs::path log = f.t.path / "transactions.jsonl";
    const auto ref = lines_of(f.reference);
    REQUIRE(ref.size() == 12);
    auto write_log = [&](int complete, const std::string& tail) {
        std::ofstream out(log, std::ios::binary | std::ios::trunc);
        for (int i = 0; i < complete; ++i) out << ref[std::size_t(i)];
        out << tail;
    };
    // Cut in the middle of line 7: explain's reader leaves it out; score drops it and scores input 7 again.
    const std::string& l7 = ref[6];
    write_log(6, l7.substr(0, l7.size() / 2));
    CHECK(wf::read_log(log.string()).size() == 6);
    f.calls = 0;
    wf::score_summary s = wf::score(f.inputs, f.counted, log.string());
    CHECK(s.torn_bytes == int(l7.size() / 2));
    CHECK(s.resumed == 6);
    CHECK(f.calls == 6);
    check_same_transactions(log, f.reference);
    REQUIRE(lines_of(log).size() == 12);
    // Line 7 complete but for its newline: kept as it was, completed; input 7 not scored again.
    write_log(6, l7.substr(0, l7.size() - 1));
    f.calls = 0;
    s = wf::score(f.inputs, f.counted, log.string());
    CHECK(s.repaired);
    CHECK(s.torn_bytes == 0);
    CHECK(s.resumed == 7);
    CHECK(f.calls == 5);
    check_same_transactions(log, f.reference);
    CHECK(lines_of(log)[6] == l7);
    // A malformed line before the last one is not an interrupted write: refused, file untouched.
    write_log(3, "{\"id\": 3}\n" + ref[3]);
    const std::string bad = slurp(log);
    CHECK_THROWS_WITH_AS(wf::score(f.inputs, f.counted, log.string()), doctest::Contains("line 4"), std::runtime_error);
    CHECK(slurp(log) == bad);
}

TEST_CASE("a log belongs to one model and one list of inputs: another is refused unless a new log is asked for") {
    scoring_fixture f;
    const fs::path log = f.t.path / "transactions.jsonl";
    wf::score(f.inputs, f.model, log.string());
    const std::string bytes = slurp(log);

    wf::deployed_model other = f.model;
    other.id = "another-model";
    CHECK_THROWS_WITH_AS(wf::score(f.inputs, other, log.string()), doctest::Contains("--new-log"), std::runtime_error);
    CHECK(slurp(log) == bytes);
    std::vector<wf::score_input> fewer(f.inputs.begin() + 1, f.inputs.end());
    CHECK_THROWS_WITH_AS(wf::score(fewer, f.model, log.string()), doctest::Contains("other inputs"), std::runtime_error);
    CHECK(slurp(log) == bytes);

    wf::score_options fresh;
    fresh.new_log = true;
    const wf::score_summary s = wf::score(f.inputs, other, log.string(), {}, fresh);
    CHECK(s.resumed == 0);
    CHECK(s.scored == 12);
    REQUIRE_FALSE(s.rotated.empty());
    CHECK(fs::path(s.rotated).parent_path() == log.parent_path());
    CHECK(slurp(s.rotated) == bytes);  // the old log, kept under a dated name
    const auto now = wf::read_log(log.string());
    REQUIRE(now.size() == 12);
    CHECK(now[0].model == "another-model");
    CHECK(now[0].id == "tx-000001");
}

TEST_CASE("explaining transactions: panes and JSON per transaction, failures isolated, reruns skip done work") {
    temp_dir t("explain");
    write_band_folder(t.path / "train", 40, 1);
    write_band_folder(t.path / "validation", 3, 2);
    const wf::mlp trained = trained_band_model(t.path / "train");
    const wf::deployed_model m = wf::deploy(trained);
    std::vector<wf::score_input> inputs = wf::score_inputs(wf::scan_folder((t.path / "validation").string(), m.classes));
    const fs::path victim = inputs[4].path;
    const fs::path log_path = t.path / "transactions.jsonl";
    wf::score(inputs, m, log_path.string());
    std::vector<wf::transaction> log = wf::read_log(log_path.string());
    REQUIRE(log.size() == 9);

    // After scoring, one input goes missing and one is overwritten with garbage.
    fs::rename(inputs[1].path, t.path / "moved.png");
    std::ofstream(victim, std::ios::binary | std::ios::trunc) << "garbage";

    wf::explain_settings es;
    es.num_samples = 200;
    es.segments = 30;
    const fs::path out = t.path / "explanations";
    const auto selected = wf::select_ids(log, {"tx-000001", "tx-000002", "tx-000005", "tx-000009", "no-such-id", "../evil"});
    const auto first = wf::explain_transactions(selected, m, out.string(), es);
    REQUIRE(first.size() == 6);
    CHECK(first[0].status == "done");
    CHECK(first[1].status == "failed");
    CHECK(first[1].reason.find("load_image") != std::string::npos);
    CHECK(first[2].status == "failed");
    CHECK(first[2].reason.find(victim.filename().string()) != std::string::npos);
    CHECK(first[2].reason.find("not an image") != std::string::npos);
    CHECK(first[3].status == "done");
    CHECK(first[4].status == "failed");
    CHECK(first[4].reason.find("no transaction with id") != std::string::npos);
    CHECK(first[5].status == "failed");
    CHECK_FALSE(fs::exists(t.path / "evil"));
    CHECK(fs::exists(out / "tx-000002" / "error.json"));
    CHECK_FALSE(fs::exists(out / "tx-000002" / "explanation.json"));

    // A done transaction has its panes (upscaled to >= 224 px) and a complete JSON record.
    for (const char* f : {"input.png", "positive.png", "negative.png", "heatmap.png", "explanation.json"})
        CHECK_MESSAGE(fs::exists(out / "tx-000001" / f), f);
    const auto pos = pixlime::load_image((out / "tx-000001" / "positive.png").string());
    CHECK(pos.width() >= 224);
    CHECK(pos.channels() == 3);
    std::ifstream in(out / "tx-000001" / "explanation.json");
    const auto j = nlohmann::json::parse(in);
    CHECK_NOTHROW(pixlime::app::validate_record(j, "explanation.json"));  // the app layer's schema
    CHECK(j["schema_version"] == pixlime::app::record_schema_version);
    CHECK(j["id"] == "tx-000001");
    CHECK(j["model"] == m.id);
    REQUIRE(j["labels"].size() == 3);  // top 3 of 3 classes
    const int k = j["segments"]["count"].get<int>();
    CHECK(k >= 2);
    for (const auto& l : j["labels"]) {
        CHECK(l["weights"].size() == std::size_t(k));
        for (const char* f : {"intercept", "r2", "local_prediction", "model_prediction"}) CHECK(l.contains(f));
        // Uncertainty per weight: standard errors >= 0, 95% intervals w ± 1.96 se around the
        // weight, top-5 stability in [0, 1].
        REQUIRE(l["standard_errors"].size() == std::size_t(k));
        REQUIRE(l["intervals"].size() == std::size_t(k));
        for (std::size_t i = 0; i < std::size_t(k); ++i) {
            const double w = l["weights"][i].get<double>(), se = l["standard_errors"][i].get<double>();
            const double lo = l["intervals"][i].at(0).get<double>(), hi = l["intervals"][i].at(1).get<double>();
            CHECK(se >= 0);
            CHECK(lo <= w);
            CHECK(w <= hi);
            CHECK(hi - lo == doctest::Approx(2 * 1.959964 * se).epsilon(1e-4).scale(1e-6));
        }
        const double stab = l["stability_top5"].get<double>();
        CHECK(stab >= 0);
        CHECK(stab <= 1);
    }
    CHECK(j["model_calls"].get<int>() >= 1);
    CHECK(j["model_calls"].get<int>() <= es.num_samples);
    CHECK(j["target_reached"].is_boolean());
    CHECK(j["panes"]["hatched_level"] == 0.95);
    // The heatmap hatches (in the hatch colour, which its palette never gives) exactly when a
    // segment of the predicted label has an interval that contains 0.
    {
        bool any_uncertain = false;
        for (const auto& iv : j["labels"][0]["intervals"]) any_uncertain = any_uncertain || (iv[0] <= 0.0 && iv[1] >= 0.0);
        const auto heat = pixlime::load_image((out / "tx-000001" / "heatmap.png").string());
        const pixlime::rgb hatch = pixlime::render_options{}.hatch_color;
        bool any_hatched = false;
        for (int y = 0; y < heat.height() && !any_hatched; ++y)
            for (int x = 0; x < heat.width(); ++x)
                any_hatched = any_hatched || (heat.at(x, y, 0) == hatch[0] && heat.at(x, y, 1) == hatch[1] && heat.at(x, y, 2) == hatch[2]);
        CHECK(any_hatched == any_uncertain);
    }
    CHECK(j["labels"][0]["name"] == log[0].predicted);
    CHECK(j["labels"][0]["model_prediction"].get<double>() ==
          doctest::Approx(log[0].probability(log[0].predicted)).epsilon(1e-4));
    for (const char* f : {"load", "segmentation", "classifier", "explain", "total"}) CHECK(j["timings_ms"].contains(f));

    // A rerun skips what is done and retries what failed.
    const auto before = fs::last_write_time(out / "tx-000001" / "explanation.json");
    const auto second = wf::explain_transactions(selected, m, out.string(), es);
    CHECK(second[0].status == "skipped");
    CHECK(second[3].status == "skipped");
    CHECK(second[1].status == "failed");
    CHECK(fs::last_write_time(out / "tx-000001" / "explanation.json") == before);
    // Once the file is back, the failed one succeeds and its error record goes away.
    fs::rename(t.path / "moved.png", inputs[1].path);
    const auto third = wf::explain_transactions(selected, m, out.string(), es);
    CHECK(third[1].status == "done");
    CHECK_FALSE(fs::exists(out / "tx-000002" / "error.json"));
    // Other settings are not "done".
    wf::explain_settings es2 = es;
    es2.num_samples = 150;
    CHECK(wf::explain_transactions({log[0]}, m, out.string(), es2)[0].status == "done");

    // A classifier that throws fails its transaction, with the reason, and the rest go on.
    wf::deployed_model broken = m;
    broken.id = "broken";
    broken.classify = [](pixlime::batch_view<const float>) -> Eigen::MatrixXf { throw std::runtime_error("out of memory"); };
    const auto fourth = wf::explain_transactions({log[0], log[2]}, broken, (t.path / "broken").string(), es);
    for (const auto& o : fourth) {
        CHECK(o.status == "failed");
        CHECK(o.reason.find("out of memory") != std::string::npos);
    }
    wf::explain_settings bad = es;
    bad.fill = "purple";
    CHECK_THROWS(wf::explain_transactions({log[0]}, m, out.string(), bad));

    // The report (this folder is a task: model/, transactions.jsonl, explanations/) shows the
    // done and the failed transactions, with every image it names in place and >= 224 px.
    trained.save((t.path / "model" / "model.pxm").string());
    const wf::report_result r = wf::write_report((t.path / "report").string(), {{"band", "Band task", "test", t.path.string(), std::nullopt, ""}});
    CHECK(r.cards == 4);  // tx-000001, 2, 5, 9 (ids not in the log are not shown)
    CHECK(r.failed == 1);
    CHECK(r.images == 12);
    const std::string html = slurp(t.path / "report" / "index.html");
    CHECK(html.find("tx-000005") != std::string::npos);
    CHECK(html.find("not an image") != std::string::npos);
    int n_img = 0;
    for (std::size_t p = html.find("<img src=\""); p != std::string::npos; p = html.find("<img src=\"", p + 1)) {
        const std::size_t a = p + 10, b = html.find('"', a);
        const fs::path src = t.path / "report" / html.substr(a, b - a);
        REQUIRE_MESSAGE(fs::exists(src), src.string());
        const auto im = pixlime::load_image(src.string());
        CHECK(im.width() >= 224);
        CHECK(im.height() >= 224);
        ++n_img;
    }
    CHECK(n_img == 12);
}

TEST_CASE("explain_options_for carries the workflow's segmentation: pixlime::grid, or SLIC with the background merged") {
    std::mt19937 rng(4);
    const auto img = wf::standardize(band_image(1, rng), {});
    wf::explain_settings es;
    es.segmenter = "grid";
    es.segments = 49;  // 7 x 7 cells
    const pixlime::segmentation g = wf::explain_options_for(es).segmenter(img);
    const pixlime::segmentation want_grid = pixlime::grid(28, 28, 7, 7);
    CHECK(g.count() == 49);
    CHECK(std::vector<std::int32_t>(g.labels().begin(), g.labels().end()) ==
          std::vector<std::int32_t>(want_grid.labels().begin(), want_grid.labels().end()));

    // SLIC (the settings' count and compactness), then every segment whose mean of the
    // per-pixel channel maximum is <= merge_background becomes one segment; computed here
    // on its own. An image with real black background: the band on black.
    pixlime::image<float> dark(28, 28, 1, 0.0f);
    for (int y = 10; y < 16; ++y)
        for (int x = 3; x < 25; ++x) dark.at(x, y) = 0.5f + 0.02f * float(x % 5);
    es = wf::explain_settings{};
    pixlime::slic_options so;
    so.num_segments = es.segments;
    so.compactness = es.compactness;
    const pixlime::segmentation raw = pixlime::slic(dark, so);
    std::vector<double> sum(std::size_t(raw.count()), 0.0);
    std::vector<int> n(std::size_t(raw.count()), 0);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
            sum[std::size_t(raw.label(x, y))] += dark.at(x, y);
            ++n[std::size_t(raw.label(x, y))];
        }
    std::vector<int> merged(raw.labels().begin(), raw.labels().end());
    int background = 0;
    for (std::size_t l = 0; l < sum.size(); ++l) background += sum[l] <= es.merge_background * n[l];
    for (auto& l : merged)
        if (sum[std::size_t(l)] <= es.merge_background * n[std::size_t(l)]) l = -1;
    REQUIRE(background >= 2);  // there is something to merge
    const pixlime::segmentation want = pixlime::segmentation::from_labels(28, 28, merged);
    const pixlime::segmentation got = wf::explain_options_for(es).segmenter(dark);
    CHECK(got.count() == raw.count() - background + 1);
    CHECK(std::vector<std::int32_t>(got.labels().begin(), got.labels().end()) ==
          std::vector<std::int32_t>(want.labels().begin(), want.labels().end()));
    // merge_background < 0 keeps SLIC's segments.
    es.merge_background = -1;
    CHECK(wf::explain_options_for(es).segmenter(dark).count() == raw.count());
    es.segmenter = "watershed";  // named by the library's parser: the parameter and the names it takes
    CHECK_THROWS_WITH_AS(wf::explain_options_for(es), doctest::Contains("segmenter = watershed"), pixlime::invalid_argument);
}

TEST_CASE("background_segments: the mean of the per-pixel channel maximum, at most the threshold") {
    // 4 x 1, two channels; segment 0 = pixels 0, 1; segment 1 = pixels 2, 3.
    pixlime::image<float> img(4, 1, 2);
    const float px[4][2] = {{0.0f, 0.5f}, {0.0f, 0.0f}, {0.25f, 0.0f}, {0.0f, 0.5f}};
    for (int x = 0; x < 4; ++x)
        for (int c = 0; c < 2; ++c) img.at(x, 0, c) = px[x][c];
    const auto seg = pixlime::segmentation::from_labels(4, 1, std::vector<int>{0, 0, 1, 1});
    // Means of the maxima: segment 0 (0.5 + 0) / 2 = 0.25, segment 1 (0.25 + 0.5) / 2 = 0.375.
    CHECK(pixlime::app::background_segments(img, seg, 0.25) == std::vector<char>{1, 0});
    CHECK(pixlime::app::background_segments(img, seg, 0.2) == std::vector<char>{0, 0});
    CHECK(pixlime::app::background_segments(img, seg, 0.375) == std::vector<char>{1, 1});
}

TEST_CASE("select_mixed picks correct and wrong predictions over several classes") {
    std::vector<wf::transaction> log;
    const std::vector<std::string> cls = {"a", "b", "c", "d"};
    for (int i = 0; i < 80; ++i) {
        wf::transaction t;
        t.id = "tx-" + std::to_string(i);
        t.input = "x.png";
        t.true_label = cls[std::size_t(i % 4)];
        const bool wrong = i % 10 == 3;
        t.predicted = wrong ? cls[std::size_t((i + 1) % 4)] : t.true_label;
        t.probabilities = {{t.predicted, 0.9}};
        log.push_back(t);
    }
    log[5].error = "boom";
    log[5].probabilities.clear();
    const auto sel = wf::select_mixed(log, 12);
    REQUIRE(sel.size() == 12);
    int wrong = 0;
    std::set<std::string> classes;
    for (const auto& t : sel) {
        CHECK(t.ok());
        wrong += !t.correct();
        classes.insert(t.true_label);
    }
    CHECK(wrong == 4);
    CHECK(classes.size() == 4);
    CHECK(wf::select_first(log, 3).size() == 3);
    CHECK(wf::select_first(log, 1000).size() == 80);
}

TEST_CASE("a binary model (one sigmoid output) is scored and explained through the same interface") {
    temp_dir t("binary");
    write_band_folder(t.path / "train", 40, 1);
    const wf::input_shape shape;
    wf::folder_dataset d = wf::scan_folder((t.path / "train").string());
    std::vector<float> px = wf::load_all(d, shape);
    std::vector<int> y;
    auto is_low = [&](const wf::labelled_file& f) { return d.classes[std::size_t(f.label)] == "low"; };
    for (const auto& f : d.files) y.push_back(is_low(f) ? 1 : 0);  // "low" vs the rest
    Eigen::Map<const Eigen::MatrixXf> x(px.data(), shape.size(), Eigen::Index(y.size()));
    wf::mlp bin = wf::make_mlp(shape, {8}, 1, wf::output_kind::sigmoid, {"other", "low"}, 5);
    wf::train_options o;
    o.epochs = 15;
    o.batch_size = 16;
    const auto h = wf::train(bin, x, y, x, y, o);
    CHECK(h.back().validation_accuracy > 0.95);
    bin.save((t.path / "bin.pxm").string());
    const wf::deployed_model m = wf::deploy((t.path / "bin.pxm").string());
    CHECK(m.binary);
    CHECK(m.classes == std::vector<std::string>{"other", "low"});

    std::vector<wf::score_input> inputs;
    for (std::size_t i = 0; i < d.files.size(); i += 10) inputs.push_back({d.files[i].path, is_low(d.files[i]) ? "low" : "other"});
    const auto s = wf::score(inputs, m, (t.path / "log.jsonl").string());
    CHECK(s.failed == 0);
    CHECK(s.accuracy() > 0.9);
    const auto log = wf::read_log((t.path / "log.jsonl").string());
    REQUIRE(log[0].probabilities.size() == 2);
    CHECK(log[0].probabilities[0].second + log[0].probabilities[1].second == doctest::Approx(1.0));

    wf::explain_settings es;
    es.num_samples = 200;
    const auto out = wf::explain_transactions({log.front(), log.back()}, m, (t.path / "ex").string(), es);
    for (const auto& oc : out) CHECK(oc.status == "done");
    std::ifstream in(t.path / "ex" / log.back().id / "explanation.json");
    const auto j = nlohmann::json::parse(in);
    REQUIRE(j["labels"].size() == 2);  // the single output explained as the classes {0, 1}
    CHECK(j["labels"][0]["name"] == log.back().predicted);
}
