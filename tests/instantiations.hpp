#pragma once
// Build time only: the heavy templates of pixlime (the segmenters and the explain pipeline, for
// both pixel types) are instantiated once, in support.cpp, instead of in every test file that
// calls them (each file would otherwise optimise its own copy: most of the tests' compile time).
#include <pixlime/pixlime.hpp>

#define PIXLIME_TEST_INSTANTIATIONS(extern_)                                                                          \
    extern_ template pixlime::segmentation pixlime::slic<std::uint8_t>(pixlime::image_view<const std::uint8_t>,         \
                                                                       const pixlime::slic_options&);                   \
    extern_ template pixlime::segmentation pixlime::slic<float>(pixlime::image_view<const float>, const pixlime::slic_options&); \
    extern_ template pixlime::segmentation pixlime::quickshift<std::uint8_t>(pixlime::image_view<const std::uint8_t>,   \
                                                                             const pixlime::quickshift_options&);       \
    extern_ template pixlime::segmentation pixlime::quickshift<float>(pixlime::image_view<const float>,                 \
                                                                      const pixlime::quickshift_options&);              \
    extern_ template pixlime::segmentation pixlime::felzenszwalb<std::uint8_t>(pixlime::image_view<const std::uint8_t>, \
                                                                               const pixlime::felzenszwalb_options&);   \
    extern_ template pixlime::segmentation pixlime::felzenszwalb<float>(pixlime::image_view<const float>,               \
                                                                        const pixlime::felzenszwalb_options&);          \
    extern_ template pixlime::explanation pixlime::detail::explain_core<std::uint8_t>(                                 \
        pixlime::image_view<const std::uint8_t>, const pixlime::segmentation*,                                           \
        const pixlime::detail::classifier_functions<std::uint8_t>&, const pixlime::explain_options&);                    \
    extern_ template pixlime::explanation pixlime::detail::explain_core<float>(                                        \
        pixlime::image_view<const float>, const pixlime::segmentation*, const pixlime::detail::classifier_functions<float>&, \
        const pixlime::explain_options&);

PIXLIME_TEST_INSTANTIATIONS(extern)
