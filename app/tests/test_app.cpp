// The app layer's own tests: the one record name, the one atomic write (its failure paths), the
// record schema's reader on broken records, the folder report rendering what it can, and the
// workflow's MLP file served by the pxm backend.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <pixlime_app/backend.hpp>
#include <pixlime_app/common.hpp>
#include <pixlime_app/mlp.hpp>
#include <pixlime_app/record.hpp>
#include <pixlime_app/report.hpp>
#include <pixlime_app/settings.hpp>

#include <pixlime/pixlime.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace app = pixlime::app;

namespace {

/// The process's scratch folder, removed when the tests end (runs used to leave one per pid in /tmp).
const fs::path& scratch_root() {
    static const struct root {
        fs::path path = fs::temp_directory_path() / ("pixlime_test_app_" + std::to_string(::getpid()));
        ~root() {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    } r;
    return r.path;
}

fs::path fresh_dir(const std::string& name) {
    const fs::path d = scratch_root() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int files_in(const fs::path& d) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(d)) n += e.is_regular_file() || e.is_directory();
    return n;
}

/// Checks that `base` changed by `change` is refused by validate_record, naming `field` and the file.
template <class Change>
void refused_record(const nlohmann::json& base, const std::string& field, Change change) {
    nlohmann::json r = base;
    change(r);
    try {
        app::validate_record(r, "x.json");
        FAIL("accepted a record with a bad " << field);
    } catch (const app::record_error& e) {
        CHECK(e.field == field);
        CHECK(e.file == "x.json");
    }
}

/// Explains `model` on a 32x32 image whose left half is bright (0.9) and right half dark (0.2),
/// with `s` (a 16-cell grid and 200 samples are set here), and writes the record folder `dir`.
template <class Model>
void explain_halves_into(const fs::path& dir, const std::string& id, app::explain_settings s, const Model& model,
                         const std::string& model_name) {
    pixlime::image<float> img(32, 32, 3);
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
            for (int c = 0; c < 3; ++c) img.at(x, y, c) = x < 16 ? 0.9f : 0.2f;
    s.segmenter = "grid";
    s.segments = 16;
    s.num_samples = 200;
    const pixlime::explanation ex = pixlime::explain(img, model, app::explain_options_for(s));
    app::record_head head;
    head.fields["id"] = id;
    head.fields["input"] = id + ".png";
    head.model = model_name;
    head.settings = s.to_json();
    head.segmenter = s.segmenter;
    head.classes = {"dark", "bright"};  // a regression record does not use them: its one output is "value"
    app::write_explanation(dir, img, ex, head);
}

/// A real explanation record folder: a 32x32 image whose left half raises class 1.
void explain_into(const fs::path& dir, const std::string& id) {
    app::explain_settings s;
    s.top_labels = 2;
    const auto classify = [](pixlime::batch_view<const float> b) {
        Eigen::MatrixXf out(b.size(), 2);
        for (int i = 0; i < b.size(); ++i) {
            double left = 0;
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 16; ++x) left += b[i].at(x, y, 0);
            const float p = float(left / (32 * 16));
            out(i, 0) = 1 - p;
            out(i, 1) = p;
        }
        return out;
    };
    explain_halves_into(dir, id, s, classify, "test-model");
}

}  // namespace

TEST_CASE("record_name: safe, distinct, stable folder names") {
    CHECK(app::record_name("photos/cat.png").rfind("cat.png-", 0) == 0);
    CHECK(app::record_name("a/cat.png") != app::record_name("b/cat.png"));
    CHECK(app::record_name("../../etc/passwd").find('/') == std::string::npos);
    CHECK(app::record_name("..").find("..") == std::string::npos);
    CHECK(app::record_name("").size() == 16);
    CHECK(app::record_name("x") == app::record_name("x"));
    // FNV-1a 64 of "a" is af63dc4c8601ec8c: the name the command and pixlime.dask both use.
    CHECK(app::record_name("a") == "a-af63dc4c8601ec8c");
}

