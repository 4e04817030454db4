// Issue 24's calibration grid: is explanation::stability (the estimate the adaptive stop relies
// on) the top-5 agreement that reruns with other seeds actually show, configuration by
// configuration, on photos, segmentations and models nobody tuned it on?
//
//   bench_calibration [--reruns 20] [--counts 300,1000,2000] [--ladder 100,150,200,300,400,500,700,1000,1400,2000]
//                     [--designs orthogonal] [--target 0.95] [--cap 2000] [--threads 2]
//                     [--photos astronaut,...] [--segmenters slic,quickshift] [--segments 25,50,100,200]
//                     [--fills black,mean] [--models linear,planted,softmax,interaction,step]
//                     [--csv calibration.csv] [--limit N] [--offset 0] [--alpha 1] [--precise-draws 0]
//                     [--cnn cnn.pt] [--replay 1] [--max-side 256]
//
// Grid: 8 photos (the 4 bundled 224x224 ones, and hubble_deep_field, ihc, motorcycle_left and
// retina from Debian's python3-skimage data, box-averaged to at most --max-side (256) pixels a side) x SLIC
// and quickshift at about 25, 50, 100 and 200 segments x black and segment-mean fills x five
// models:
//   linear       y = affine map to [0, 1] of s = sum_k m_k c_k, c_k segment k's contribution to
//                the fixture linear classifier's top logit (linear in the segment indicators m);
//   planted      the fixture planted classifier (sigmoid of the red mass in a rectangle);
//   softmax      the fixture linear classifier's softmax over its 5 logits, sharpened 4x so that it
//                saturates (the top class's probability on the photo is near 1);
//   interaction  0.25 (linear's y) + 0.75 x the mean of three AND terms m_a m_b over pairs of
//                neighbouring segments near the centre (no segment of a pair matters alone);
//   step         0.05 + 0.9 [s > the mean of s over random masks] (a threshold on linear's s);
//   cnn          (only when named in --models, with --cnn FILE) a real CNN: the TorchScript file
//                through the apps' libtorch backend on the perturbed photo itself, ImageNet's mean
//                and std, NCHW; its top class on the photo is explained. benchmarks/cli_vs_lime.py
//                --build-only writes cnn.pt (4 conv layers trained for a minute on the bundled photos).
// The fixture classifiers are functions of the pixels that are linear in each segment's pixels
// before their last nonlinearity, so each is computed from the masks exactly: per segment, its
// pixels' contribution on the photo minus on the filled photo. explain then runs on a stand-in
// image of one pixel per segment (kept 255, hidden 0) whose classifier reads the mask back: the
// samplers, kernel, fit, stability and adaptive stop are explain's own; the model's output is
// what the model gives on the real perturbed photo (checked at start-up against the pixel
// classifiers, printed as "stand-in check").
//
// Per configuration and sample count, --reruns explanations with seeds 1000, 1001, ...:
//   measured    mean top-5 Jaccard over every pair of reruns;
//   estimate    mean over reruns of stability(label, 5);
//   coverage    share of (rerun, segment) whose weight_intervals(label, 0.95), widened by
//               sqrt(1 + 1/(reruns - 1)), hold the mean of the other reruns' weights (the intervals
//               describe the spread over reruns; the other reruns' mean is that spread's centre
//               up to its own noise, which the widening accounts for);
// and for the adaptive stop (target_stability --target, num_samples --cap): median model calls,
// how many reached the target, the rerun Jaccard of the stopped explanations, and the smallest
// --ladder count whose measured Jaccard reaches the target.
// --alpha: weighted_ridge's penalty (lime's 1); --precise-draws D: also the mean and spread of
// stability(label, 5, D), to tell the simulation's own noise from the estimate's.
// --limit N: N configurations spread evenly over the grid instead of all of them (configurations
// i * 640 / N + --offset J: with N = 320, J = 1 takes the ones J = 0 leaves out).
// --replay 0: skip the replay of stopping rules (runs to the cap; the costliest part with a CNN).
// The replay tries rules on the estimates a run to the cap has at each of the stop's rounds (first =
// explain's own; stop_rules below), "give_up" among them: also stop, target not reached, once a
// projection to the cap stays well below the target. BENCH_CALIBRATION_DUMP=FILE writes those rounds
// (JSON lines, one per configuration) for benchmarks/stop_rules.py.
// Output: one CSV row per configuration and design (--csv), a summary on stdout. Progress on stderr.
#include <pixlime/pixlime.hpp>

#include "classifiers.hpp"
#include "measures.hpp"

#ifdef PIXLIME_BENCH_WITH_TORCH
#include <pixlime_app/backend.hpp>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

using bench::mean_pairwise_jaccard;
using bench::median;
using bench::split;
using bench::split_ints;
using bench::top_set;

// ---------------------------------------------------------------------------------------------
// Photos

pixlime::image<std::uint8_t> box_downsample(const pixlime::image<std::uint8_t>& img, int max_side) {
    const int f = std::max(1, (std::max(img.width(), img.height()) + max_side - 1) / max_side);
    if (f == 1) return img;
    const int w = img.width() / f, h = img.height() / f, c = img.channels();
    pixlime::image<std::uint8_t> out(w, h, c);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int ch = 0; ch < c; ++ch) {
                int sum = 0;
                for (int dy = 0; dy < f; ++dy)
                    for (int dx = 0; dx < f; ++dx)
                        sum += img.data()[(std::size_t(y * f + dy) * std::size_t(img.width()) + std::size_t(x * f + dx)) * std::size_t(c) + std::size_t(ch)];
                out.data()[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * std::size_t(c) + std::size_t(ch)] = std::uint8_t((sum + f * f / 2) / (f * f));
            }
    return out;
}

struct photo {
    std::string name;
    pixlime::image<std::uint8_t> img;
};

