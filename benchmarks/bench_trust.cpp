// Issue 12's measurement: how accurate, stable and well-calibrated an explanation is per model
// call, per mask design. Not timing: every figure is a property of the explanations.
//
//   bench_trust [--seeds 30] [--configs 18 | --configs 0,5,7] [--counts 100,300,500,1000]
//               [--designs lime_compatible,bernoulli,balanced,paired,orthogonal]
//               [--adaptive balanced,paired,orthogonal | --adaptive none] [--reference 50000]
//               [--alpha 1]
//
// Configurations: 3 bundled 224x224 images (chelsea, astronaut, coffee) x 2 segmenters (SLIC
// with pixlime's default slic_options, quickshift with lime's default quickshift_options) x 3
// models (planted with a black fill, linear with a black fill, linear with the segment-mean
// fill; tests/classifiers.hpp). Each image is segmented once per configuration and explain is
// given the segmentation. Explained label: planted's class 1, linear's top label.
//
// Per configuration: reference weights w_ref from one --reference-sample bernoulli explanation
// (all 2^K masks when 2^K <= that, as explain does); then per design and sample count, over
// --seeds seeds (1 thread):
//   error     mean ||w - w_ref|| / ||w_ref||
//   jaccard   mean top-5 Jaccard (by |weight|) over all pairs of seeds
//   coverage  share of (seed, segment) whose weight_intervals(label, 0.95) holds w_ref
//   stability mean stability(label, 5), and |stability - jaccard|
// Adaptive: target_stability 0.95, num_samples 2000 as the cap: model_calls, target_reached,
// and the measured top-5 Jaccard between the adaptive explanations of different seeds.
// Tables: medians over configurations. Progress on stderr.
#include <pixlime/pixlime.hpp>

#include "classifiers.hpp"
#include "measures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

pixlime::sampler design(const std::string& name) {
    if (name == "lime_compatible") return pixlime::sampling::lime_compatible;
    if (name == "bernoulli") return pixlime::sampling::bernoulli;
    if (name == "balanced") return pixlime::sampling::balanced;
    if (name == "paired") return pixlime::sampling::paired;
    if (name == "orthogonal") return pixlime::sampling::orthogonal;
    std::fprintf(stderr, "unknown design %s\n", name.c_str());
    std::exit(2);
}

using bench::mean_pairwise_jaccard;
using bench::median;
using bench::split;
using bench::top_set;

struct cell {  // one configuration, design and count
    double error = 0, jaccard = 0, coverage = 0, stability = 0, calls = 0;
};
struct adaptive_cell {
    double calls = 0, jaccard = 0, reached = 0, error = 0;
};

struct config {
    std::string image, segmenter, model;
};

}  // namespace

