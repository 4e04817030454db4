#pragma once
/// \file pixlime/detail/thread_pool.hpp
/// The one thread pool of pixlime: workers started once (per explain or segmenter call) and
/// kept alive across the many small jobs of that call, instead of new std::threads per job
/// (a batch of 10 perturbed 224x224 images is about 0.1 ms of work; creating and joining
/// threads for each batch cost more than it saved). Implementation detail of pixlime: may
/// change without notice.

#include <pixlime/detail/cpu.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pixlime {
namespace detail {

/// A pause between two polls of a shared variable (lets the other hyper-thread run).
inline void spin_pause() {
#if PIXLIME_DETAIL_X86
    _mm_pause();
#endif
}

class thread_pool {
public:
    /// A pool of `threads` threads in all, the calling thread included (threads <= 1: none
    /// started), never more than the machine's hardware threads
    /// (std::thread::hardware_concurrency(), when it is known): more would only take turns.
    explicit thread_pool(int threads) {
        int n = std::max(1, threads);
        const unsigned hardware = std::thread::hardware_concurrency();
        if (hardware > 0) n = std::min(n, int(hardware));
        workers_.reserve(std::size_t(n - 1));
        for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { work(i); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            generation_.fetch_add(1);
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
    }

    /// Threads in all, the caller included.
    int size() const { return int(workers_.size()) + 1; }

    /// Calls f(begin, end) on min(size(), n) contiguous bands covering [0, n), balanced to
    /// within one item; the calling thread takes the first band. Returns when every band is
    /// done; the first exception thrown by any band is rethrown then. One call at a time per
    /// pool: not from two threads at once, nor from inside a band of the same pool (both would
    /// overwrite the pending job); a band may use a pool of its own.
    template <class F>
    void bands(int n, const F& f) {
        const int parts = std::min(size(), n);
        if (parts <= 1) {
            if (n > 0) f(0, n);
            return;
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            job_.call = [](const void* fn, int b, int e) { (*static_cast<const F*>(fn))(b, e); };
            job_.fn = &f;
            job_.n = n;
            job_.parts = parts;
            error_ = nullptr;
            pending_.store(parts - 1);
            generation_.fetch_add(1);
        }
        wake_.notify_all();
        try {
            f(0, band_begin(job_, 1));
        } catch (...) {
            store_error();
        }
        for (int i = 0; i < spin_polls && pending_.load() != 0; ++i) spin_pause();
        if (pending_.load() != 0) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [&] { return pending_.load() == 0; });
        }
        if (error_) std::rethrow_exception(error_);
    }

private:
    /// Polls before a thread blocks: long enough to bridge the gap between the batches of one
    /// explanation when the classifier is quick (tens of microseconds), short enough not to
    /// keep a core busy while a real model runs.
    static constexpr int spin_polls = 4000;

    struct job {
        void (*call)(const void*, int, int) = nullptr;
        const void* fn = nullptr;
        int n = 0, parts = 0;
    };

    static int band_begin(const job& j, int part) { return int(std::int64_t(j.n) * part / j.parts); }

    void store_error() {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
    }

    void work(int index) {
        std::uint64_t seen = 0;
        for (;;) {
            for (int i = 0; i < spin_polls && generation_.load() == seen; ++i) spin_pause();
            job j;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_.load() != seen; });
                seen = generation_.load();
                if (stop_) return;
                j = job_;
            }
            if (index >= j.parts) continue;  // fewer bands than threads this time
            try {
                j.call(j.fn, band_begin(j, index), band_begin(j, index + 1));
            } catch (...) {
                store_error();
            }
            if (pending_.fetch_sub(1) == 1) {
                const std::lock_guard<std::mutex> lock(mutex_);
                done_.notify_one();
            }
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    bool stop_ = false;
    job job_;
    std::exception_ptr error_;
};

}  // namespace detail
}  // namespace pixlime
