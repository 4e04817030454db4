#include "dataset.hpp"

#include <pixlime/io.hpp>
#include <pixlime_app/inputs.hpp>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace wf {

const std::vector<std::string>& fashion_mnist_classes() {
    static const std::vector<std::string> names = {"t-shirt_top", "trouser", "pullover", "dress", "coat",
                                                   "sandal",      "shirt",   "sneaker",  "bag",   "ankle_boot"};
    return names;
}

namespace {

struct gz_closer {
    void operator()(gzFile_s* f) const { gzclose(f); }
};
using gz_ptr = std::unique_ptr<gzFile_s, gz_closer>;

gz_ptr open_gz(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");  // reads plain files too
    if (f == nullptr) throw std::runtime_error("cannot open IDX file '" + path + "'");
    return gz_ptr(f);
}

void read_exact(gzFile f, void* dst, std::size_t n, const std::string& path) {
    auto* out = static_cast<unsigned char*>(dst);
    while (n > 0) {
        const unsigned chunk = unsigned(std::min<std::size_t>(n, 1u << 30));
        const int got = gzread(f, out, chunk);
        if (got <= 0) throw std::runtime_error("IDX file '" + path + "' is truncated or corrupt");
        out += got;
        n -= std::size_t(got);
    }
}

std::uint32_t read_be32(gzFile f, const std::string& path) {
    std::array<unsigned char, 4> b{};
    read_exact(f, b.data(), 4, path);
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
}

int clamp_limit(std::uint32_t count, int limit) {
    if (count > 10'000'000u) throw std::runtime_error("IDX item count too large");
    return limit > 0 ? std::min(int(count), limit) : int(count);
}

}  // namespace

idx_images read_idx_images(const std::string& path, int limit) {
    gz_ptr f = open_gz(path);
    const std::uint32_t magic = read_be32(f.get(), path);
    if (magic != 0x00000803u)
        throw std::runtime_error("'" + path + "' is not an IDX3 unsigned-byte image file (magic " + std::to_string(magic) + ")");
    idx_images out;
    out.count = clamp_limit(read_be32(f.get(), path), limit);
    const std::uint32_t rows = read_be32(f.get(), path), cols = read_be32(f.get(), path);
    if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) throw std::runtime_error("'" + path + "': bad image size");
    out.rows = int(rows);
    out.cols = int(cols);
    out.pixels.resize(std::size_t(out.count) * rows * cols);
    read_exact(f.get(), out.pixels.data(), out.pixels.size(), path);
    return out;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path, int limit) {
    gz_ptr f = open_gz(path);
    const std::uint32_t magic = read_be32(f.get(), path);
    if (magic != 0x00000801u)
        throw std::runtime_error("'" + path + "' is not an IDX1 unsigned-byte label file (magic " + std::to_string(magic) + ")");
    std::vector<std::uint8_t> labels(std::size_t(clamp_limit(read_be32(f.get(), path), limit)));
    read_exact(f.get(), labels.data(), labels.size(), path);
    return labels;
}

namespace {

std::string find_idx(const std::string& dir, const std::string& stem) {
    for (const char* suffix : {".gz", ""}) {
        const fs::path p = fs::path(dir) / (stem + suffix);
        if (fs::exists(p)) return p.string();
    }
    throw std::runtime_error("Fashion-MNIST file '" + stem + "(.gz)' not found in '" + dir +
                             "' (Debian: apt-get install dataset-fashion-mnist)");
}

int write_split(const std::string& idx_dir, const std::string& stem, const std::string& split, const fs::path& out,
                int limit, const std::function<void(const std::string&)>& progress) {
    const idx_images imgs = read_idx_images(find_idx(idx_dir, stem + "-images-idx3-ubyte"), limit);
    const std::vector<std::uint8_t> labels = read_idx_labels(find_idx(idx_dir, stem + "-labels-idx1-ubyte"), limit);
    if (int(labels.size()) != imgs.count) throw std::runtime_error("Fashion-MNIST " + stem + ": image and label counts differ");
    const auto& names = fashion_mnist_classes();
    for (const auto& n : names) fs::create_directories(out / split / n);
    const std::size_t n_px = std::size_t(imgs.rows) * std::size_t(imgs.cols);
    std::atomic<int> done{0};
#pragma omp parallel for schedule(dynamic, 256)
    for (int i = 0; i < imgs.count; ++i) {
        if (labels[std::size_t(i)] >= names.size()) continue;  // checked below, outside the parallel loop
        char name[64];
        std::snprintf(name, sizeof name, "%s-%05d.png", split.c_str(), i);
        pixlime::image_view<const std::uint8_t> v(imgs.pixels.data() + std::size_t(i) * n_px, imgs.cols, imgs.rows, 1);
        pixlime::save_png((out / split / names[labels[std::size_t(i)]] / name).string(), v);
        ++done;
    }
    if (done != imgs.count) throw std::runtime_error("Fashion-MNIST " + stem + ": label outside 0..9");
    if (progress) progress("  " + split + ": " + std::to_string(imgs.count) + " images written");
    return imgs.count;
}

}  // namespace

