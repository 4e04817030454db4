// Tests of pixlime::quickshift, pixlime::felzenszwalb and pixlime::grid, and of all
// segmenters (SLIC included) against scikit-image's label maps in tests/data/skimage
// (made by tests/data/skimage/make_fixtures.py): segment counts within 15% of
// scikit-image's and boundary recall of scikit-image's boundaries >= 0.8 (2-pixel tolerance).
#include <pixlime/detail/stb.hpp>
#include <pixlime/felzenszwalb.hpp>
#include <pixlime/grid.hpp>
#include <pixlime/io.hpp>
#include <pixlime/quickshift.hpp>
#include <pixlime/slic.hpp>

#include "segmentation_checks.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using pixlime::image;
using pixlime::segmentation;

namespace {

using namespace seg_checks;

/// A 16-bit gray PNG of labels (scikit-image's), as a segmentation.
segmentation load_labels(const std::string& path) {
    int w = 0, h = 0, c = 0;
    std::unique_ptr<stbi_us, void (*)(void*)> px(stbi_load_16(path.c_str(), &w, &h, &c, 1), &stbi_image_free);
    REQUIRE_MESSAGE(px != nullptr, "cannot read " << path);
    return segmentation::from_labels(w, h, px.get(), std::size_t(w) * std::size_t(h));
}

/// Pixels with a differently labelled right or bottom neighbour.
std::vector<char> boundaries(const segmentation& s) {
    const int w = s.width(), h = s.height();
    std::vector<char> b(std::size_t(w) * h, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const auto l = s.label(x, y);
            if ((x + 1 < w && s.label(x + 1, y) != l) || (y + 1 < h && s.label(x, y + 1) != l))
                b[std::size_t(y) * w + x] = 1;
        }
    return b;
}

/// Fraction of `truth`'s boundary pixels that have a boundary pixel of `found` within
/// `tol` pixels (Chebyshev distance).
double boundary_recall(const segmentation& truth, const segmentation& found, int tol) {
    const int w = truth.width(), h = truth.height();
    const auto bt = boundaries(truth), bf = boundaries(found);
    // Dilate bf by a (2 tol + 1) square: rows then columns.
    std::vector<char> rows(bf.size(), 0), near(bf.size(), 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int d = -tol; d <= tol && !rows[std::size_t(y) * w + x]; ++d)
                if (x + d >= 0 && x + d < w && bf[std::size_t(y) * w + x + d]) rows[std::size_t(y) * w + x] = 1;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int d = -tol; d <= tol && !near[std::size_t(y) * w + x]; ++d)
                if (y + d >= 0 && y + d < h && rows[std::size_t(y + d) * w + x]) near[std::size_t(y) * w + x] = 1;
    std::int64_t total = 0, hit = 0;
    for (std::size_t i = 0; i < bt.size(); ++i)
        if (bt[i]) {
            ++total;
            hit += near[i];
        }
    return total == 0 ? 1.0 : double(hit) / double(total);
}

/// "a=1,b=2" -> {a: 1, b: 2}
std::map<std::string, double> parse_params(const std::string& text) {
    std::map<std::string, double> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto eq = item.find('=');
        out[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
    }
    return out;
}

/// A deterministic textured image (smooth colour waves plus a hash pattern).
image<std::uint8_t> texture(int w, int h, int channels) {
    image<std::uint8_t> img(w, h, channels);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c)
                img.at(x, y, c) = std::uint8_t((x * (3 + c) + y * (5 + 2 * c) + ((x * 7919 + y * 104729 + c * 31) % 23)) % 256);
    return img;
}

}  // namespace