TEST_CASE("write_atomic: the file whole, no temporary file left on any failure") {
    const fs::path d = fresh_dir("atomic");
    app::write_atomic(d / "a.json", "first\n");
    app::write_atomic(d / "a.json", "second\n");
    CHECK(read_text(d / "a.json") == "second\n");
    CHECK(files_in(d) == 1);

    SUBCASE("the rename fails: the target is a folder") {
        fs::create_directories(d / "taken" / "inside");
        CHECK_THROWS_AS(app::write_atomic(d / "taken", "text"), pixlime::io_error);
        CHECK(files_in(d) == 2);  // a.json and the folder: no temporary file
    }
    SUBCASE("the write fails: the file size limit") {
        std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing
        rlimit old{};
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
        rlimit small = old;
        small.rlim_cur = 1000;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
        bool threw = false;
        try {
            app::write_atomic(d / "a.json", std::string(100000, 'x'));
        } catch (const pixlime::io_error& e) {
            threw = true;
            CHECK(std::string(e.what()).find("write_file path") != std::string::npos);
        }
        ::setrlimit(RLIMIT_FSIZE, &old);
        CHECK(threw);
        CHECK(read_text(d / "a.json") == "second\n");  // the old file, whole
        CHECK(files_in(d) == 1);
    }
    SUBCASE("the folder does not exist") {
        CHECK_THROWS_AS(app::write_atomic(d / "missing" / "a.json", "x"), pixlime::io_error);
        CHECK(files_in(d) == 1);
    }
}

TEST_CASE("records: written, read back, validated; broken ones named by file and field") {
    const fs::path d = fresh_dir("records");
    explain_into(d / "one", "one");
    const nlohmann::json rec = app::read_record(d / "one" / "explanation.json");
    CHECK(rec["schema_version"] == app::record_schema_version);
    CHECK(rec["kind"] == "explanation");
    CHECK(rec["predicted"] == "bright");
    CHECK(rec["predicted_index"] == 1);
    CHECK(rec["labels"][0]["name"] == "bright");
    for (const char* f : {"input.png", "positive.png", "negative.png", "heatmap.png"}) CHECK(fs::exists(d / "one" / f));
    CHECK(app::record_done(d / "one", "one", "one.png", "test-model", rec["settings"]));
    CHECK_FALSE(app::record_done(d / "one", "one", "one.png", "other-model", rec["settings"]));

    refused_record(rec, "/schema_version", [](nlohmann::json& r) { r["schema_version"] = 99; });
    refused_record(rec, "/predicted", [](nlohmann::json& r) { r["predicted"] = 3; });
    refused_record(rec, "/labels/0/weights", [](nlohmann::json& r) { r["labels"][0].erase("weights"); });
    refused_record(rec, "/labels/1/weights/2", [](nlohmann::json& r) { r["labels"][1]["weights"][2] = "big"; });
    refused_record(rec, "/labels/0/weights", [](nlohmann::json& r) { r["labels"][0]["weights"].erase(0); });
    refused_record(rec, "/segments/count", [](nlohmann::json& r) { r["segments"].erase("count"); });
    refused_record(rec, "/kind", [](nlohmann::json& r) { r["kind"] = "cat"; });
    refused_record(rec, "/timings_ms/total", [](nlohmann::json& r) { r["timings_ms"]["total"] = nullptr; });

    const nlohmann::json err = app::error_record({{"id", "two"}, {"input", "two.png"}}, "m", "it broke", "ValueError");
    CHECK_NOTHROW(app::validate_record(err, "e.json"));
    nlohmann::json bad_err = err;
    bad_err.erase("error");
    CHECK_THROWS_AS(app::validate_record(bad_err, "e.json"), app::record_error);
}

