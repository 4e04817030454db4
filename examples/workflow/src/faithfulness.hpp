#pragma once
/// \file faithfulness.hpp
/// The faithfulness check of the workflow's explanations: RISE's deletion and insertion curves
/// (pixlime::deletion_curve, pixlime::insertion_curve) of each image's explanation for its
/// predicted class, against the curves of random rankings of the same segments.

#include "transactions.hpp"

#include <cstdint>
#include <vector>

namespace wf {

/// Means over the images. Deletion: lower AUC is better; insertion: higher is better.
struct faithfulness_result {
    int images = 0;                   ///< images counted
    int random_rankings = 0;          ///< random rankings per image and curve (the baseline)
    double deletion_auc = 0;          ///< the explanation's ranking
    double deletion_random_auc = 0;   ///< random rankings (each image's mean over its rankings)
    int deletion_beats_random = 0;    ///< images whose deletion AUC is below their random one
    double insertion_auc = 0;
    double insertion_random_auc = 0;
    int insertion_beats_random = 0;   ///< images whose insertion AUC is above their random one
};

/// Explains each image with the workflow's settings (for its predicted class), then follows
/// that class's probability as the explanation's segments are removed (set to black, the
/// background) or restored onto a blurred copy, most positive weight first
/// (pixlime::curve_options defaults otherwise), and as `random_rankings` random orders of the
/// same segments are (seeded from `seed` and the image's index). Images are standardized
/// (model shape).
faithfulness_result faithfulness(const deployed_model& model, const std::vector<pixlime::image<float>>& images,
                                 const explain_settings& settings, int random_rankings = 20, std::uint64_t seed = 2024);

}  // namespace wf
