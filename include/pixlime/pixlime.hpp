#pragma once
/// \file pixlime/pixlime.hpp
/// pixlime: LIME explanations for image classifiers, header-only. Include this one header for
/// everything, or the component headers one by one:
///
/// | header          | what                                                               |
/// |-----------------|--------------------------------------------------------------------|
/// | version.hpp     | PIXLIME_VERSION, pixlime::version                                  |
/// | error.hpp       | pixlime::error and its subclasses                                  |
/// | image.hpp       | image<T>, image_view<T>, batch_view<T>, layout, limits             |
/// | io.hpp          | load_image, decode_image, save_png, load_options (stb, checked)    |
/// | segmentation.hpp| segmentation (labels 0..K-1), from_labels                          |
/// | slic.hpp        | slic, slic_options (SLIC superpixels)                              |
/// | quickshift.hpp  | quickshift, quickshift_options (lime_image's default segmenter)    |
/// | felzenszwalb.hpp| felzenszwalb, felzenszwalb_options                                 |
/// | grid.hpp        | grid, grid_options                                                 |
/// | segmenter.hpp   | segmenter: any segmentation algorithm as one type                  |
/// | sampler.hpp     | the sampler stage: sampling, sample_masks, sampler, mask_matrix    |
/// | model_input.hpp | model_input: the batch as the classifier takes it (float, NCHW...)|
/// | perturb.hpp     | the fill stage (segment_mean_fill, constant_fill, blur_fill,       |
/// |                 | image_fill, fill, fill_kind) and perturber                         |
/// | kernel.hpp      | the kernel stage: exponential_kernel, distances_to_ones, kernel    |
/// | surrogate.hpp   | the surrogate stage: weighted_ridge, linear_fit, ranked, surrogate |
/// | explain.hpp     | explain, explain_options, explanation                              |
/// | render.hpp      | render_positive, render_negative, render_overlay, render_heatmap   |
/// | faithfulness.hpp| deletion_curve, insertion_curve (RISE), curve_options             |

#include <pixlime/version.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/io.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/slic.hpp>
#include <pixlime/quickshift.hpp>
#include <pixlime/felzenszwalb.hpp>
#include <pixlime/grid.hpp>
#include <pixlime/segmenter.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/perturb.hpp>
#include <pixlime/kernel.hpp>
#include <pixlime/surrogate.hpp>
#include <pixlime/explain.hpp>
#include <pixlime/render.hpp>
#include <pixlime/faithfulness.hpp>