namespace {

/// Whether `name` is a file name write_split gives: "<split>-NNNNN.png".
bool is_layout_file_name(const std::string& name, const std::string& split) {
    const std::string head = split + "-", tail = ".png";
    if (name.size() < head.size() + 5 + tail.size() || name.compare(0, head.size(), head) != 0 ||
        name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
        return false;
    for (std::size_t i = head.size(); i < name.size() - tail.size(); ++i)
        if (name[i] < '0' || name[i] > '9') return false;
    return true;
}

/// The files and folders of `<out>/<split>` that prepare wrote. Throws, naming the first
/// entry prepare did not write, when there is any: then nothing is removed.
std::vector<fs::path> own_layout_entries(const fs::path& out, const std::string& split) {
    std::vector<fs::path> files, dirs;
    const fs::path root = out / split;
    if (!fs::exists(fs::symlink_status(root))) return {};
    auto foreign = [&](const fs::path& p) {
        return std::runtime_error("'" + p.string() + "' was not written by pixlime_workflow prepare: the layout in '" +
                                  out.string() + "' is left as it is (move that away, or lay the data out in another --work)");
    };
    if (!fs::is_directory(fs::symlink_status(root))) throw foreign(root);
    const auto& names = fashion_mnist_classes();
    for (const auto& c : fs::directory_iterator(root)) {
        const std::string cls = c.path().filename().string();
        if (!c.is_directory() || c.is_symlink() || std::find(names.begin(), names.end(), cls) == names.end())
            throw foreign(c.path());
        for (const auto& f : fs::directory_iterator(c.path())) {
            if (!f.is_regular_file() || f.is_symlink() || !is_layout_file_name(f.path().filename().string(), split))
                throw foreign(f.path());
            files.push_back(f.path());
        }
        dirs.push_back(c.path());
    }
    dirs.push_back(root);
    files.insert(files.end(), dirs.begin(), dirs.end());  // files first, then the (then empty) folders
    return files;
}

}  // namespace

prepare_result prepare_fashion_mnist(const prepare_options& o, const std::function<void(const std::string&)>& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path out(o.data_dir);
    const fs::path stamp = out / ".prepared";
    nlohmann::ordered_json want = {{"source", "fashion-mnist"},
                                   {"idx_dir", o.idx_dir},
                                   {"train_limit", o.train_limit},
                                   {"validation_limit", o.validation_limit}};
    prepare_result r;
    // The stamp proves that train/ and validation/ are prepare's: without it they are not
    // touched. It is written before the first image (complete: false) and again at the end.
    bool ours = false;
    if (fs::exists(stamp)) {
        std::ifstream in(stamp);
        const nlohmann::ordered_json have = nlohmann::ordered_json::parse(in, nullptr, false);
        ours = have.is_object() && have.contains("request") && have["request"].is_object() &&
               have["request"].value("source", "") == "fashion-mnist";
        if (!ours)
            throw std::runtime_error("'" + stamp.string() + "' is not a stamp of pixlime_workflow prepare: '" + out.string() +
                                     "' is left as it is");
        const bool complete = have.value("complete", have.contains("train") && have.contains("validation"));
        if (complete && have["request"] == want) {
            r.train = have.value("train", 0);
            r.validation = have.value("validation", 0);
            r.skipped = true;
            return r;
        }
    } else {
        for (const char* split : {"train", "validation"})
            if (fs::exists(fs::symlink_status(out / split)))
                throw std::runtime_error("'" + (out / split).string() + "' exists but was not laid out by pixlime_workflow prepare (no stamp '" +
                                         stamp.string() + "'): it is left as it is. Move it away, or use the folder as your data "
                                         "with --data " + out.string());
    }
    // Another request over prepare's own layout: remove what prepare wrote (after checking
    // that nothing else is there), so that no stale image stays behind.
    std::vector<fs::path> remove;
    for (const char* split : {"train", "validation"}) {
        std::vector<fs::path> e = own_layout_entries(out, split);
        remove.insert(remove.end(), e.begin(), e.end());
    }
    for (const auto& p : remove) fs::remove(p);  // folders last: fs::remove fails on a non-empty one
    fs::create_directories(out);
    auto write_stamp = [&](const nlohmann::ordered_json& j) {
        const fs::path tmp = stamp.string() + ".tmp";
        {
            std::ofstream f(tmp, std::ios::trunc);
            f << j.dump(2) << "\n";
            if (!f) throw std::runtime_error("cannot write '" + tmp.string() + "'");
        }
        fs::rename(tmp, stamp);
    };
    write_stamp({{"request", want}, {"complete", false}});
    r.train = write_split(o.idx_dir, "train", "train", out, o.train_limit, progress);
    r.validation = write_split(o.idx_dir, "t10k", "validation", out, o.validation_limit, progress);
    write_stamp({{"request", want}, {"complete", true}, {"train", r.train}, {"validation", r.validation}});
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

folder_dataset scan_folder(const std::string& dir, const std::vector<std::string>& classes) {
    if (!fs::is_directory(dir)) throw std::runtime_error("data folder '" + dir + "' does not exist");
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory() && e.path().filename().string()[0] != '.') found.push_back(e.path().filename().string());
    std::sort(found.begin(), found.end());
    if (found.empty()) throw std::runtime_error("data folder '" + dir + "' has no class folder (expected <dir>/<class>/*.png)");
    folder_dataset d;
    d.classes = classes.empty() ? found : classes;
    for (const auto& c : found) {
        const auto it = std::find(d.classes.begin(), d.classes.end(), c);
        if (it == d.classes.end())
            throw std::runtime_error("folder '" + (fs::path(dir) / c).string() + "' is not one of the model's classes");
        const int label = int(it - d.classes.begin());
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(fs::path(dir) / c))
            if (e.is_regular_file() && pixlime::app::is_image_file(e.path())) names.push_back(e.path().string());
        std::sort(names.begin(), names.end());
        for (auto& n : names) d.files.push_back({std::move(n), label});
    }
    std::stable_sort(d.files.begin(), d.files.end(),
                     [](const labelled_file& a, const labelled_file& b) { return a.label < b.label; });
    return d;
}

