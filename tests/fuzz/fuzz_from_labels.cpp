// libFuzzer target: segmentation::from_labels and the segmentation constructor on any ids.
// Invariants: labels 0..K-1, every one used, numbered by first appearance, the same partition.
#include "fuzz_input.hpp"

#include <pixlime/segmentation.hpp>

#include <cstdlib>
#include <unordered_map>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const int w = in.in(-2, 40), h = in.in(-2, 40);
    const int n = in.in(0, 1700);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    const bool wide = in.flag();
    for (auto& v : ids) v = wide ? std::int64_t(in.in(std::numeric_limits<int>::min(), std::numeric_limits<int>::max())) * 4099 : in.in(-3, 5);
    try {
        const auto s = pixlime::segmentation::from_labels(w, h, ids);
        if (std::size_t(w) * std::size_t(h) != ids.size()) std::abort();  // must have been refused
        std::unordered_map<std::int64_t, std::int32_t> seen;
        std::int32_t next = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto it = seen.try_emplace(ids[i], next).first;
            if (it->second == next) ++next;
            if (s.labels()[i] != it->second) std::abort();
        }
        if (s.count() != next) std::abort();
        // The constructor accepts exactly such maps.
        if (pixlime::segmentation(w, h, s.labels()) != s) std::abort();
    } catch (const pixlime::error&) {
    }
    try {
        std::vector<std::int32_t> raw(ids.begin(), ids.end());
        const pixlime::segmentation s(w, h, raw);
        for (auto l : s.labels())
            if (l < 0 || l >= s.count()) std::abort();
    } catch (const pixlime::error&) {
    }
    return 0;
}
