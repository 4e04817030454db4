// Object detection targets (detection.hpp, D-RISE): the similarity's three factors, the two output
// layouts, and the ground truth of a planted detector: the segments covering the object a target
// names come first for that target, and segments of another, distant object weigh nothing for it.
#include "support.hpp"

#include <pixlime/detection.hpp>

#include <algorithm>
#include <set>
#include <vector>

using test::black_fill;
using test::contains;
using test::message_of;

namespace {

pixlime::detection make_detection(pixlime::box b, double objectness, std::vector<double> classes) {
    pixlime::detection d;
    d.box = b;
    d.objectness = objectness;
    d.class_scores = Eigen::Map<const Eigen::VectorXd>(classes.data(), Eigen::Index(classes.size()));
    return d;
}

// A planted detector over 96 x 96 RGB images: it finds the red pixels and the blue pixels, each as
// one detection boxed around them, objectness the share of the square's 32 x 32 pixels still
// there, class vector (1, 0) for red and (0, 1) for blue. It counts its calls.
struct planted_detector {
    int* calls;
    std::vector<std::vector<pixlime::detection>> operator()(pixlime::batch_view<const std::uint8_t> batch) const {
        std::vector<std::vector<pixlime::detection>> out;
        for (int i = 0; i < batch.size(); ++i) {
            ++*calls;
            const auto img = batch[i];
            std::vector<pixlime::detection> found;
            for (int colour = 0; colour < 2; ++colour) {
                int x0 = img.width(), y0 = img.height(), x1 = -1, y1 = -1, n = 0;
                for (int y = 0; y < img.height(); ++y)
                    for (int x = 0; x < img.width(); ++x) {
                        const bool red = img.at(x, y, 0) > 128 && img.at(x, y, 2) < 64;
                        const bool blue = img.at(x, y, 2) > 128 && img.at(x, y, 0) < 64;
                        if (colour == 0 ? red : blue) {
                            x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y), ++n;
                        }
                    }
                if (n == 0) continue;
                found.push_back(make_detection({double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)}, n / 1024.0,
                                    colour == 0 ? std::vector<double>{1, 0} : std::vector<double>{0, 1}));
            }
            out.push_back(found);
        }
        return out;
    }
};

// A grey 96 x 96 image with a red square at [16, 48)^2 and a blue one at [64, 96)^2: on a 6 x 6
// grid of 16-pixel cells, the red one covers cells 7, 8, 13, 14 and the blue one 28, 29, 34, 35.
pixlime::image<std::uint8_t> two_squares() {
    pixlime::image<std::uint8_t> img(96, 96, 3);
    for (int y = 0; y < 96; ++y)
        for (int x = 0; x < 96; ++x) {
            const bool red = x >= 16 && x < 48 && y >= 16 && y < 48, blue = x >= 64 && y >= 64;
            img.at(x, y, 0) = red ? 220 : blue ? 10 : 90;
            img.at(x, y, 1) = red || blue ? 20 : 90;
            img.at(x, y, 2) = blue ? 220 : red ? 10 : 90;
        }
    return img;
}

std::set<int> top_segments(const Eigen::VectorXd& w, int k) {
    std::set<int> s;
    for (const auto& [segment, weight] : pixlime::ranked(w)) {
        if (int(s.size()) == k) break;
        s.insert(segment);
    }
    return s;
}

}  // namespace

TEST_CASE("iou: overlap over union; 0 apart or empty") {
    CHECK(pixlime::iou({0, 0, 10, 10}, {0, 0, 10, 10}) == 1.0);
    CHECK(pixlime::iou({0, 0, 10, 10}, {5, 0, 10, 10}) == doctest::Approx(50.0 / 150.0));
    CHECK(pixlime::iou({0, 0, 10, 10}, {10, 0, 10, 10}) == 0.0);  // touching edges
    CHECK(pixlime::iou({0, 0, 0, 0}, {0, 0, 10, 10}) == 0.0);
}