std::vector<photo> load_photos(const std::vector<std::string>& wanted, int max_side) {
    const std::string bundled = PIXLIME_SAMPLE_IMAGES;
    const char* env = std::getenv("PIXLIME_SKIMAGE_DATA");
    const std::string skimage = env ? env : "/usr/lib/python3/dist-packages/skimage/data";
    const std::vector<std::pair<std::string, std::string>> all = {
        {"astronaut", bundled + "/astronaut_224.png"},     {"chelsea", bundled + "/chelsea_224.png"},
        {"coffee", bundled + "/coffee_224.png"},           {"rocket", bundled + "/rocket_224.png"},
        {"hubble", skimage + "/hubble_deep_field.jpg"},    {"ihc", skimage + "/ihc.png"},
        {"motorcycle", skimage + "/motorcycle_left.png"}, {"retina", skimage + "/retina.jpg"}};
    std::vector<photo> out;
    for (const auto& [name, path] : all) {
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
        try {
            out.push_back({name, box_downsample(pixlime::load_image(path, 3), max_side)});
        } catch (const std::exception& e) {
            std::fprintf(stderr, "skipping photo %s: %s (Debian: apt-get install python3-skimage)\n", name.c_str(), e.what());
        }
    }
    return out;
}

// quickshift's segment count falls as kernel_size grows: the kernel size whose count is nearest
// (in ratio) to `target`.
pixlime::segmentation quickshift_near(const pixlime::image<std::uint8_t>& img, int target) {
    pixlime::segmentation best;
    double best_gap = 1e300;
    for (const double ks : {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0}) {
        pixlime::quickshift_options o;
        o.kernel_size = ks;
        o.max_dist = 200;
        pixlime::segmentation s = pixlime::quickshift(img, o);
        const double gap = std::abs(std::log(double(s.count()) / target));
        if (gap < best_gap) best_gap = gap, best = std::move(s);
        if (s.count() < target / 2) break;
    }
    return best;
}

// ---------------------------------------------------------------------------------------------
// Models over the segment indicators

// What each segment's pixels contribute to the fixture classifiers, photo minus filled photo.
struct contributions {
    Eigen::Matrix<double, 5, 1> z_fill;  // the linear classifier's logits with every segment hidden
    Eigen::MatrixXd z;                   // 5 x K: segment k kept adds z.col(k)
    double m_fill = 0;                   // planted's mean red with every segment hidden
    Eigen::VectorXd m;                   // K: segment k kept adds m[k]
};