TEST_CASE("segmenters agree with scikit-image: counts within 15%, boundary recall >= 0.8") {
    std::ifstream list(data_dir + "/skimage/fixtures.txt");
    REQUIRE(list.good());
    std::string line;
    int cases = 0;
    while (std::getline(list, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string file, segmenter, params;
        int expected = 0;
        ls >> file >> segmenter >> params >> expected;
        const std::string image_name = file.substr(0, file.find(segmenter) - 1) + ".png";
#ifndef NDEBUG
        // Unoptimised (e.g. sanitizer) builds: two images only, quick shift on one.
        if (image_name != "chelsea_224.png" && image_name != "astronaut_224.png") continue;
        if (segmenter == "quickshift" && image_name != "chelsea_224.png") continue;
#endif
        CAPTURE(file);
        const auto img = sample(image_name);
        const auto p = parse_params(params);
        segmentation ours;
        if (segmenter == "slic") {
            pixlime::slic_options o;
            o.num_segments = int(p.at("num_segments"));
            o.compactness = p.at("compactness");
            ours = pixlime::slic(img, o);
        } else if (segmenter == "quickshift") {
            pixlime::quickshift_options o;
            o.kernel_size = p.at("kernel_size");
            o.max_dist = p.at("max_dist");
            o.ratio = p.at("ratio");
            ours = pixlime::quickshift(img, o);
        } else if (segmenter == "felzenszwalb") {
            pixlime::felzenszwalb_options o;
            o.scale = p.at("scale");
            o.sigma = p.at("sigma");
            o.min_size = int(p.at("min_size"));
            ours = pixlime::felzenszwalb(img, o);
        } else {
            FAIL("unknown segmenter " << segmenter);
        }
        const auto truth = load_labels(data_dir + "/skimage/" + file);
        REQUIRE(truth.count() == expected);
        REQUIRE(truth.width() == ours.width());
        REQUIRE(truth.height() == ours.height());
        CAPTURE(ours.count());
        CAPTURE(expected);
        CHECK(ours.count() >= 0.85 * expected);
        CHECK(ours.count() <= 1.15 * expected);
        const double recall = boundary_recall(truth, ours, 2);
        CAPTURE(recall);
        CHECK(recall >= 0.8);
        // The metric can fail: a 4 x 4 grid misses most of scikit-image's boundaries.
        CHECK(boundary_recall(truth, pixlime::grid(truth.width(), truth.height(), 4, 4), 2) < 0.5);
        ++cases;
    }
#ifdef NDEBUG
    CHECK(cases >= 20);
#else
    CHECK(cases >= 9);
#endif
}

TEST_CASE("quickshift: flat quadrants, thread independence, and the tree structure") {
    const int w = 48, h = 40, qx = 20, qy = 17;
    const auto img = quadrants(w, h, qx, qy);
    pixlime::quickshift_options o;
    o.kernel_size = 2;
    const auto s = pixlime::quickshift(img, o);
    check_valid(s, w, h);
    CHECK(respects_quadrants(s, qx, qy));
    CHECK(s.count() >= 4);
    // A parent is always a nearby pixel, so every segment (tree) is connected through links
    // of at most the window size; with flat quadrants each segment stays inside one.
    const auto big = sample("coffee_224.png");
    const image<std::uint8_t> crop(pixlime::image_view<const std::uint8_t>(big.data() + (60 * 224 + 40) * 3, 64, 56, 3, 224 * 3));
    pixlime::quickshift_options d;
    const auto one = pixlime::quickshift(crop, d);
    check_valid(one, 64, 56);
    for (int t : {2, 7}) {
        d.num_threads = t;
        CHECK(pixlime::quickshift(crop, d) == one);
    }
    // Larger max_dist / kernel give fewer segments; max_dist = 0 makes every pixel a root.
    pixlime::quickshift_options few;
    few.kernel_size = 6;
    CHECK(pixlime::quickshift(crop, few).count() <= one.count());
    pixlime::quickshift_options none;
    none.kernel_size = 1;
    none.max_dist = 0;
    CHECK(pixlime::quickshift(crop, none).count() == 64 * 56);
    // The same picture as floats gives the same segments.
    image<float> f(crop.width(), crop.height(), 3);
    for (std::size_t i = 0; i < f.size(); ++i) f.data()[i] = float(crop.data()[i]) / 255.0f;
    CHECK(pixlime::quickshift(f) == one);
}

TEST_CASE("felzenszwalb: flat quadrants, connected segments, min_size and scale") {
    const int w = 50, h = 44, qx = 21, qy = 30;
    const auto img = quadrants(w, h, qx, qy);
    pixlime::felzenszwalb_options sharp;
    sharp.sigma = 0;  // (a blur makes thin strips of mixed colour along the borders)
    const auto s = pixlime::felzenszwalb(img, sharp);
    check_valid(s, w, h);
    CHECK(s.count() == 4);
    CHECK(respects_quadrants(s, qx, qy));
    // With the default blur, thin strips of mixed colour may appear along the borders.
    CHECK(pixlime::felzenszwalb(img).count() >= 4);
    const auto tex = texture(120, 90, 3);
    pixlime::felzenszwalb_options o;
    o.min_size = 30;
    const auto t = pixlime::felzenszwalb(tex, o);
    check_valid(t, 120, 90);
    CHECK(count_pieces(t, 8) == t.count());  // every segment is 8-connected
    const auto sizes = t.sizes();
    CHECK(*std::min_element(sizes.begin(), sizes.end()) >= 30);
    pixlime::felzenszwalb_options coarse = o;
    coarse.scale = 500;
    CHECK(pixlime::felzenszwalb(tex, coarse).count() < t.count());
    pixlime::felzenszwalb_options fine;
    fine.scale = 0;
    fine.sigma = 0;
    fine.min_size = 0;
    // Scale 0: an edge must weigh less than 0 to join, so nothing joins, even in a flat image...
    CHECK(pixlime::felzenszwalb(image<std::uint8_t>(30, 20, 3, 77), fine).count() == 600);
    // ... until min_size merges pieces along the lightest edges.
    fine.min_size = 600;
    CHECK(pixlime::felzenszwalb(image<std::uint8_t>(30, 20, 3, 77), fine).count() == 1);
}

TEST_CASE("grid: rectangular cells, clipped cell counts, errors") {
    const auto g = pixlime::grid(10, 7, 3, 2);
    check_valid(g, 10, 7);
    CHECK(g.count() == 6);
    // Columns: floor(x * 3 / 10) -> 0 0 0 0 1 1 1 2 2 2; rows: floor(y * 2 / 7) -> 0 0 0 0 1 1 1.
    CHECK(g.label(0, 0) == 0);
    CHECK(g.label(3, 3) == 0);
    CHECK(g.label(4, 0) == 1);
    CHECK(g.label(9, 0) == 2);
    CHECK(g.label(0, 4) == 3);
    CHECK(g.label(9, 6) == 5);
    CHECK(pixlime::grid(5, 4, 100, 100).count() == 20);  // clipped to one pixel per cell
    CHECK(pixlime::grid(5, 4, pixlime::grid_options{1, 1}).count() == 1);
    CHECK(pixlime::grid(image<float>(9, 9, 1), pixlime::grid_options{}).count() == 64);
    CHECK_THROWS_AS(pixlime::grid(5, 4, 0, 2), pixlime::invalid_argument);
    CHECK_THROWS_AS(pixlime::grid(0, 4, 2, 2), pixlime::invalid_argument);
    try {
        (void)pixlime::grid(5, 4, 2, -1);
        FAIL("no exception");
    } catch (const pixlime::invalid_argument& e) {
        CHECK(std::string(e.what()).find("grid_options.cells_y") != std::string::npos);
    }
}

TEST_CASE("segmenters: tiny, constant, gray, RGBA, many-channel and extreme inputs") {
    // lime collapses tiny images into one region with its quickshift defaults.
    for (int n : {1, 8, 20}) {
        CAPTURE(n);
        const auto tex = texture(n, n, 3);
        const auto q = pixlime::quickshift(tex);
        check_valid(q, n, n);
        if (n <= 8) CHECK(q.count() == 1);
        check_valid(pixlime::felzenszwalb(tex), n, n);
        check_valid(pixlime::grid(n, n, 8, 8), n, n);
    }
    for (auto size : {std::array<int, 2>{1, 40}, std::array<int, 2>{40, 1}}) {
        const auto tex = texture(size[0], size[1], 3);
        check_valid(pixlime::quickshift(tex), size[0], size[1]);
        check_valid(pixlime::felzenszwalb(tex), size[0], size[1]);
    }
    // Constant images: one segment for felzenszwalb; quickshift gives valid trees.
    const image<std::uint8_t> flat(32, 24, 3, 128);
    CHECK(pixlime::felzenszwalb(flat).count() == 1);
    check_valid(pixlime::quickshift(flat), 32, 24);
    // Gray and gray+alpha, RGB and RGBA: the alpha channel is ignored.
    const auto rgb = texture(40, 30, 3);
    image<std::uint8_t> rgba(40, 30, 4), gray(40, 30, 1), gray_alpha(40, 30, 2);
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x) {
            for (int c = 0; c < 3; ++c) rgba.at(x, y, c) = rgb.at(x, y, c);
            rgba.at(x, y, 3) = std::uint8_t(x * 6);
            gray.at(x, y) = rgb.at(x, y, 1);
            gray_alpha.at(x, y, 0) = gray.at(x, y);
            gray_alpha.at(x, y, 1) = std::uint8_t(y * 8);
        }
    pixlime::quickshift_options qo;
    qo.kernel_size = 2;
    CHECK(pixlime::quickshift(rgba, qo) == pixlime::quickshift(rgb, qo));
    CHECK(pixlime::felzenszwalb(rgba) == pixlime::felzenszwalb(rgb));
    CHECK(pixlime::quickshift(gray_alpha, qo) == pixlime::quickshift(gray, qo));
    CHECK(pixlime::felzenszwalb(gray_alpha) == pixlime::felzenszwalb(gray));
    check_valid(pixlime::quickshift(gray, qo), 40, 30);
    // Many channels (raw features).
    image<float> multi(30, 20, 7, 0.5f);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 30; ++x) multi.at(x, y, (x >= 15) + 2 * (y >= 10)) = 1.0f;
    pixlime::felzenszwalb_options sharp;
    sharp.sigma = 0;
    const auto fm = pixlime::felzenszwalb(multi, sharp);
    CHECK(fm.count() == 4);
    CHECK(respects_quadrants(fm, 15, 10));
    check_valid(pixlime::quickshift(multi, qo), 30, 20);
    // Huge parameters.
    pixlime::quickshift_options huge;
    huge.kernel_size = 1e4;
    huge.max_dist = std::numeric_limits<double>::infinity();
    huge.sigma = 100;
    const auto hq = pixlime::quickshift(texture(24, 18, 3), huge);
    CHECK(hq.count() == 1);
    pixlime::felzenszwalb_options hf;
    hf.scale = 1e9;
    hf.sigma = 100;
    hf.min_size = 1000000;
    CHECK(pixlime::felzenszwalb(texture(24, 18, 3), hf).count() == 1);
}