TEST_CASE("the folder report: every readable record a card, each broken one a failed card naming file and field") {
    const fs::path d = fresh_dir("report");
    explain_into(d / "good", "good");
    explain_into(d / "truncated", "truncated");
    explain_into(d / "old_version", "old_version");
    explain_into(d / "mistyped", "mistyped");
    explain_into(d / "no_pane", "no_pane");
    {
        const std::string text = read_text(d / "truncated" / "explanation.json");
        std::ofstream(d / "truncated" / "explanation.json") << text.substr(0, text.size() / 2);
        nlohmann::json j = nlohmann::json::parse(read_text(d / "old_version" / "explanation.json"));
        j["schema_version"] = 0;
        std::ofstream(d / "old_version" / "explanation.json") << j.dump();
        j = nlohmann::json::parse(read_text(d / "mistyped" / "explanation.json"));
        j["predicted"] = 7;
        std::ofstream(d / "mistyped" / "explanation.json") << j.dump();
        fs::remove(d / "no_pane" / "heatmap.png");
    }
    app::write_record(d / "failed", app::error_record({{"id", "failed"}, {"input", "failed.png"}}, "m", "the classifier raised"));
    const app::folder_report_result r = app::write_folder_report(d.string(), "test");
    CHECK(r.cards == 6);
    CHECK(r.failed == 5);
    CHECK(r.images == 4);
    const std::string html = read_text(d / "index.html");
    CHECK(html.find("good/positive.png") != std::string::npos);
    CHECK(html.find("not valid JSON") != std::string::npos);
    CHECK(html.find("field /schema_version: version 0") != std::string::npos);
    CHECK(html.find("field /predicted: expected a string") != std::string::npos);
    CHECK(html.find("heatmap.png: missing") != std::string::npos);
    CHECK(html.find("the classifier raised") != std::string::npos);
}

namespace {

/// A regression record folder: a 32x32 image whose value is 300 x the left half's mean red minus
/// 200 x the right half's (far outside [0, 1]).
nlohmann::json explain_value_into(const fs::path& dir, const std::string& id) {
    app::explain_settings s;
    s.task = "regression";
    const auto value = [](pixlime::batch_view<const float> b) {
        Eigen::VectorXf out(b.size());
        for (int i = 0; i < b.size(); ++i) {
            double left = 0, right = 0;
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 32; ++x) (x < 16 ? left : right) += b[i].at(x, y, 0);
            out[i] = float(300 * left / (32 * 16) - 200 * right / (32 * 16));
        }
        return out;
    };
    explain_halves_into(dir, id, s, value, "value-model");
    return app::read_record(dir / "explanation.json");
}

}  // namespace

TEST_CASE("regression records: task and value, checked; records without a task are classification ones") {
    const fs::path d = fresh_dir("regression_records");
    const nlohmann::json rec = explain_value_into(d / "value", "value");
    CHECK(rec["task"] == "regression");
    CHECK(rec["settings"]["task"] == "regression");
    CHECK(rec["predicted"] == "value");
    CHECK(rec["predicted_index"] == 0);
    CHECK(rec["panes_label"] == "value");
    CHECK(rec["labels"].size() == 1);
    CHECK(rec["labels"][0]["name"] == "value");
    CHECK(rec["value"].get<double>() == doctest::Approx(300 * 0.9 - 200 * 0.2).epsilon(1e-5));  // 230
    CHECK(rec["value"] == rec["labels"][0]["model_prediction"]);
    CHECK(rec["labels"][0]["top_positive"].size() > 0);  // the left half raises it
    CHECK(rec["labels"][0]["top_negative"].size() > 0);  // the right half lowers it

    refused_record(rec, "/value", [](nlohmann::json& r) { r.erase("value"); });
    refused_record(rec, "/value", [](nlohmann::json& r) { r["value"] = "230"; });
    refused_record(rec, "/predicted", [](nlohmann::json& r) { r["predicted"] = "bright"; });
    refused_record(rec, "/predicted_index", [](nlohmann::json& r) { r["predicted_index"] = 1; });
    refused_record(rec, "/task", [](nlohmann::json& r) { r["task"] = "banana"; });
    refused_record(rec, "/target", [](nlohmann::json& r) { r["task"] = "detection"; });  // a detection record names its target
    refused_record(rec, "/labels", [&](nlohmann::json& r) { r["labels"].push_back(r["labels"][0]); });

    // A classification record: task written; without it (as before the field existed) still valid.
    explain_into(d / "class", "class");
    nlohmann::json cls = app::read_record(d / "class" / "explanation.json");
    CHECK(cls["task"] == "classification");
    CHECK_FALSE(cls.contains("value"));
    CHECK_FALSE(cls["settings"].contains("task"));  // the settings of records made before --task
    refused_record(cls, "/value", [](nlohmann::json& r) { r["value"] = 1.5; });
    cls.erase("task");
    CHECK_NOTHROW(app::validate_record(cls, "old.json"));

    // The report says "value", not "class", for the regression record.
    const app::folder_report_result r = app::write_folder_report(d.string(), "test");
    CHECK(r.failed == 0);
    const std::string html = read_text(d / "index.html");
    CHECK(html.find("predicted value: <b>" + app::fmt(rec["value"].get<double>()) + "</b>") != std::string::npos);
    CHECK(html.find("<th>model value</th>") != std::string::npos);
    CHECK(html.find("segments that most raised <b>the value</b>") != std::string::npos);
    CHECK(html.find("pushed the predicted class (or value) up") != std::string::npos);
    CHECK(html.find("<th>class</th>") != std::string::npos);  // the classification record's card
}

