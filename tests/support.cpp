// The parts of tests/support.hpp that are compiled once.
#include "support.hpp"

#include <pixlime/detail/stb.hpp>

namespace test {

pixlime::segmentation load_label_png(const std::string& path) {
    int w = 0, h = 0, c = 0;
    std::unique_ptr<stbi_us, void (*)(void*)> px(stbi_load_16(path.c_str(), &w, &h, &c, 1), &stbi_image_free);
    REQUIRE_MESSAGE(px != nullptr, "cannot read " << path);
    return pixlime::segmentation::from_labels(w, h, px.get(), std::size_t(w) * std::size_t(h));
}

namespace {
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
}  // namespace

int check_against_skimage(const std::string& segmenter,
                          const std::function<pixlime::segmentation(const pixlime::image<std::uint8_t>&,
                                                                    const std::map<std::string, double>&)>& segment) {
    std::ifstream list(data_dir + "/skimage/fixtures.txt");
    REQUIRE(list.good());
    std::string line;
    int cases = 0;
    while (std::getline(list, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string file, name, params;
        int expected = 0;
        ls >> file >> name >> params >> expected;
        if (name != segmenter) continue;
        const std::string image_name = file.substr(0, file.find(name) - 1) + ".png";
#ifndef NDEBUG
        // Unoptimised (e.g. sanitizer) builds: two images only, quick shift on one.
        if (image_name != "chelsea_224.png" && image_name != "astronaut_224.png") continue;
        if (segmenter == "quickshift" && image_name != "chelsea_224.png") continue;
#endif
        CAPTURE(file);
        const pixlime::segmentation ours = segment(sample(image_name), parse_params(params));
        const pixlime::segmentation truth = load_label_png(data_dir + "/skimage/" + file);
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
    return cases;
}

}  // namespace test