std::vector<float> load_all(folder_dataset& data, const input_shape& shape, const std::function<void(int, int)>& progress,
                            std::vector<std::string>* skipped) {
    const int n = int(data.files.size());
    const std::size_t d = std::size_t(shape.size());
    std::vector<float> out(std::size_t(n) * d);
    std::vector<std::string> errors(static_cast<std::size_t>(n));
    std::atomic<int> done{0};
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < n; ++i) {
        try {
            const pixlime::image<float> img = load_standardized(data.files[std::size_t(i)].path, shape);
            std::copy(img.data(), img.data() + d, out.begin() + std::ptrdiff_t(std::size_t(i) * d));
        } catch (const std::exception& e) {
            errors[std::size_t(i)] = e.what();
        }
        const int k = ++done;
        if (progress && k % 5000 == 0) {
#pragma omp critical(wf_load_all_progress)
            progress(k, n);
        }
    }
    std::size_t kept = 0;
    std::vector<labelled_file> files;
    for (std::size_t i = 0; i < std::size_t(n); ++i) {
        if (!errors[i].empty()) {
            if (!skipped) throw std::runtime_error("loading the dataset failed: " + errors[i]);
            skipped->push_back(errors[i]);
            continue;
        }
        if (kept != i) std::copy_n(out.begin() + std::ptrdiff_t(i * d), d, out.begin() + std::ptrdiff_t(kept * d));
        files.push_back(std::move(data.files[i]));
        ++kept;
    }
    out.resize(kept * d);
    data.files = std::move(files);
    return out;
}

}  // namespace wf
