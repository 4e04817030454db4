#pragma once
/// \file faithfulness.hpp
/// A deletion check of explanations: hiding an image's top positive segments (for its
/// predicted class) should lower that class's probability far more than hiding as many
/// random segments of the object.

#include "transactions.hpp"

#include <cstdint>
#include <vector>

namespace wf {

struct faithfulness_result {
    int images = 0;           ///< images counted
    double top_drop = 0;      ///< mean probability drop when the top-k positive segments are hidden
    double random_drop = 0;   ///< mean drop when k random object segments are hidden (averaged over draws)
    int top_beats_random = 0; ///< images where top_drop > that image's random drop
    double ratio() const { return top_drop / (random_drop > 1e-12 ? random_drop : 1e-12); }
};

/// Explains each image with the workflow's settings, then hides (sets to black) its top `k`
/// positive segments, or `k` random segments drawn from those that are not background (mean
/// above settings.merge_background), `draws` times. Images are standardized (model shape).
faithfulness_result faithfulness(const deployed_model& model, const std::vector<pixlime::image<float>>& images,
                                 const explain_settings& settings, int k = 5, int draws = 20, std::uint64_t seed = 2024);

}  // namespace wf
