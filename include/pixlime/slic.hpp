#pragma once
/// \file pixlime/slic.hpp
/// SLIC superpixels (placeholder: being written).

#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

namespace pixlime {

struct slic_options {
    int num_segments = 100;
    double compactness = 10.0;
    int max_iterations = 10;
    double sigma = 0.0;
    bool convert_to_lab = true;
    bool enforce_connectivity = true;
    double min_size_factor = 0.5;
    double max_size_factor = 3.0;
    int num_threads = 1;
};

template <class T>
segmentation slic(image_view<const T> img, const slic_options& options = {});
template <class T>
segmentation slic(const image<T>& img, const slic_options& options = {}) {
    return slic(img.view(), options);
}

}  // namespace pixlime
