#pragma once
/// \file pixlime/detail/planes.hpp
/// Planar float copies of images (one plane per channel), the working form of the segmenters
/// and the blur, and the aligned, non-zeroing allocator their buffers use. Implementation
/// detail of pixlime: may change without notice.

#include <pixlime/image.hpp>

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {
namespace detail {

/// A std::allocator for the buffers of vectorised loops: memory aligned to 64 bytes (a cache
/// line, and an AVX-512 vector: loads that straddle two lines cost about a third more in
/// SLIC's assignment), and a resize that leaves new elements uninitialised
/// (default-initialised) instead of zeroing them, for buffers that are written in full right
/// after (zeroing tens of megabytes costs as much as a pass of work).
template <class T>
struct uninitialized_allocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = uninitialized_allocator<U>;
    };
    static constexpr std::align_val_t alignment{64};
    uninitialized_allocator() = default;
    template <class U>
    uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// Planar float values of an image: `channels` planes of width * height values each, plane c
/// at values.data() + c * width * height, row-major (64-byte aligned storage). Every producer
/// writes all values.
struct feature_planes {
    int width = 0, height = 0, channels = 0;
    std::vector<float, uninitialized_allocator<float>> values;

    feature_planes() = default;
    feature_planes(int w, int h, int c) : width(w), height(h), channels(c) {
        values.resize(plane_size() * std::size_t(c));
    }
    std::size_t plane_size() const { return std::size_t(width) * std::size_t(height); }
    float* plane(int c) { return values.data() + std::size_t(c) * plane_size(); }
    const float* plane(int c) const { return values.data() + std::size_t(c) * plane_size(); }
};

/// The first `channels` channels of `img` as planes, each value v becoming
/// convert(v) (a float).
template <class T, class Convert>
feature_planes to_planes(image_view<const T> img, int channels, const Convert& convert) {
    feature_planes p(img.width(), img.height(), channels);
    const int w = img.width(), ic = img.channels();
    for (int y = 0; y < img.height(); ++y) {
        const T* row = img.row(y);
        for (int c = 0; c < channels; ++c) {
            float* out = p.plane(c) + std::size_t(y) * std::size_t(w);
            for (int x = 0; x < w; ++x) out[x] = convert(row[std::ptrdiff_t(x) * ic + c]);
        }
    }
    return p;
}

}  // namespace detail
}  // namespace pixlime