TEST_CASE("target records: one per target, its label only, the box drawn on its panes; checked") {
    const fs::path d = fresh_dir("target_records");
    // Two targets' scores: the left half's mean red (target 0) and the right half's (target 1).
    const auto halves = [](pixlime::batch_view<const float> b) {
        Eigen::MatrixXf out(b.size(), 2);
        for (int i = 0; i < b.size(); ++i) {
            double left = 0, right = 0;
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 32; ++x) (x < 16 ? left : right) += b[i].at(x, y, 0);
            out(i, 0) = float(left / (32 * 16));
            out(i, 1) = float(right / (32 * 16));
        }
        return out;
    };
    pixlime::image<float> img(32, 32, 3);
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
            for (int c = 0; c < 3; ++c) img.at(x, y, c) = x < 16 ? 0.9f : 0.2f;
    app::explain_settings s;
    s.task = "detection";
    s.segmenter = "grid";
    s.segments = 16;
    s.num_samples = 200;
    const pixlime::explanation ex = pixlime::explain(img, halves, pixlime::target_options(app::explain_options_for(s), 2));
    app::record_head head;
    head.fields["id"] = "halves#1";
    head.fields["input"] = "halves.png";
    head.model = "halves-model";
    head.settings = s.to_json();
    head.segmenter = s.segmenter;
    app::record_target t;
    t.task = "detection";
    t.label = 1;
    t.class_name = "right";
    t.class_index = 7;
    t.box = pixlime::box{16, 0, 16, 32};
    t.fields["box"] = {16, 0, 16, 32};
    head.target = t;
    app::write_explanation(d / "right", img, ex, head);
    const nlohmann::json rec = app::read_record(d / "right" / "explanation.json");
    CHECK(rec["task"] == "detection");
    CHECK(rec["predicted"] == "right");
    CHECK(rec["predicted_index"] == 1);
    CHECK(rec["labels"].size() == 1);
    CHECK(rec["labels"][0]["label"] == 1);
    CHECK(rec["labels"][0]["name"] == "right");
    CHECK(rec["value"].get<double>() == doctest::Approx(0.2).epsilon(1e-5));
    CHECK(rec["target"] == nlohmann::json({{"index", 1}, {"class", "right"}, {"class_index", 7}, {"box", {16, 0, 16, 32}}}));
    CHECK(rec["labels"][0]["weights"] == [&] {  // label 1's weights, not label 0's
        nlohmann::json w = nlohmann::json::array();
        for (Eigen::Index k = 0; k < ex.weights(1).size(); ++k) w.push_back(app::round6(ex.weights(1)[k]));
        return w;
    }());
    // The box on the positive pane (drawn at the panes' scale): cyan on its left edge, not left of it.
    const pixlime::image<std::uint8_t> positive = pixlime::load_image((d / "right" / "positive.png").string());
    const int f = rec["panes"]["scale"].get<int>();
    CHECK(positive.at(16 * f, 10 * f, 2) == 255);
    CHECK(positive.at(16 * f, 10 * f, 0) == 0);
    CHECK_FALSE((positive.at(16 * f - 1, 10 * f, 0) == 0 && positive.at(16 * f - 1, 10 * f, 2) == 255));

    refused_record(rec, "/target", [](nlohmann::json& r) { r.erase("target"); });
    refused_record(rec, "/target/index", [](nlohmann::json& r) { r["target"]["index"] = 0; });
    refused_record(rec, "/target/class", [](nlohmann::json& r) { r["target"]["class"] = "left"; });
    refused_record(rec, "/value", [](nlohmann::json& r) { r.erase("value"); });
    refused_record(rec, "/labels", [](nlohmann::json& r) { r["labels"].push_back(r["labels"][0]); });
    refused_record(rec, "/target", [](nlohmann::json& r) { r["task"] = "classification"; r.erase("value"); });
    const app::folder_report_result r = app::write_folder_report(d.string(), "test");
    CHECK(r.failed == 0);
    const std::string html = read_text(d / "index.html");
    CHECK(html.find("detection <b>right</b>, box 16, 0, 16, 32") != std::string::npos);
    CHECK(html.find("<th>model score</th>") != std::string::npos);
}

