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
/// | linear_model.hpp| mask_matrix (the samples), linear_fit, ranked                      |
/// | statistics.hpp  | standard errors and stability of a fit (used by explanation)       |
/// | shapley.hpp     | KernelSHAP: shapley_kernel, its masks, constrained fit and spread  |
/// | sampler.hpp     | the sampler stage: sampling, sample_masks, sampler                 |
/// | model_input.hpp | model_input: the batch as the classifier takes it (float, NCHW...)|
/// | fill.hpp        | the fill stage: segment_mean_fill, constant_fill, blur_fill,       |
/// |                 | image_fill, fill, fill_kind                                        |
/// | perturb.hpp     | perturber: perturbed images from masks and a fill                  |
/// | kernel.hpp      | the kernel stage: exponential_kernel, distances_to_ones, kernel    |
/// | surrogate.hpp   | the surrogate stage: weighted_ridge, surrogate                     |
/// | task.hpp        | task: classification or regression (one value), parse_task         |
/// | classifier.hpp  | the classifier adapter and batching loop (explain, faithfulness)   |
/// | explanation.hpp | explanation, sampling_summary, explain_timings                     |
/// | explain_options.hpp | explain_options: every stage and size of explain               |
/// | explain.hpp     | explain: the pipeline (includes the headers above)                 |
/// | render.hpp      | render_positive, render_negative, render_overlay, render_heatmap   |
/// | curve.hpp       | faithfulness_curve, area_under_curve, ranking_by_weight            |
/// | faithfulness.hpp| deletion_curve, insertion_curve (RISE), curve_options             |
/// | target.hpp      | target_options: explain every output of a target model at once     |
/// | detection.hpp   | detection_target: a detector's detections explained (D-RISE)      |
/// | segmentation_target.hpp | segmentation_target: a class's mean score over a region  |
/// | instantiate.hpp | explain and the segmenters instantiated, for one file of a program |
/// |                 | built with PIXLIME_EXTERN_TEMPLATES (not included here)            |
///
/// The five stages (segmenter, sampler, fill, kernel, surrogate) share one pattern,
/// detail/stage.hpp: a built-in or any callable, is_builtin(), builtin<B>(), name().

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
#include <pixlime/linear_model.hpp>
#include <pixlime/statistics.hpp>
#include <pixlime/shapley.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/fill.hpp>
#include <pixlime/perturb.hpp>
#include <pixlime/kernel.hpp>
#include <pixlime/surrogate.hpp>
#include <pixlime/task.hpp>
#include <pixlime/classifier.hpp>
#include <pixlime/explanation.hpp>
#include <pixlime/explain_options.hpp>
#include <pixlime/explain.hpp>
#include <pixlime/render.hpp>
#include <pixlime/curve.hpp>
#include <pixlime/faithfulness.hpp>
#include <pixlime/target.hpp>
#include <pixlime/detection.hpp>
#include <pixlime/segmentation_target.hpp>