TEST_CASE("drise_similarity: IoU x objectness x cosine of the class vectors, or the same class id") {
    const pixlime::detection target = make_detection({0, 0, 10, 10}, 1, {1, 0, 0});
    CHECK(pixlime::drise_similarity(target, make_detection({0, 0, 10, 10}, 0.5, {0.6, 0.8, 0})) == doctest::Approx(0.5 * 0.6));
    CHECK(pixlime::drise_similarity(target, make_detection({5, 0, 10, 10}, 1, {2, 0, 0})) == doctest::Approx(1.0 / 3.0));
    CHECK(pixlime::drise_similarity(target, make_detection({20, 0, 10, 10}, 1, {1, 0, 0})) == 0.0);
    pixlime::detection by_id;  // torchvision: a class id and a score
    by_id.box = {0, 0, 10, 10};
    by_id.objectness = 0.9;
    by_id.class_id = 0;
    CHECK(pixlime::drise_similarity(target, by_id) == doctest::Approx(0.9));  // the target's argmax is class 0
    by_id.class_id = 2;
    CHECK(pixlime::drise_similarity(target, by_id) == 0.0);
    CHECK(contains(message_of<pixlime::invalid_argument>([&] { pixlime::drise_similarity(target, make_detection({0, 0, 10, 10}, 1, {1, 0})); }),
                   "class_scores size"));
    const Eigen::RowVectorXd s = pixlime::drise_scores({target, make_detection({0, 0, 10, 10}, 1, {0, 1, 0})},
                                                       {make_detection({0, 0, 10, 10}, 0.5, {1, 0, 0}), make_detection({0, 0, 10, 10}, 0.8, {1, 0, 0})});
    CHECK(s[0] == doctest::Approx(0.8));  // the best match
    CHECK(s[1] == 0.0);                   // no detection of the second target's class
}

TEST_CASE("detections_from_yolo and detections_from_torchvision: the two layouts") {
    Eigen::MatrixXd rows(2, 7);
    rows << 20, 30, 10, 20, 0.9, 0.1, 0.9,  //
        50, 50, 4, 4, 0.01, 1, 0;
    const auto yolo = pixlime::detections_from_yolo(rows, 0.05);
    REQUIRE(yolo.size() == 1);
    CHECK(yolo[0].box.x == 15);
    CHECK(yolo[0].box.y == 20);
    CHECK(yolo[0].box.w == 10);
    CHECK(yolo[0].box.h == 20);
    CHECK(yolo[0].objectness == 0.9);
    CHECK(yolo[0].class_scores.size() == 2);
    CHECK(contains(message_of<pixlime::invalid_argument>([] { pixlime::detections_from_yolo(Eigen::MatrixXd::Zero(1, 5)); }), ">= 6"));

    Eigen::MatrixXd boxes(2, 4);
    boxes << 10, 20, 30, 60,  //
        0, 0, 5, 5;
    Eigen::VectorXd scores(2);
    scores << 0.8, 0.2;
    const auto tv = pixlime::detections_from_torchvision(boxes, {3, 1}, scores, 0.5);
    REQUIRE(tv.size() == 1);
    CHECK(tv[0].box.w == 20);
    CHECK(tv[0].box.h == 40);
    CHECK(tv[0].class_id == 3);
    CHECK(tv[0].objectness == 0.8);
    CHECK(contains(message_of<pixlime::invalid_argument>([&] { pixlime::detections_from_torchvision(boxes, {3}, scores); }),
                   "as many labels and scores as boxes"));
}

TEST_CASE("detection_target: a planted detector's object comes first for its own target, a distant one weighs nothing") {
    const auto img = two_squares();
    const auto seg = test::grid(96, 96, 6, 6);
    int calls = 0;
    const pixlime::detection red = make_detection({16, 16, 32, 32}, 1, {1, 0}), blue = make_detection({64, 64, 32, 32}, 1, {0, 1});
    pixlime::detection_target<planted_detector> model(planted_detector{&calls}, {red, blue});
    pixlime::explain_options opt = pixlime::target_options(black_fill(), 2);
    opt.num_samples = 1000;
    const pixlime::explanation ex = pixlime::explain(img, seg, model, opt);
    CHECK(ex.model_calls() == calls);  // both targets from one set of model calls
    const std::set<int> red_cells{7, 8, 13, 14}, blue_cells{28, 29, 34, 35};
    CHECK(top_segments(ex.weights(0), 4) == red_cells);
    CHECK(top_segments(ex.weights(1), 4) == blue_cells);
    const double red_least = std::min({ex.weights(0)[7], ex.weights(0)[8], ex.weights(0)[13], ex.weights(0)[14]});
    for (const int c : blue_cells) CHECK(std::abs(ex.weights(0)[c]) < 0.05 * red_least);
    const double blue_least = std::min({ex.weights(1)[28], ex.weights(1)[29], ex.weights(1)[34], ex.weights(1)[35]});
    for (const int c : red_cells) CHECK(std::abs(ex.weights(1)[c]) < 0.05 * blue_least);

    // One target: explained as a value (task::regression), the same segments first.
    pixlime::detection_target<planted_detector> one(planted_detector{&calls}, {red});
    const pixlime::explanation single = pixlime::explain(img, seg, one, pixlime::target_options(opt, 1));
    CHECK(top_segments(single.weights(0), 4) == red_cells);
    CHECK(contains(message_of<pixlime::invalid_argument>([] { pixlime::target_options({}, 0); }), "at least 1 target"));
}