contributions contributions_of(const pixlime::image<std::uint8_t>& img, const pixlime::image<std::uint8_t>& filled,
                               const pixlime::segmentation& seg, const Eigen::Matrix<double, 5, 256, Eigen::RowMajor>& w) {
    const int width = img.width(), height = img.height(), k = seg.count();
    contributions c;
    // linear: f[t] = mean over cell t of gray; kept segment k adds (gray - gray_fill) / |cell| per pixel.
    Eigen::MatrixXd d = Eigen::MatrixXd::Zero(256, k);
    Eigen::Matrix<double, 256, 1> f_fill = pixlime::test::linear_features(filled.data(), width, height, 3);
    const auto gray = [](const std::uint8_t* p) { return ((0.299 * double(p[0]) + 0.587 * double(p[1])) + 0.114 * double(p[2])) / 255.0; };
    const int y0 = height / 4, y1 = height / 2, x0 = width / 4, x1 = width / 2;
    const double n_rect = double(y1 - y0) * double(x1 - x0);
    c.m = Eigen::VectorXd::Zero(k);
    double red_fill = 0;
    for (int y = 0; y < height; ++y) {
        const int i = [&] { for (int r = 0; r < 16; ++r) if (y < (r + 1) * height / 16) return r; return 15; }();
        for (int x = 0; x < width; ++x) {
            const int j = [&] { for (int r = 0; r < 16; ++r) if (x < (r + 1) * width / 16) return r; return 15; }();
            const int cell_px = ((i + 1) * height / 16 - i * height / 16) * ((j + 1) * width / 16 - j * width / 16);
            const std::uint8_t* p = img.data() + (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3;
            const std::uint8_t* q = filled.data() + (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3;
            const int s = seg.label(x, y);
            d(i * 16 + j, s) += (gray(p) - gray(q)) / cell_px;
            if (y >= y0 && y < y1 && x >= x0 && x < x1) {
                c.m[s] += (double(p[0]) - double(q[0])) / (n_rect * 255.0);
                red_fill += double(q[0]);
            }
        }
    }
    c.z_fill = 0.25 * (w * (f_fill.array() - 0.5).matrix());
    c.z = 0.25 * (w * d);
    c.m_fill = red_fill / (n_rect * 255.0);
    return c;
}

enum class model_kind { linear, planted, softmax, interaction, step, cnn };
model_kind parse_model(const std::string& s) {
    if (s == "cnn") return model_kind::cnn;
    if (s == "linear") return model_kind::linear;
    if (s == "planted") return model_kind::planted;
    if (s == "softmax") return model_kind::softmax;
    if (s == "interaction") return model_kind::interaction;
    if (s == "step") return model_kind::step;
    std::fprintf(stderr, "unknown model %s\n", s.c_str());
    std::exit(2);
}

// One model over masks; outputs #classes columns; `label` is the explained class.
struct mask_model {
    model_kind kind;
    contributions c;
    int top = 0;                               // the linear classifier's top class on the photo
    Eigen::VectorXd lin;                       // linear's c_k (the top logit's contributions)
    double lo = 0, hi = 1, threshold = 0;      // linear's affine map; step's threshold on s
    std::vector<std::pair<int, int>> pairs;    // interaction's AND pairs
    int classes() const { return kind == model_kind::softmax ? 5 : 2; }
    int label() const { return kind == model_kind::softmax ? top : 1; }

    Eigen::RowVectorXd operator()(const std::vector<std::uint8_t>& m) const {
        Eigen::RowVectorXd out(classes());
        const auto linear_y = [&] {
            double s = 0;
            for (std::size_t k = 0; k < m.size(); ++k) s += m[k] * lin[Eigen::Index(k)];
            return s;
        };
        switch (kind) {
            case model_kind::linear: {
                const double y = (linear_y() - lo) / (hi - lo);
                out << 1 - y, y;
                break;
            }
            case model_kind::planted: {
                double red = c.m_fill;
                for (std::size_t k = 0; k < m.size(); ++k) red += m[k] * c.m[Eigen::Index(k)];
                const double p1 = 1.0 / (1.0 + std::exp(-10.0 * (red - 0.3)));
                out << 1 - p1, p1;
                break;
            }
            case model_kind::softmax: {
                Eigen::Matrix<double, 5, 1> z = c.z_fill;
                for (std::size_t k = 0; k < m.size(); ++k)
                    if (m[k]) z += c.z.col(Eigen::Index(k));
                z *= 4.0;
                const Eigen::Matrix<double, 5, 1> e = (z.array() - z.maxCoeff()).exp().matrix();
                out = (e / e.sum()).transpose();
                break;
            }
            case model_kind::interaction: {
                double and_terms = 0;
                for (const auto& [a, b] : pairs) and_terms += m[std::size_t(a)] * m[std::size_t(b)];
                const double y = 0.25 * (linear_y() - lo) / (hi - lo) + 0.75 * and_terms / double(pairs.size());
                out << 1 - y, y;
                break;
            }
            case model_kind::step: {
                const double y = linear_y() > threshold ? 0.95 : 0.05;
                out << 1 - y, y;
                break;
            }
            case model_kind::cnn: break;  // not a model over masks: run on the photo (cnn_classifier)
        }
        return out;
    }
};

// Three pairs of neighbouring segments nearest the image centre (by the pair's centroid).
std::vector<std::pair<int, int>> central_pairs(const pixlime::segmentation& seg) {
    const int k = seg.count(), w = seg.width(), h = seg.height();
    std::vector<double> cx(std::size_t(k), 0), cy(std::size_t(k), 0), n(std::size_t(k), 0);
    std::set<std::pair<int, int>> adjacent;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int s = seg.label(x, y);
            cx[std::size_t(s)] += x, cy[std::size_t(s)] += y, n[std::size_t(s)] += 1;
            if (x + 1 < w && seg.label(x + 1, y) != s) adjacent.insert(std::minmax(s, seg.label(x + 1, y)));
            if (y + 1 < h && seg.label(x, y + 1) != s) adjacent.insert(std::minmax(s, seg.label(x, y + 1)));
        }
    std::vector<std::pair<double, std::pair<int, int>>> by_distance;
    for (const auto& p : adjacent) {
        const auto [a, b] = p;
        const double px = (cx[std::size_t(a)] / n[std::size_t(a)] + cx[std::size_t(b)] / n[std::size_t(b)]) / 2 - w / 2.0;
        const double py = (cy[std::size_t(a)] / n[std::size_t(a)] + cy[std::size_t(b)] / n[std::size_t(b)]) / 2 - h / 2.0;
        by_distance.push_back({px * px + py * py, p});
    }
    std::sort(by_distance.begin(), by_distance.end());
    std::vector<std::pair<int, int>> out;
    std::set<int> used;
    for (const auto& [d, p] : by_distance) {
        if (used.count(p.first) || used.count(p.second)) continue;
        out.push_back(p);
        used.insert(p.first), used.insert(p.second);
        if (out.size() == 3) break;
    }
    return out;
}

mask_model make_model(model_kind kind, const contributions& c, const pixlime::segmentation& seg) {
    mask_model m;
    m.kind = kind;
    m.c = c;
    Eigen::Matrix<double, 5, 1> z_photo = c.z_fill + c.z.rowwise().sum();
    z_photo.maxCoeff(&m.top);
    m.lin = c.z.row(m.top).transpose();
    m.lo = m.lin.cwiseMin(0.0).sum();
    m.hi = m.lin.cwiseMax(0.0).sum();
    if (m.hi - m.lo < 1e-12) m.hi = m.lo + 1;
    m.threshold = 0.5 * m.lin.sum();
    if (kind == model_kind::interaction) m.pairs = central_pairs(seg);
    return m;
}

// The stand-in image's classifier: pixel k of each image is 255 when segment k is kept.
struct stand_in_classifier {
    const mask_model* model;
    template <class T>
    Eigen::MatrixXd operator()(pixlime::batch_view<const T> batch) const {
        Eigen::MatrixXd out(batch.size(), model->classes());
        std::vector<std::uint8_t> m(std::size_t(batch.width()));
        for (int i = 0; i < batch.size(); ++i) {
            const T* px = batch.image_data(i);
            for (int k = 0; k < batch.width(); ++k) m[std::size_t(k)] = px[k] > T(127) ? 1 : 0;
            out.row(i) = (*model)(m);
        }
        return out;
    }
};

#ifdef PIXLIME_BENCH_WITH_TORCH
// The "cnn" model: a TorchScript file through the apps' libtorch backend, on the perturbed photo
// itself (ImageNet's mean and std, NCHW floats: as benchmarks/cli_vs_lime.py's models take it).
struct cnn_classifier {
    pixlime::app::model_backend* model;
    Eigen::MatrixXf operator()(pixlime::batch_view<const float> batch) const { return model->classify(batch); }
};

pixlime::model_input cnn_input() {
    pixlime::model_input m;
    m.to_float = true;
    m.layout = pixlime::layout::nchw;
    m.scale = 1.0 / 255.0;
    m.mean = {0.485, 0.456, 0.406};
    m.stddev = {0.229, 0.224, 0.225};
    return m;
}
#endif

// ---------------------------------------------------------------------------------------------
// One configuration

struct config {
    std::size_t photo = 0;
    std::string segmenter, fill, model;
    int target_segments = 0;
};

struct count_result {
    int samples = 0;
    double measured = 0, estimate = 0, estimate_sd = 0, coverage = 0, calls = 0, precise = 0, precise_sd = 0;
};

struct config_result {
    std::string name, design;
    int segments = 0;
    std::vector<count_result> counts;
    double adaptive_calls = 0, adaptive_reached = 0, adaptive_jaccard = 0, adaptive_estimate = 0;
    int smallest_reaching = 0;  // 0: no ladder count reached the target
    struct policy_result {
        std::string name;
        double calls, reached, jaccard;
    };
    std::vector<policy_result> policies;
    std::string trajectories;  // BENCH_CALIBRATION_DUMP's line
};

// A run's trajectory under the stop: at each round end, its sample count, the estimate the stop
// computes, and a projection to the cap: the reruns' noise scaled by sqrt(end / cap), their
// centre drawn around the weights with the run's own spread (the mean Jaccard of the SIMEX
// "twice" level: a posterior-predictive guess of the stability a run to the cap would have).
struct trajectory {
    std::vector<int> ends;
    std::vector<double> est, at_cap;
};
// Stopping rules over a trajectory's rounds 0..i: 1 to stop at round i with the target
// reached, -1 to stop saying it cannot be reached within the cap, 0 to go on.
using stop_rule = std::function<int(const trajectory&, std::size_t, double)>;
std::vector<std::pair<std::string, stop_rule>> stop_rules(int cap) {
    return {
        {"first", [](const trajectory& r, std::size_t i, double t) { return r.est[i] >= t ? 1 : 0; }},
        {"twice", [](const trajectory& r, std::size_t i, double t) { return i > 0 && r.est[i] >= t && r.est[i - 1] >= t ? 1 : 0; }},
        {"not_first", [](const trajectory& r, std::size_t i, double t) { return i > 0 && r.est[i] >= t ? 1 : 0; }},
        {"margin2", [](const trajectory& r, std::size_t i, double t) { return r.est[i] >= t + 0.02 ? 1 : 0; }},
        {"margin4", [](const trajectory& r, std::size_t i, double t) { return r.est[i] >= std::min(1.0, t + 0.04) ? 1 : 0; }},
        // "first", and give up once the projection to the cap has been below target - 0.1 at four
        // rounds in a row, none before a fifth of the cap (the best of the give-up rules tried).
        {"give_up", [cap](const trajectory& r, std::size_t i, double t) {
             if (r.est[i] >= t) return 1;
             if (i < 3 || r.ends[i] < cap / 5 || r.ends[i] >= cap) return 0;
             for (std::size_t j = i - 3; j <= i; ++j)
                 if (r.at_cap[j] >= t - 0.1) return 0;
             return -1;
         }},
    };
}

struct settings {
    int reruns = 20, cap = 2000;
    bool replay = true;  // replay the stopping rules on runs to the cap (--replay 0: not)
    double target = 0.95;
    double alpha = 1.0;  // weighted_ridge's penalty (lime's Ridge(alpha=1) by default)
    int precise_draws = 0;  // also the stability with this many simulated pairs (0: not)
    std::vector<int> counts = {300, 1000, 2000};
    std::vector<int> ladder = {100, 150, 200, 300, 400, 500, 700, 1000, 1400, 2000};
};

pixlime::sampler design(const std::string& name) { return pixlime::parse_sampling(name, "--designs"); }

// explain on one configuration's image, segments and model with the options given.
using explain_fn = std::function<pixlime::explanation(const pixlime::explain_options&)>;

// The options every run of a configuration shares; the caller's explain_fn adds image and model.
pixlime::explain_options base_options(int label, const std::string& d, const settings& set) {
    pixlime::explain_options base;
    base.num_threads = 1;
    base.batch_size = 256;
    base.labels = {label};
    base.sampler = design(d);
    base.surrogate = pixlime::weighted_ridge{set.alpha};
    return base;
}

// A model over masks, on its stand-in: one pixel per segment.
explain_fn stand_in_explain(const mask_model& model, int k) {
    pixlime::image<std::uint8_t> stand_in(k, 1, 1);
    std::fill(stand_in.data(), stand_in.data() + k, std::uint8_t(255));
    std::vector<std::int32_t> ids(static_cast<std::size_t>(k));
    std::iota(ids.begin(), ids.end(), 0);
    pixlime::segmentation seg(k, 1, ids);
    return [stand_in = std::move(stand_in), seg = std::move(seg), model](const pixlime::explain_options& o) {
        pixlime::explain_options with_fill = o;
        with_fill.fill = pixlime::constant_fill{{0}};
        return pixlime::explain(stand_in, seg, stand_in_classifier{&model}, with_fill);
    };
}

config_result run_config(const explain_fn& run, int k, int label, const std::string& name, const std::string& d, const settings& set) {
    const pixlime::explain_options base = base_options(label, d, set);

    config_result r;
    r.name = name;
    r.design = d;
    r.segments = k;
    std::vector<int> all_counts = set.counts;
    for (int n : set.ladder) all_counts.push_back(n);
    std::sort(all_counts.begin(), all_counts.end());
    all_counts.erase(std::unique(all_counts.begin(), all_counts.end()), all_counts.end());
    for (const int n : all_counts) {
        pixlime::explain_options o = base;
        o.num_samples = n;
        std::vector<Eigen::VectorXd> w;
        std::vector<Eigen::VectorXd> se;
        std::vector<double> stab, precise;
        std::vector<std::vector<int>> tops;
        double calls = 0;
        const bool calibrate = std::count(set.counts.begin(), set.counts.end(), n) > 0;
        for (int s = 0; s < set.reruns; ++s) {
            o.seed = std::uint64_t(1000 + s);
            const pixlime::explanation ex = run(o);
            w.push_back(ex.weights(label));
            tops.push_back(top_set(w.back(), 5));
            calls += ex.model_calls();
            if (calibrate) {
                se.push_back(ex.standard_errors(label));
                stab.push_back(ex.stability(label, 5));
                if (set.precise_draws > 0) precise.push_back(ex.stability(label, 5, set.precise_draws));
            }
        }
        count_result c;
        c.samples = n;
        c.measured = mean_pairwise_jaccard(tops);
        c.calls = calls / set.reruns;
        if (calibrate) {
            c.estimate = std::accumulate(stab.begin(), stab.end(), 0.0) / double(stab.size());
            double var = 0;
            for (double x : stab) var += (x - c.estimate) * (x - c.estimate);
            c.estimate_sd = std::sqrt(var / std::max<double>(1, double(stab.size()) - 1));
            if (!precise.empty()) {
                c.precise = std::accumulate(precise.begin(), precise.end(), 0.0) / double(precise.size());
                double pv = 0;
                for (double x : precise) pv += (x - c.precise) * (x - c.precise);
                c.precise_sd = std::sqrt(pv / std::max<double>(1, double(precise.size()) - 1));
            }
            Eigen::VectorXd sum = Eigen::VectorXd::Zero(k);
            for (const auto& x : w) sum += x;
            const double z = pixlime::detail::normal_quantile(0.975) * std::sqrt(1.0 + 1.0 / (set.reruns - 1));
            double covered = 0;
            for (int s = 0; s < set.reruns; ++s) {
                const Eigen::VectorXd others = (sum - w[std::size_t(s)]) / double(set.reruns - 1);
                for (int j = 0; j < k; ++j)
                    covered += std::abs(w[std::size_t(s)][j] - others[j]) <= z * se[std::size_t(s)][j] + 1e-12 * (1 + std::abs(others[j])) ? 1 : 0;
            }
            c.coverage = covered / (double(set.reruns) * k);
            r.counts.push_back(c);
        }
        if (!r.smallest_reaching && c.measured >= set.target && std::count(set.ladder.begin(), set.ladder.end(), n)) r.smallest_reaching = n;
    }
    if (set.target > 0) {
        pixlime::explain_options o = base;
        o.num_samples = set.cap;
        o.target_stability = set.target;
        std::vector<std::vector<int>> tops;
        std::vector<double> calls;
        double reached = 0, est = 0;
        for (int s = 0; s < set.reruns; ++s) {
            o.seed = std::uint64_t(1000 + s);
            const pixlime::explanation ex = run(o);
            tops.push_back(top_set(ex.weights(label), 5));
            calls.push_back(ex.model_calls());
            reached += ex.target_reached();
            est += ex.stability(label, 5);
        }
        r.adaptive_calls = median(calls);
        r.adaptive_reached = reached / set.reruns;
        r.adaptive_jaccard = mean_pairwise_jaccard(tops);
        r.adaptive_estimate = est / set.reruns;
    }
    if (set.target > 0 && set.replay) {
        // The stop's trajectory: the same rounds replayed from a run to the cap (the estimate at each
        // round end, as the stop computes it), to compare stopping rules on the same draws.
        pixlime::explain_options full = base;
        full.num_samples = set.cap;
        // As a custom sampler the design is never enumerated (the stop does not enumerate beyond
        // its first round either).
        // The stop's own draws: orthogonal's come as consecutive complete arrays with the stop on.
        const pixlime::sampling mode = pixlime::parse_sampling(d);
        pixlime::explain_options stop = base;  // the real stop's options, asked what it draws and how it fits
        stop.num_samples = set.cap;
        stop.target_stability = set.target;
        const bool blocks = pixlime::detail::adaptive_orthogonal_blocks(stop, k);
        full.sampler = [mode, blocks](int n, int kk, std::uint64_t seed) {
            return blocks ? pixlime::detail::orthogonal_block_masks(n, kk, seed) : pixlime::sample_masks(mode, n, kk, seed);
        };
        const std::int64_t stop_order = pixlime::detail::planned_summary(stop, k).orthogonal_order;
        std::vector<trajectory> runs;
        // BENCH_CALIBRATION_DUMP=FILE: every run's rounds as a JSON line per configuration (round end,
        // the estimate's two SIMEX levels now and projected to the cap, the top 5).
        const bool dumping = std::getenv("BENCH_CALIBRATION_DUMP") != nullptr;
        std::ostringstream dump;
        dump.precision(4);
        std::vector<std::vector<std::vector<int>>> top_by_round;
        const std::vector<int> ends = pixlime::detail::round_ends(set.cap, k, true);
        for (int s = 0; s < set.reruns; ++s) {
            full.seed = std::uint64_t(1000 + s);
            const pixlime::explanation ex = run(full);
            pixlime::sampling_summary summary = pixlime::detail::planned_summary(full, k);
            summary.orthogonal_order = stop_order;  // the built-in sampler's, which a custom callable does not get
            trajectory e;
            std::vector<std::vector<int>> t;
            for (const int end : ends) {
                const pixlime::mask_matrix used = ex.samples().topRows(end);
                const Eigen::VectorXd sw = pixlime::detail::sample_weights(full, summary, used);
                const Eigen::MatrixXd target = ex.predictions().col(label).head(end);
                const auto fits = pixlime::detail::fit_labels(full, used, sw, target, {label});
                const Eigen::MatrixXd spread = pixlime::detail::fit_spread(summary, used, sw, target.col(0), fits[0]);
                const std::uint64_t sim_seed = pixlime::detail::stability_seed(full.seed, label);
                const double f = std::sqrt(double(end) / double(set.cap));
                std::pair<double, double> now, cap;
                e.ends.push_back(end);
                e.est.push_back(pixlime::detail::simulated_stability(fits[0].weights, spread, std::min(5, k), 200, sim_seed, 1.0, &now));
                pixlime::detail::simulated_stability(fits[0].weights, spread, std::min(5, k), 200, sim_seed, f, &cap);
                e.at_cap.push_back(cap.second);
                t.push_back(top_set(fits[0].weights, 5));
                if (dumping) {
                    dump << (end == ends.front() ? (s == 0 ? "{\"config\":\"" + r.name + "\",\"k\":" + std::to_string(k) + ",\"runs\":[[" : ",[") : ",")
                         << "[" << end << "," << now.first << "," << now.second << "," << cap.first << "," << cap.second;
                    for (const int i : t.back()) dump << "," << i;
                    dump << "]" << (end == ends.back() ? "]" : "");
                }
            }
            if (std::getenv("BENCH_CALIBRATION_TRACE")) {  // the estimate at each round end, for a look at one configuration
                std::fprintf(stderr, "trace seed %d:", s);
                for (std::size_t i = 0; i < e.est.size(); ++i) std::fprintf(stderr, " %d:%.3f/%.3f", ends[i], e.est[i], e.at_cap[i]);
                std::fprintf(stderr, "\n");
            }
            runs.push_back(e);
            top_by_round.push_back(t);
        }
        for (const auto& [policy, rule] : stop_rules(set.cap)) {
            std::vector<std::vector<int>> stopped;
            std::vector<double> c;
            double got = 0;
            for (int s = 0; s < set.reruns; ++s) {
                std::size_t at = ends.size() - 1;
                bool ok = false;
                for (std::size_t i = 0; i < ends.size(); ++i)
                    if (const int says = rule(runs[std::size_t(s)], i, set.target); says != 0) {
                        at = i, ok = says > 0;
                        break;
                    }
                stopped.push_back(top_by_round[std::size_t(s)][at]);
                c.push_back(ends[at]);
                got += ok;
            }
            r.policies.push_back({policy, median(c), got / set.reruns, mean_pairwise_jaccard(stopped)});
        }
        if (dumping) {
            dump << "],\"smallest\":" << r.smallest_reaching << "}\n";
            r.trajectories = dump.str();
        }
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    settings set;
    int threads = 2, limit = 0, offset = 0, max_side = 256;
    std::vector<std::string> designs = {"orthogonal"}, photos_wanted, segmenters = {"slic", "quickshift"}, fills = {"black", "mean"},
                             models = {"linear", "planted", "softmax", "interaction", "step"};
    std::vector<int> segment_targets = {25, 50, 100, 200};
    std::string csv_path = "calibration.csv", cnn_path;
    if ((argc - 1) % 2) {
        std::fprintf(stderr, "flags come in pairs: --flag value (see the file comment)\n");
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], v = argv[i + 1];
        if (flag == "--reruns") set.reruns = std::atoi(v.c_str());
        else if (flag == "--counts") set.counts = split_ints(v);
        else if (flag == "--ladder") set.ladder = v == "none" ? std::vector<int>{} : split_ints(v);
        else if (flag == "--designs") designs = split(v);
        else if (flag == "--target") set.target = std::atof(v.c_str());
        else if (flag == "--alpha") set.alpha = std::atof(v.c_str());
        else if (flag == "--precise-draws") set.precise_draws = std::atoi(v.c_str());
        else if (flag == "--cap") set.cap = std::atoi(v.c_str());
        else if (flag == "--threads") threads = std::max(1, std::atoi(v.c_str()));
        else if (flag == "--photos") photos_wanted = split(v);
        else if (flag == "--segmenters") segmenters = split(v);
        else if (flag == "--segments") segment_targets = split_ints(v);
        else if (flag == "--fills") fills = split(v);
        else if (flag == "--models") models = split(v);
        else if (flag == "--csv") csv_path = v;
        else if (flag == "--cnn") cnn_path = v;
        else if (flag == "--max-side") max_side = std::max(16, std::atoi(v.c_str()));
        else if (flag == "--replay") set.replay = std::atoi(v.c_str()) != 0;
        else if (flag == "--limit") limit = std::atoi(v.c_str());
        else if (flag == "--offset") offset = std::max(0, std::atoi(v.c_str()));
        else {
            std::fprintf(stderr, "unknown flag %s (see the file comment)\n", flag.c_str());
            return 2;
        }
    }
    if (set.reruns < 2) {
        std::fprintf(stderr, "--reruns must be at least 2\n");
        return 2;
    }
    for (const auto& m : models) parse_model(m);
    const bool want_cnn = std::find(models.begin(), models.end(), "cnn") != models.end();
#ifdef PIXLIME_BENCH_WITH_TORCH
    if (want_cnn && cnn_path.empty()) {
        std::fprintf(stderr, "--models cnn needs --cnn FILE.pt (benchmarks/cli_vs_lime.py --build-only writes cnn.pt)\n");
        return 2;
    }
    // One model per worker thread, each running on its thread alone.
    std::vector<std::unique_ptr<pixlime::app::model_backend>> cnns;
    if (want_cnn)
        for (int t = 0; t < threads; ++t) cnns.push_back(pixlime::app::open_model(cnn_path, "torch", 1));
#else
    if (want_cnn) {
        std::fprintf(stderr, "--models cnn: this build has no libtorch (Debian: apt-get install libtorch-dev, then rebuild)\n");
        return 2;
    }
#endif
    for (const auto& d : designs) design(d);
    const auto t_start = clock_type::now();
    const std::vector<photo> photos = load_photos(photos_wanted, max_side);
    const auto w = pixlime::test::linear_weights();

    // Segmentations and contributions, once per photo, segmenter, segment count and fill.
    struct prepared {
        std::string name;
        int k;
        pixlime::segmentation seg;
        contributions c;
        std::size_t photo;
        pixlime::fill fill;
    };
    std::vector<prepared> prep;
    double worst_check = 0;
    for (std::size_t pi = 0; pi < photos.size(); ++pi)
        for (const auto& sname : segmenters)
            for (const int target : segment_targets) {
                const photo& p = photos[pi];
                pixlime::segmentation seg;
                if (sname == "slic") {
                    pixlime::slic_options o;
                    o.num_segments = target;
                    seg = pixlime::slic(p.img, o);
                } else {
                    seg = quickshift_near(p.img, target);
                }
                for (const auto& f : fills) {
                    const pixlime::fill fill = f == "black" ? pixlime::fill(pixlime::constant_fill{{0}}) : pixlime::fill(pixlime::segment_mean_fill{});
                    const pixlime::image<std::uint8_t> filled = pixlime::detail::call_fill("fill", fill, p.img.view(), seg);
                    prepared x{p.name + "/" + sname + std::to_string(target) + "/" + f, seg.count(), seg,
                               contributions_of(p.img, filled, seg, w), pi, fill};
                    // Stand-in check: the exact models against the pixel classifiers on a few masks.
                    const pixlime::test::linear_classifier linear;
                    const pixlime::perturber<std::uint8_t> perturb(p.img.view(), filled.view(), seg);
                    pixlime::detail::splitmix64 gen{42};
                    for (int t = 0; t < 3; ++t) {
                        std::vector<std::uint8_t> m(std::size_t(seg.count()));
                        for (auto& b : m) b = std::uint8_t(gen() >> 63);
                        pixlime::image<std::uint8_t> img(p.img.width(), p.img.height(), 3);
                        perturb.render(m.data(), img.data());
                        const auto pv = pixlime::test::planted_probabilities(img.data(), img.width(), img.height(), 3);
                        const auto lv = linear.probabilities(img.data(), img.width(), img.height(), 3);
                        const mask_model mp = make_model(model_kind::planted, x.c, seg);
                        const Eigen::RowVectorXd a = mp(m);
                        worst_check = std::max(worst_check, (a - pv).cwiseAbs().maxCoeff());
                        // softmax at 1x: compare the logits' softmax
                        Eigen::Matrix<double, 5, 1> z = x.c.z_fill;
                        for (std::size_t k = 0; k < m.size(); ++k)
                            if (m[k]) z += x.c.z.col(Eigen::Index(k));
                        const Eigen::Matrix<double, 5, 1> e = (z.array() - z.maxCoeff()).exp().matrix();
                        worst_check = std::max(worst_check, ((e / e.sum()).transpose() - lv).cwiseAbs().maxCoeff());
                    }
                    prep.push_back(std::move(x));
                }
                std::fprintf(stderr, "segmented %s %s %d: %d segments (%.0f s)\n", p.name.c_str(), sname.c_str(), target,
                             prep.back().k, std::chrono::duration<double>(clock_type::now() - t_start).count());
            }
    std::fprintf(stderr, "stand-in check: largest difference from the pixel classifiers %.3g\n", worst_check);

    struct job {
        std::size_t prep;
        model_kind kind;
        std::string model, design;
    };
    std::vector<job> jobs;
    for (std::size_t i = 0; i < prep.size(); ++i)
        for (const auto& m : models)
            for (const auto& d : designs) jobs.push_back({i, parse_model(m), m, d});
    if (limit > 0 && std::size_t(limit) < jobs.size()) {
        // An even spread over the grid rather than its first configurations.
        std::vector<job> some;
        for (int i = 0; i < limit; ++i) some.push_back(jobs[(std::size_t(i) * jobs.size() / std::size_t(limit) + offset) % jobs.size()]);
        jobs = some;
    }
    std::vector<config_result> results(jobs.size());
    std::atomic<std::size_t> next{0};
    std::mutex io;
    std::size_t finished = 0;
    const auto worker = [&](int thread) {
        for (std::size_t j; (j = next++) < jobs.size();) {
            const job& jb = jobs[j];
            const prepared& p = prep[jb.prep];
            const std::string name = p.name + "/" + jb.model;
            if (jb.kind == model_kind::cnn) {
#ifdef PIXLIME_BENCH_WITH_TORCH
                const cnn_classifier classify{cnns[std::size_t(thread)].get()};
                const pixlime::image<std::uint8_t>& img = photos[p.photo].img;
                const explain_fn run = [&](const pixlime::explain_options& o) {
                    pixlime::explain_options with = o;
                    with.batch_size = 32;  // a CNN's activations for 256 images would be hundreds of MB
                    with.fill = p.fill;
                    with.model_input = cnn_input();
                    return pixlime::explain(img, p.seg, classify, with);
                };
                // The explained class: the CNN's top class on the photo.
                pixlime::explain_options top = base_options(0, jb.design, set);
                top.labels.clear();
                top.top_labels = 1;
                top.num_samples = 32;
                top.sampler = pixlime::sampling::balanced;
                const int label = run(top).labels().front();
                results[j] = run_config(run, p.k, label, name, jb.design, set);
#else
                (void)thread;  // unreachable: main refuses --models cnn without libtorch
#endif
            } else {
                const mask_model model = make_model(jb.kind, p.c, p.seg);
                results[j] = run_config(stand_in_explain(model, p.k), p.k, model.label(), name, jb.design, set);
            }
            std::lock_guard<std::mutex> lock(io);
            ++finished;
            const auto& r = results[j];
            std::fprintf(stderr, "[%zu/%zu %.0f s] %s %s K=%d", finished, jobs.size(),
                         std::chrono::duration<double>(clock_type::now() - t_start).count(), r.name.c_str(), r.design.c_str(), r.segments);
            for (const auto& c : r.counts)
                std::fprintf(stderr, " | n=%d J %.3f est %.3f cov %.3f", c.samples, c.measured, c.estimate, c.coverage);
            std::fprintf(stderr, " | adaptive %.0f calls, J %.3f, reached %.2f, fixed %d\n", r.adaptive_calls, r.adaptive_jaccard,
                         r.adaptive_reached, r.smallest_reaching);
        }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    for (auto& t : pool) t.join();

    if (const char* path = std::getenv("BENCH_CALIBRATION_DUMP")) {
        std::ofstream dump(path);
        for (const auto& r : results) dump << r.trajectories;
    }
    std::ofstream csv(csv_path);
    csv << "config,design,segments";
    for (const int n : set.counts)
        csv << ",measured_" << n << ",estimate_" << n << ",estimate_sd_" << n << ",coverage_" << n << ",precise_" << n << ",precise_sd_" << n;
    csv << ",adaptive_calls,adaptive_reached,adaptive_jaccard,adaptive_estimate,smallest_fixed_reaching";
    if (set.target > 0)  // each replayed stopping rule: median calls, share reached, rerun Jaccard at the stop
        for (const auto& rule : stop_rules(set.cap)) csv << ",rule_" << rule.first;
    csv << "\n";
    for (const auto& r : results) {
        csv << r.name << "," << r.design << "," << r.segments;
        for (const auto& c : r.counts)
            csv << "," << c.measured << "," << c.estimate << "," << c.estimate_sd << "," << c.coverage << "," << c.precise << "," << c.precise_sd;
        csv << "," << r.adaptive_calls << "," << r.adaptive_reached << "," << r.adaptive_jaccard << "," << r.adaptive_estimate << ","
            << r.smallest_reaching;
        for (const auto& p : r.policies) csv << "," << p.calls << ":" << p.reached << ":" << p.jaccard;
        if (r.policies.empty() && set.target > 0)  // --replay 0
            for (std::size_t i = 0; i < stop_rules(set.cap).size(); ++i) csv << ",";
        csv << "\n";
    }

    // Summary: per design and count, the worst configuration and how many are inside the bounds.
    std::printf("Calibration grid: %zu configurations x %zu designs, %d reruns each; %.0f s\n\n", jobs.size() / designs.size(),
                designs.size(), set.reruns, std::chrono::duration<double>(clock_type::now() - t_start).count());
    std::printf("| design | samples | median abs(estimate - measured) | worst | within 0.05 | coverage min | coverage max | coverage in [0.90, 0.98] |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& d : designs)
        for (std::size_t ci = 0; ci < set.counts.size(); ++ci) {
            std::vector<double> gaps, cov;
            for (const auto& r : results)
                if (r.design == d) gaps.push_back(std::abs(r.counts[ci].estimate - r.counts[ci].measured)), cov.push_back(r.counts[ci].coverage);
            if (gaps.empty()) continue;
            const auto within = std::count_if(gaps.begin(), gaps.end(), [](double g) { return g <= 0.05; });
            const auto cov_ok = std::count_if(cov.begin(), cov.end(), [](double c) { return c >= 0.90 && c <= 0.98; });
            std::printf("| %s | %d | %.3f | %.3f | %ld / %zu | %.3f | %.3f | %ld / %zu |\n", d.c_str(), set.counts[ci], median(gaps),
                        *std::max_element(gaps.begin(), gaps.end()), long(within), gaps.size(), *std::min_element(cov.begin(), cov.end()),
                        *std::max_element(cov.begin(), cov.end()), long(cov_ok), cov.size());
        }
    if (set.target > 0) {
        std::printf("\nAdaptive stop (target %.2f, cap %d); where some fixed count reaches the target, the agreement at the stop and "
                    "its calls; elsewhere, the runs that said the target was reached:\n\n| design | median calls | configurations where a "
                    "fixed count reaches it | agreement >= target - 0.03 | calls <= 1.25 x smallest fixed | false reached (runs) |\n"
                    "|---|---:|---:|---:|---:|---:|\n",
                    set.target, set.cap);
        for (const auto& d : designs) {
            std::vector<double> calls;
            long ok_j = 0, ok_calls = 0, reachable = 0;
            double false_reached = 0;
            for (const auto& r : results) {
                if (r.design != d) continue;
                calls.push_back(r.adaptive_calls);
                if (r.smallest_reaching) {
                    ++reachable;
                    ok_j += r.adaptive_jaccard >= set.target - 0.03;
                    ok_calls += r.adaptive_calls <= 1.25 * r.smallest_reaching;
                } else {
                    false_reached += r.adaptive_reached * set.reruns;
                }
            }
            std::printf("| %s | %.0f | %ld | %ld | %ld | %.0f |\n", d.c_str(), median(calls), reachable, ok_j, ok_calls, false_reached);
        }
        if (set.replay)
            std::printf("\nStopping rules replayed on the same draws (the same columns):\n\n| design | rule | median calls | agreement >= target - "
                    "0.03 | calls <= 1.25 x smallest fixed | false reached (runs) | not reached where reachable (runs) |\n"
                        "|---|---|---:|---:|---:|---:|---:|\n");
        for (const auto& d : designs)
            for (std::size_t pi = 0; set.replay && pi < stop_rules(set.cap).size(); ++pi) {
                std::vector<double> calls;
                long ok_j = 0, ok_calls = 0;
                double false_reached = 0, missed = 0;
                for (const auto& r : results) {
                    if (r.design != d || r.policies.empty()) continue;
                    const auto& p = r.policies[pi];
                    calls.push_back(p.calls);
                    if (r.smallest_reaching) {
                        ok_j += p.jaccard >= set.target - 0.03;
                        ok_calls += p.calls <= 1.25 * r.smallest_reaching;
                        missed += (1 - p.reached) * set.reruns;
                    } else {
                        false_reached += p.reached * set.reruns;
                    }
                }
                std::printf("| %s | %s | %.0f | %ld | %ld | %.0f | %.0f |\n", d.c_str(), stop_rules(set.cap)[pi].first.c_str(), median(calls), ok_j,
                            ok_calls, false_reached, missed);
            }
    }
    return 0;
}
