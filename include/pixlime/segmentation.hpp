#pragma once
/// \file pixlime/segmentation.hpp
/// pixlime::segmentation: a label map that splits an image into K segments ("superpixels"),
/// the features LIME turns on and off. Labels are always 0..K-1 with every value used, so a
/// segment index is a column of the sample matrix. User label maps with any ids (gaps,
/// negative values, large values) are accepted through from_labels and relabelled, unlike
/// lime_image, which assumes its segmenter already returns 0..K-1.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pixlime {

class segmentation;

namespace detail {
/// For segmenters whose output is 0..count-1 with every value used by construction (not
/// for user data): wraps `labels` without the constructor's checks (a pass over the labels).
inline segmentation trusted_segmentation(int width, int height, std::vector<std::int32_t> labels, int count);
}  // namespace detail

/// A label map of width x height pixels into K segments, labels 0..K-1 with every value used
/// (row-major, one std::int32_t per pixel). Made by the segmenters (slic, quickshift,
/// felzenszwalb, grid), by the constructor from labels already 0..K-1, or by from_labels from
/// any ids. A copy copies the labels.
class segmentation {
public:
    /// An empty segmentation (no pixels, no segments).
    segmentation() = default;

    /// Wraps a label map whose labels are already 0..count-1 with every value used
    /// (`labels`: width * height values, row-major). Throws pixlime::invalid_argument otherwise;
    /// use from_labels for arbitrary ids.
    segmentation(int width, int height, std::vector<std::int32_t> labels)
        : width_(width), height_(height), labels_(std::move(labels)) {
        check_size(width, height, labels_.size());
        std::int32_t max_label = -1;
        for (std::int32_t l : labels_) {
            if (l < 0) throw invalid_argument("segmentation label", l, "0..count-1 (use segmentation::from_labels for arbitrary ids)");
            if (l > max_label) max_label = l;
        }
        if (std::size_t(max_label) >= labels_.size())
            throw invalid_argument("segmentation label", max_label, "0..count-1 with every value used (use segmentation::from_labels)");
        std::vector<char> used(std::size_t(max_label) + 1, 0);
        for (std::int32_t l : labels_) used[std::size_t(l)] = 1;
        for (std::size_t l = 0; l < used.size(); ++l)
            if (!used[l])
                throw invalid_argument("segmentation labels", "0.." + std::to_string(max_label) + " without " + std::to_string(l),
                                       "every value 0..count-1 used (use segmentation::from_labels)");
        count_ = max_label + 1;
    }

    /// Builds a segmentation from any integer ids (gaps, negative or huge values allowed):
    /// ids are relabelled to 0..K-1 in order of first appearance in row-major order, so
    /// two maps that partition the image alike give the same segmentation.
    /// `labels`: width * height values, row-major.
    template <class Int>
    static segmentation from_labels(int width, int height, const std::vector<Int>& labels) {
        return from_labels(width, height, labels.data(), labels.size());
    }
    /// The same over `size` ids at `labels` (size must be width * height; labels not null).
    /// Throws pixlime::invalid_argument on a null pointer, bad dimensions or a wrong size.
    template <class Int>
    static segmentation from_labels(int width, int height, const Int* labels, std::size_t size) {
        static_assert(std::is_integral_v<Int>, "pixlime::segmentation::from_labels: labels must be integers");
        check_size(width, height, size);
        if (labels == nullptr) throw invalid_argument("segmentation::from_labels labels", "null", "width * height ids");
        std::unordered_map<long long, std::int32_t> ids;
        std::vector<std::int32_t> out(size);
        for (std::size_t i = 0; i < size; ++i) {
            auto it = ids.try_emplace(static_cast<long long>(labels[i]), std::int32_t(ids.size())).first;
            out[i] = it->second;
        }
        segmentation s;
        s.width_ = width;
        s.height_ = height;
        s.count_ = int(ids.size());
        s.labels_ = std::move(out);
        return s;
    }

    /// Number of segments K.
    int count() const { return count_; }
    /// Width of the labelled image, in pixels.
    int width() const { return width_; }
    /// Height of the labelled image, in pixels.
    int height() const { return height_; }
    /// True for a default-constructed segmentation (no labels).
    bool empty() const { return labels_.empty(); }
    /// Segment of pixel (x, y), in 0..count()-1.
    std::int32_t label(int x, int y) const { return labels_[std::size_t(y) * std::size_t(width_) + std::size_t(x)]; }
    /// All labels, height * width values, row-major.
    const std::vector<std::int32_t>& labels() const { return labels_; }
    /// Number of pixels in each segment (count() values).
    std::vector<std::int64_t> sizes() const {
        std::vector<std::int64_t> n(std::size_t(count_), 0);
        for (std::int32_t l : labels_) ++n[std::size_t(l)];
        return n;
    }

    /// Same size and the same label at every pixel.
    friend bool operator==(const segmentation& a, const segmentation& b) {
        return a.width_ == b.width_ && a.height_ == b.height_ && a.labels_ == b.labels_;
    }
    /// Not operator==.
    friend bool operator!=(const segmentation& a, const segmentation& b) { return !(a == b); }

private:
    friend segmentation detail::trusted_segmentation(int, int, std::vector<std::int32_t>, int);

    static void check_size(int width, int height, std::size_t size) {
        detail::check_dimensions("segmentation", width, height, 1, sizeof(std::int32_t), limits{});
        if (size != std::size_t(width) * std::size_t(height))
            throw invalid_argument("segmentation labels size", size,
                                   "width * height = " + std::to_string(std::size_t(width) * std::size_t(height)));
    }

    int width_ = 0, height_ = 0, count_ = 0;
    std::vector<std::int32_t> labels_;
};

inline segmentation detail::trusted_segmentation(int width, int height, std::vector<std::int32_t> labels, int count) {
    segmentation s;
    s.width_ = width;
    s.height_ = height;
    s.count_ = count;
    s.labels_ = std::move(labels);
    return s;
}

}  // namespace pixlime