TEST_CASE("settings: names checked by the library's parsers") {
    app::explain_settings s;
    CHECK_NOTHROW(s.validate());
    s.segmenter = "slick";
    CHECK_THROWS_AS(s.validate(), pixlime::invalid_argument);
    s.segmenter = "quickshift";
    s.fill = "purple";
    CHECK_THROWS_AS(s.validate(), pixlime::invalid_argument);
    s.fill = "blur";
    s.sampler = "random";
    CHECK_THROWS_AS(s.validate(), pixlime::invalid_argument);
    s.sampler = "lime_compatible";
    CHECK_NOTHROW(app::explain_options_for(s));
    CHECK(app::explain_options_for(s).task == pixlime::task::classification);
    s.task = "banana";
    CHECK_THROWS_AS(s.validate(), pixlime::invalid_argument);
    s.task = "detection";  // a target task: the app sets the targets (pixlime::target_options)
    CHECK_NOTHROW(s.validate());
    CHECK(app::is_target_task(s.task));
    CHECK(app::explain_options_for(s).task == pixlime::task::classification);
    s.task = "regression";
    CHECK(app::explain_options_for(s).task == pixlime::task::regression);
}

namespace {

/// A small MLP with made-up weights: 4x3 RGB in, one hidden layer of 5, `outputs` out.
app::mlp small_mlp(app::output_kind kind) {
    app::mlp m;
    m.shape = {4, 3, 3};
    m.output = kind;
    const int outputs = kind == app::output_kind::sigmoid ? 1 : 3;
    m.classes = kind == app::output_kind::sigmoid ? std::vector<std::string>{"no", "yes"}
                                                  : std::vector<std::string>{"red", "green", "blue"};
    int in = m.shape.size();
    float v = 0.1f;
    for (int out : {5, outputs}) {
        app::dense_layer l;
        l.weights.resize(out, in);
        for (Eigen::Index i = 0; i < l.weights.size(); ++i) l.weights.data()[i] = (v = std::fmod(v * 7.3f + 0.37f, 2.0f)) - 1.0f;
        l.bias = Eigen::VectorXf::LinSpaced(out, -0.2f, 0.3f);
        m.layers.push_back(std::move(l));
        in = out;
    }
    m.metadata = R"({"test": true})";
    return m;
}

std::vector<float> ramp(std::size_t n) {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = float((i * 37) % 101) / 100.0f;
    return x;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace

TEST_CASE("pxm backend: a saved MLP opened through auto gives its own input, classes and outputs") {
    const fs::path d = fresh_dir("pxm");
    for (const auto kind : {app::output_kind::softmax, app::output_kind::sigmoid}) {
        CAPTURE(int(kind));
        const app::mlp m = small_mlp(kind);
        const fs::path file = d / (kind == app::output_kind::softmax ? "softmax.pxm" : "sigmoid.pxm");
        m.save(file.string());
        CHECK(app::mlp::load(file.string()) == m);
        CHECK(app::backend_for(file.string()) == "pxm");
        const std::vector<std::string> built = app::built_backends();
        CHECK(std::find(built.begin(), built.end(), "pxm") != built.end());

        for (const std::string backend : {"auto", "pxm"}) {
            const std::unique_ptr<app::model_backend> b = app::open_model(file.string(), backend, 1);
            REQUIRE(b);
            CHECK(b->name() == "pxm");
            REQUIRE(b->input().has_value());
            CHECK(*b->input() == m.shape);
            CHECK(b->classes() == m.classes);
            CHECK(b->binary() == (kind == app::output_kind::sigmoid));

            // The batch as pixlime::explain hands it with the default model_input: NHWC floats.
            const int n = 6;
            std::vector<float> x = ramp(std::size_t(n) * std::size_t(m.shape.size()));
            const pixlime::batch_view<const float> batch(x.data(), n, m.shape.width, m.shape.height, m.shape.channels);
            const Eigen::MatrixXf got = b->classify(batch);
            const Eigen::MatrixXf want = m.predict(Eigen::Map<const Eigen::MatrixXf>(x.data(), m.shape.size(), n));
            REQUIRE(got.rows() == n);
            REQUIRE(got.cols() == m.num_outputs());
            CHECK(got == want);
            CHECK(got == m(batch));
            if (kind == app::output_kind::softmax)
                for (int i = 0; i < n; ++i) CHECK(got.row(i).sum() == doctest::Approx(1.0));
        }
    }
}

TEST_CASE("pxm backend: a batch of another shape, or NCHW, is refused naming the shape it takes") {
    const fs::path d = fresh_dir("pxm_shape");
    const app::mlp m = small_mlp(app::output_kind::softmax);
    m.save((d / "m.pxm").string());
    const auto b = app::open_model((d / "m.pxm").string(), "auto", 1);
    std::vector<float> x = ramp(2 * 5 * 3 * 3);
    const std::string wrong = message_of([&] { b->classify(pixlime::batch_view<const float>(x.data(), 2, 5, 3, 3)); });
    CHECK(wrong.find("4x3x3") != std::string::npos);
    CHECK(wrong.find("5x3x3") != std::string::npos);
    CHECK_THROWS_AS(b->classify(pixlime::batch_view<const float>(x.data(), 2, 4, 3, 1)), std::runtime_error);
    const std::string nchw = message_of(
        [&] { b->classify(pixlime::batch_view<const float>(x.data(), 2, 4, 3, 3, pixlime::layout::nchw)); });
    CHECK(nchw.find("NHWC") != std::string::npos);
}

TEST_CASE("pxm backend: a truncated, foreign or missing file is refused with the reason") {
    const fs::path d = fresh_dir("pxm_bad");
    const app::mlp m = small_mlp(app::output_kind::softmax);
    const std::vector<std::uint8_t> bytes = m.serialize();
    const auto write = [&](const std::string& name, std::size_t n) {
        std::ofstream(d / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(n));
        return (d / name).string();
    };
    for (const std::size_t n : {bytes.size() - 1, bytes.size() / 2, std::size_t(12)}) {
        CAPTURE(n);
        const std::string file = write("cut.pxm", n);
        const std::string msg = message_of([&] { app::open_model(file, "auto", 1); });
        CHECK(msg.rfind("--model '" + file + "': model file is truncated", 0) == 0);
    }
    std::ofstream(d / "foreign.pxm") << "GIF89a, not a model at all";
    const std::string foreign = message_of([&] { app::open_model((d / "foreign.pxm").string(), "auto", 1); });
    CHECK(foreign.find("bad magic") != std::string::npos);
    CHECK(foreign.find("foreign.pxm") != std::string::npos);
    CHECK(message_of([&] { app::open_model((d / "missing.pxm").string(), "auto", 1); }).find("no such file") != std::string::npos);
    CHECK(message_of([&] { app::open_model((d / "foreign.pxm").string(), "tflite", 1); }).find("expected auto, torch, onnx or pxm") !=
          std::string::npos);
}