TEST_CASE("segmenters: invalid options are rejected with the field's name") {
    const image<std::uint8_t> img(8, 8, 3, 10);
    auto message = [](auto&& f) -> std::string {
        try {
            f();
        } catch (const pixlime::invalid_argument& e) {
            return e.what();
        }
        return "(no exception)";
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto q = [&](auto set) {
        pixlime::quickshift_options o;
        set(o);
        return message([&] { (void)pixlime::quickshift(img, o); });
    };
    CHECK(q([](auto& o) { o.kernel_size = 0.5; }).find("quickshift_options.kernel_size") != std::string::npos);
    CHECK(q([&](auto& o) { o.kernel_size = nan; }).find("quickshift_options.kernel_size") != std::string::npos);
    CHECK(q([](auto& o) { o.max_dist = -1; }).find("quickshift_options.max_dist") != std::string::npos);
    CHECK(q([](auto& o) { o.ratio = -0.1; }).find("quickshift_options.ratio") != std::string::npos);
    CHECK(q([](auto& o) { o.sigma = -1; }).find("quickshift_options.sigma") != std::string::npos);
    CHECK(q([](auto& o) { o.num_threads = 0; }).find("quickshift_options.num_threads") != std::string::npos);
    auto f = [&](auto set) {
        pixlime::felzenszwalb_options o;
        set(o);
        return message([&] { (void)pixlime::felzenszwalb(img, o); });
    };
    CHECK(f([](auto& o) { o.scale = -1; }).find("felzenszwalb_options.scale") != std::string::npos);
    CHECK(f([&](auto& o) { o.scale = nan; }).find("felzenszwalb_options.scale") != std::string::npos);
    CHECK(f([](auto& o) { o.sigma = -0.1; }).find("felzenszwalb_options.sigma") != std::string::npos);
    CHECK(f([](auto& o) { o.min_size = -1; }).find("felzenszwalb_options.min_size") != std::string::npos);
    CHECK_THROWS_AS((void)pixlime::quickshift(pixlime::image_view<const float>()), pixlime::invalid_argument);
    CHECK_THROWS_AS((void)pixlime::felzenszwalb(pixlime::image_view<const float>()), pixlime::invalid_argument);
}
