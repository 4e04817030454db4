#pragma once
/// \file pixlime/instantiate.hpp
/// pixlime's heavy templates, instantiated for std::uint8_t and float images: the pipeline behind
/// pixlime::explain and the segmenters slic, quickshift and felzenszwalb. For programs whose
/// files are compiled with PIXLIME_EXTERN_TEMPLATES defined: include this header in exactly one
/// source file, and every other file compiles its calls without compiling those templates again
/// (docs/speed.md, "Compile time": the pipeline alone is about 16 s of g++ -O3 per file).
/// Without PIXLIME_EXTERN_TEMPLATES nothing changes: pixlime stays header-only and this header is
/// not needed. pixlime.hpp lists it but does not include it.

#include <pixlime/explain.hpp>
#include <pixlime/felzenszwalb.hpp>
#include <pixlime/quickshift.hpp>
#include <pixlime/slic.hpp>

#include <cstdint>

/// \cond EXPLICIT_INSTANTIATIONS (not API: the same functions as the headers declare)
namespace pixlime {

template segmentation slic<std::uint8_t>(image_view<const std::uint8_t>, const slic_options&);
template segmentation slic<float>(image_view<const float>, const slic_options&);
template segmentation quickshift<std::uint8_t>(image_view<const std::uint8_t>, const quickshift_options&);
template segmentation quickshift<float>(image_view<const float>, const quickshift_options&);
template segmentation felzenszwalb<std::uint8_t>(image_view<const std::uint8_t>, const felzenszwalb_options&);
template segmentation felzenszwalb<float>(image_view<const float>, const felzenszwalb_options&);

namespace detail {
template explanation explain_core<std::uint8_t>(image_view<const std::uint8_t>, const segmentation*,
                                                const classifier_functions<std::uint8_t>&, const explain_options&);
template explanation explain_core<float>(image_view<const float>, const segmentation*, const classifier_functions<float>&,
                                         const explain_options&);
}  // namespace detail

}  // namespace pixlime
/// \endcond