TEST_CASE("draw_box paints the box's edges at the panes' scale, inside the box and clipped to the image") {
    const pixlime::rgb red{255, 0, 0};
    pixlime::image<std::uint8_t> pane(40, 30, 3);
    pixlime::draw_box(pane, {2, 3, 5, 4}, red, /*factor=*/4, /*thickness=*/2);  // x 8..28, y 12..28 on the pane
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x) {
            const bool inside = x >= 8 && x < 28 && y >= 12 && y < 28;
            const bool edge = inside && (x < 10 || x >= 26 || y < 14 || y >= 26);
            CHECK_MESSAGE(pane.at(x, y, 0) == (edge ? 255 : 0), "at " << x << "," << y);
        }
    pixlime::image<std::uint8_t> small(10, 10, 3);
    pixlime::draw_box(small, {5, 5, 20, 20}, red);  // clipped: the left and top edges only
    CHECK(small.at(5, 9, 0) == 255);
    CHECK(small.at(9, 5, 0) == 255);
    CHECK(small.at(9, 9, 0) == 0);
    CHECK(contains(message_of<pixlime::invalid_argument>([&] { pixlime::draw_box(small, {0, 0, -1, 2}, red); }), "draw_box box"));
    pixlime::image<std::uint8_t> gray(10, 10, 1);
    CHECK(contains(message_of<pixlime::invalid_argument>([&] { pixlime::draw_box(gray, {0, 0, 1, 1}, red); }), "draw_box image channels = 1"));
}

TEST_CASE("non_max_suppression keeps the most confident detection of each overlapping group, per class") {
    const auto det = [](double x, double objectness, std::vector<double> classes) { return make_detection({x, 0, 10, 10}, objectness, std::move(classes)); };
    // Two overlapping red rows (IoU 0.82), a distant red one, and a blue one on top of the first.
    const std::vector<pixlime::detection> rows = {det(1, 0.6, {1, 0}), det(0, 0.9, {1, 0}), det(50, 0.3, {0.9, 0.1}), det(0, 0.5, {0, 1})};
    const std::vector<pixlime::detection> kept = pixlime::non_max_suppression(rows, 0.5);
    REQUIRE(kept.size() == 3);  // in their input order
    CHECK(kept[0].box.x == 0);  // the 0.9 red row (the 0.6 one it overlaps is gone)
    CHECK(kept[0].objectness == 0.9);
    CHECK(kept[1].box.x == 50);
    CHECK(kept[2].box.x == 0);  // the blue row on the same box: another class, kept
    CHECK(pixlime::detection_class(kept[2]) == 1);
    CHECK(pixlime::non_max_suppression(rows, 0.9).size() == 4);  // IoU 0.82 is under 0.9: nothing suppressed
    // What an image's own targets are: confident enough (0.27 is not), of the class asked, one per object.
    const std::vector<pixlime::detection> red = pixlime::detections_to_explain(rows, 0.5, 0);
    REQUIRE(red.size() == 1);
    CHECK(red[0].objectness == 0.9);
    CHECK(pixlime::detections_to_explain(rows, 0.5).size() == 2);
    CHECK(pixlime::detections_to_explain(rows, 0.2).size() == 3);
    CHECK(pixlime::detections_to_explain(rows, 0.95).empty());
    CHECK(pixlime::detection_confidence(rows[2]) == doctest::Approx(0.27));
    CHECK(contains(message_of<pixlime::invalid_argument>([&] { pixlime::non_max_suppression(rows, 1.5); }), "iou_threshold = 1.5"));
}