int main(int argc, char** argv) {
    int seeds = 30, reference = 50000;
    double alpha = 1.0;  // weighted_ridge's penalty for the measured explanations (the reference keeps 1)
    std::vector<int> counts = {100, 300, 500, 1000};
    std::vector<std::string> designs = {"lime_compatible", "bernoulli", "balanced", "paired", "orthogonal"};
    std::vector<std::string> adaptive = {"balanced", "paired", "orthogonal"};
    std::vector<int> chosen;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--seeds") seeds = std::atoi(value.c_str());
        else if (flag == "--reference") reference = std::atoi(value.c_str());
        else if (flag == "--alpha") alpha = std::atof(value.c_str());
        else if (flag == "--counts") { counts.clear(); for (auto& c : split(value)) counts.push_back(std::atoi(c.c_str())); }
        else if (flag == "--designs") designs = split(value);
        else if (flag == "--adaptive") adaptive = value == "none" ? std::vector<std::string>{} : split(value);
        else if (flag == "--configs") {
            if (value.find(',') == std::string::npos && std::atoi(value.c_str()) > 1) {
                for (int c = 0; c < std::min(18, std::atoi(value.c_str())); ++c) chosen.push_back(c);
            } else {
                for (auto& c : split(value)) chosen.push_back(std::atoi(c.c_str()));
            }
        } else {
            std::fprintf(stderr, "unknown flag %s (see the file comment)\n", flag.c_str());
            return 2;
        }
    }
    if ((argc - 1) % 2) { std::fprintf(stderr, "flags come in pairs: --flag value\n"); return 2; }
    std::vector<config> all;
    for (const char* img : {"chelsea_224.png", "astronaut_224.png", "coffee_224.png"})
        for (const char* segm : {"slic", "quickshift"})
            for (const char* model : {"planted/black", "linear/black", "linear/mean"}) all.push_back({img, segm, model});
    if (chosen.empty())
        for (int c = 0; c < 18; ++c) chosen.push_back(c);

    const pixlime::test::planted_classifier planted;
    const pixlime::test::linear_classifier linear;
    // [design][count] -> per-configuration cells
    std::map<std::string, std::map<int, std::vector<cell>>> cells;
    std::map<std::string, std::vector<adaptive_cell>> acells;
    std::vector<int> segment_counts;

    for (const int ci : chosen) {
        const config& c = all.at(std::size_t(ci));
        const auto img = pixlime::load_image(std::string(PIXLIME_SAMPLE_IMAGES) + "/" + c.image, 3);
        const pixlime::segmentation seg =
            c.segmenter == "slic" ? pixlime::slic(img, pixlime::slic_options{}) : pixlime::quickshift(img, pixlime::quickshift_options{});
        const int k = seg.count();
        segment_counts.push_back(k);
        const bool is_planted = c.model == "planted/black";
        pixlime::explain_options base;
        base.num_threads = 1;
        base.batch_size = 50;
        if (c.model != "linear/mean") base.fill = pixlime::constant_fill{{0}};
        else base.fill = pixlime::segment_mean_fill{};
        int label = 1;
        if (!is_planted) {
            Eigen::MatrixXd p0 = linear(pixlime::batch_view<const std::uint8_t>(img.data(), 1, img.width(), img.height(), 3));
            Eigen::Index top = 0;
            p0.row(0).maxCoeff(&top);
            label = int(top);
        }
        base.labels = {label};
        const auto run = [&](const pixlime::explain_options& o) {
            return is_planted ? pixlime::explain(img, seg, planted, o) : pixlime::explain(img, seg, linear, o);
        };
        pixlime::explain_options ro = base;
        ro.sampler = pixlime::sampling::bernoulli;
        ro.num_samples = reference;
        ro.seed = 987654321;
        const Eigen::VectorXd w_ref = run(ro).weights(label);
        std::fprintf(stderr, "config %d (%s %s %s): K = %d, label %d, reference done\n", ci, c.image.c_str(), c.segmenter.c_str(),
                     c.model.c_str(), k, label);

        base.surrogate = pixlime::weighted_ridge{alpha};
        for (const auto& d : designs) {
            pixlime::explain_options o = base;
            o.sampler = design(d);
            for (const int n : counts) {
                o.num_samples = n;
                cell x;
                std::vector<std::vector<int>> tops;
                double covered = 0, stab = 0;
                for (int s = 0; s < seeds; ++s) {
                    o.seed = std::uint64_t(1000 + s);
                    const auto ex = run(o);
                    const Eigen::VectorXd& w = ex.weights(label);
                    x.error += (w - w_ref).norm() / w_ref.norm();
                    tops.push_back(top_set(w, 5));
                    const Eigen::MatrixXd iv = ex.weight_intervals(label, 0.95);
                    for (int j = 0; j < k; ++j) covered += (iv(j, 0) <= w_ref[j] && w_ref[j] <= iv(j, 1)) ? 1 : 0;
                    stab += ex.stability(label, 5);
                    x.calls += ex.model_calls();
                }
                x.error /= seeds;
                x.calls /= seeds;
                x.coverage = covered / (double(seeds) * k);
                x.stability = stab / seeds;
                x.jaccard = mean_pairwise_jaccard(tops);
                cells[d][n].push_back(x);
                std::fprintf(stderr, "  config %d %-15s n=%4d: error %.4f jaccard %.3f coverage %.3f stability %.3f\n", ci, d.c_str(), n,
                             x.error, x.jaccard, x.coverage, x.stability);
            }
        }
        for (const auto& d : adaptive) {
            pixlime::explain_options o = base;
            o.sampler = design(d);
            o.num_samples = 2000;
            o.target_stability = 0.95;
            adaptive_cell a;
            std::vector<std::vector<int>> tops;
            for (int s = 0; s < seeds; ++s) {
                o.seed = std::uint64_t(1000 + s);
                const auto ex = run(o);
                a.calls += ex.model_calls();
                a.reached += ex.target_reached() ? 1 : 0;
                a.error += (ex.weights(label) - w_ref).norm() / w_ref.norm();
                tops.push_back(top_set(ex.weights(label), 5));
            }
            a.calls /= seeds;
            a.error /= seeds;
            a.reached /= seeds;
            a.jaccard = mean_pairwise_jaccard(tops);
            acells[d].push_back(a);
            std::fprintf(stderr, "  config %d adaptive %-15s: calls %.0f reached %.2f jaccard %.3f error %.4f\n", ci, d.c_str(), a.calls,
                         a.reached, a.jaccard, a.error);
        }
    }

    std::printf("Configurations: %zu, seeds: %d, reference samples: %d; segments per configuration: median %.0f (min %d, max %d)\n\n",
                chosen.size(), seeds, reference, median(std::vector<double>(segment_counts.begin(), segment_counts.end())),
                *std::min_element(segment_counts.begin(), segment_counts.end()),
                *std::max_element(segment_counts.begin(), segment_counts.end()));
    const auto med = [](const std::vector<cell>& v, double cell::*f) {
        std::vector<double> x;
        for (const auto& c : v) x.push_back(c.*f);
        return median(x);
    };
    // Pooled Jaccard (the figure): the mean over every seed pair of every configuration;
    // each configuration has the same number of pairs, so it is the mean of the per-configuration means.
    const auto mean_of = [](const std::vector<cell>& v, double cell::*f) {
        double sum = 0;
        for (const auto& c : v) sum += c.*f;
        return v.empty() ? std::nan("") : sum / double(v.size());
    };
    std::printf("| design | samples | model calls | error | top-5 Jaccard | pooled top-5 Jaccard | 95%% coverage | stability | abs(stability - Jaccard) |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& d : designs)
        for (const int n : counts) {
            const auto& v = cells[d][n];
            std::vector<double> gap;
            for (const auto& c : v) gap.push_back(std::abs(c.stability - c.jaccard));
            std::printf("| %s | %d | %.0f | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", d.c_str(), n, med(v, &cell::calls),
                        med(v, &cell::error), med(v, &cell::jaccard), mean_of(v, &cell::jaccard), med(v, &cell::coverage),
                        med(v, &cell::stability), median(gap));
        }
    if (!designs.empty() && std::count(designs.begin(), designs.end(), "lime_compatible") && std::count(counts.begin(), counts.end(), 1000)) {
        const double target = med(cells["lime_compatible"][1000], &cell::error);
        std::printf("\nFewest of the measured sample counts whose median error <= lime_compatible's at 1000 (%.4f):\n\n", target);
        std::printf("| design | samples |\n|---|---:|\n");
        for (const auto& d : designs) {
            int best = 0;
            for (const int n : counts)
                if (!best && med(cells[d][n], &cell::error) <= target) best = n;
            std::printf("| %s | %s |\n", d.c_str(), best ? std::to_string(best).c_str() : "none measured");
        }
    }
    if (!adaptive.empty()) {
        std::printf("\nAdaptive stop (target_stability 0.95, num_samples 2000 as the cap):\n\n");
        std::printf("| design | median model calls | reached target (configs x seeds) | rerun top-5 Jaccard | pooled rerun Jaccard | error |\n"
                    "|---|---:|---:|---:|---:|---:|\n");
        for (const auto& d : adaptive) {
            std::vector<double> calls, jac, err;
            double reached = 0;
            for (const auto& a : acells[d]) calls.push_back(a.calls), jac.push_back(a.jaccard), err.push_back(a.error), reached += a.reached;
            double pooled = 0;
            for (const double j : jac) pooled += j;
            std::printf("| %s | %.0f | %.0f / %zu | %.3f | %.3f | %.4f |\n", d.c_str(), median(calls), reached * seeds,
                        acells[d].size() * std::size_t(seeds), median(jac), jac.empty() ? std::nan("") : pooled / double(jac.size()),
                        median(err));
        }
    }
    return 0;
}
