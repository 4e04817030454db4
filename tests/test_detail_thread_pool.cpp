// Tests of pixlime/detail/thread_pool.hpp: bands cover [0, n) exactly once, balanced, the caller
// taking the first; exceptions reach the caller after every band is done and leave the pool
// usable; empty work; nested pools; many jobs and pools in a row (bounded loops: a deadlock
// would hang the test, no timing is measured).
#include "support.hpp"

#include <pixlime/detail/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <climits>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_thread_pool_test {

namespace d = pixlime::detail;

namespace {

/// Some work that takes a while (a few tens of microseconds), so that other bands are likely
/// still running when a band that throws ends. The result is used so it is not optimised away.
int busy_work(int seed) {
    unsigned v = unsigned(seed);
    for (int i = 0; i < 20000; ++i) v = v * 1664525u + 1013904223u;
    return int(v >> 28);
}

struct band {
    int begin, end;
    std::thread::id thread;
};

}  // namespace

TEST_CASE("the thread pool covers every item once, in balanced bands, and passes exceptions on") {
    for (int threads : {1, 2, 3, 16}) {
        d::thread_pool pool(threads);
        CHECK(pool.size() >= 1);
        CHECK(pool.size() <= std::max(1, threads));
        const unsigned hardware = std::thread::hardware_concurrency();
        if (hardware > 0) CHECK(pool.size() <= int(hardware));
        for (int n : {0, 1, 2, 7, 1000}) {
            std::vector<std::atomic<int>> hits(std::size_t(n) + 1);
            std::atomic<int> bands{0};
            for (int round = 0; round < 50; ++round)  // the same workers, many small jobs
                pool.bands(n, [&](int b, int e) {
                    ++bands;
                    for (int i = b; i < e; ++i) ++hits[std::size_t(i)];
                });
            for (int i = 0; i < n; ++i) CHECK(hits[std::size_t(i)].load() == 50);
            CHECK(bands.load() == 50 * std::min(pool.size(), n));
        }
        CHECK_THROWS_WITH_AS(pool.bands(100, [](int, int) { throw std::runtime_error("band failed"); }), "band failed",
                             std::runtime_error);
        // Still usable after an exception.
        std::atomic<int> total{0};
        pool.bands(10, [&](int b, int e) { total += e - b; });
        CHECK(total.load() == 10);
    }
}

TEST_CASE("thread_pool: size is the threads asked for, at least 1, at most the hardware's") {
    const unsigned hardware = std::thread::hardware_concurrency();
    for (int threads : {INT_MIN, -3, 0, 1, 2, 3, 4, 8, 1000}) {
        CAPTURE(threads);
        d::thread_pool pool(threads);
        const int expected = hardware > 0 ? std::min(std::max(1, threads), int(hardware)) : std::max(1, threads);
        CHECK(pool.size() == expected);
    }
    // A pool of one runs every job in the calling thread.
    d::thread_pool one(0);
    std::thread::id ran;
    one.bands(5, [&](int b, int e) {
        CHECK(b == 0);
        CHECK(e == 5);
        ran = std::this_thread::get_id();
    });
    CHECK(ran == std::this_thread::get_id());
}

TEST_CASE("thread_pool: the bands tile [0, n) in order, balanced within one item, one thread each, the caller first") {
    for (int threads : {1, 2, 3, 4, 8}) {
        d::thread_pool pool(threads);
        for (int n : {1, 2, 3, 4, 5, 7, 8, 9, 63, 100, 1001, 1 << 20, INT_MAX - 1, INT_MAX}) {
            CAPTURE(threads);
            CAPTURE(n);
            std::mutex m;
            std::vector<band> got;
            pool.bands(n, [&](int b, int e) {
                const std::lock_guard<std::mutex> lock(m);
                got.push_back({b, e, std::this_thread::get_id()});
            });
            std::sort(got.begin(), got.end(), [](const band& a, const band& b) { return a.begin < b.begin; });
            const int parts = std::min(pool.size(), n);
            REQUIRE(int(got.size()) == parts);
            CHECK(got.front().begin == 0);
            CHECK(got.back().end == n);
            CHECK(got.front().thread == std::this_thread::get_id());
            std::set<std::thread::id> ids;
            long long shortest = LLONG_MAX, longest = 0;
            for (std::size_t i = 0; i < got.size(); ++i) {
                if (i + 1 < got.size()) CHECK(got[i].end == got[i + 1].begin);
                const long long len = (long long)got[i].end - got[i].begin;
                shortest = std::min(shortest, len);
                longest = std::max(longest, len);
                ids.insert(got[i].thread);
            }
            CHECK(shortest >= 1);
            CHECK(longest - shortest <= 1);
            CHECK(int(ids.size()) == parts);
        }
    }
}

TEST_CASE("thread_pool: every index runs exactly once, for every size up to 64 and many thread counts") {
    for (int threads : {1, 2, 3, 5, 9}) {
        d::thread_pool pool(threads);
        for (int n = 0; n <= 64; ++n) {
            // Plain ints: each index belongs to exactly one band, so no two threads write one.
            std::vector<int> hits(std::size_t(n), 0);
            pool.bands(n, [&](int b, int e) {
                for (int i = b; i < e; ++i) ++hits[std::size_t(i)];
            });
            CAPTURE(threads);
            CAPTURE(n);
            CHECK(std::count(hits.begin(), hits.end(), 1) == n);
        }
    }
}

TEST_CASE("thread_pool: empty work calls nothing") {
    for (int threads : {1, 2, 4}) {
        d::thread_pool pool(threads);
        for (int n : {0, -1, -1000, INT_MIN}) {
            CAPTURE(n);
            int calls = 0;
            pool.bands(n, [&](int, int) { ++calls; });
            CHECK(calls == 0);
        }
        // ... and the pool works afterwards.
        std::atomic<int> total{0};
        pool.bands(3, [&](int b, int e) { total += e - b; });
        CHECK(total.load() == 3);
    }
}

TEST_CASE("thread_pool: an exception reaches the caller after every other band is done; the pool stays usable") {
    d::thread_pool pool(4);
    for (int n : {2, 3, 5, 100}) {
        const int parts = std::min(pool.size(), n);
        for (int thrower = 0; thrower < parts; ++thrower) {
            CAPTURE(n);
            CAPTURE(thrower);
            std::atomic<int> finished{0}, sink{0};
            bool caught = false;
            const int throwing_begin = int(std::int64_t(n) * thrower / parts);  // that band's first item
            try {
                pool.bands(n, [&](int b, int) {
                    if (b == throwing_begin) throw std::runtime_error("band " + std::to_string(b));
                    sink += busy_work(b);
                    ++finished;
                });
            } catch (const std::runtime_error& e) {
                caught = true;
                CHECK(std::string(e.what()) == "band " + std::to_string(throwing_begin));
            }
            CHECK(caught);
            // Returned only when every band was done: the others have all finished.
            CHECK(finished.load() == parts - 1);
            // Usable afterwards, every index once.
            std::vector<int> hits(std::size_t(n), 0);
            pool.bands(n, [&](int b, int e) {
                for (int i = b; i < e; ++i) ++hits[std::size_t(i)];
            });
            CHECK(std::count(hits.begin(), hits.end(), 1) == n);
        }
    }
    // When every band throws, one exception comes out (of its own type, not only std::exception).
    CHECK_THROWS_AS(pool.bands(100, [](int b, int) { throw b; }), int);
    try {
        pool.bands(100, [](int b, int) { throw b; });
    } catch (int b) {
        bool a_band_begin = false;
        for (int k = 0; k < pool.size(); ++k) a_band_begin = a_band_begin || b == 100 * k / pool.size();
        CHECK(a_band_begin);
    }
    // A job after a failed one starts clean: no stale exception is rethrown.
    CHECK_NOTHROW(pool.bands(100, [](int, int) {}));
}

TEST_CASE("thread_pool: a band may use a pool of its own (nested pools)") {
    d::thread_pool outer(3);
    std::vector<std::atomic<int>> hits(40 * 50);
    outer.bands(40, [&](int b, int e) {
        d::thread_pool inner(2);
        for (int i = b; i < e; ++i)
            inner.bands(50, [&](int ib, int ie) {
                for (int j = ib; j < ie; ++j) ++hits[std::size_t(i * 50 + j)];
            });
    });
    int once = 0;
    for (const auto& h : hits) once += h.load() == 1;
    CHECK(once == 40 * 50);
}

TEST_CASE("thread_pool: 500 jobs and 100 pools in a row finish (bounded, no timing)") {
    d::thread_pool pool(4);
    long long total = 0;
    for (int job = 0; job < 500; ++job) {
        // Sizes that leave some workers idle, and some that use them all.
        const int n = 1 + job % 7;
        std::atomic<int> sum{0};
        pool.bands(n, [&](int b, int e) { sum += e - b; });
        total += sum.load();
    }
    long long expected = 0;
    for (int job = 0; job < 500; ++job) expected += 1 + job % 7;
    CHECK(total == expected);
    // Pools destroyed right after being made, after one job (workers still polling), and after
    // a job that threw.
    int done = 0;
    for (int i = 0; i < 100; ++i) {
        d::thread_pool p(1 + i % 4);
        if (i % 3 == 1) p.bands(8, [&](int, int) {});
        if (i % 3 == 2) CHECK_THROWS_AS(p.bands(8, [](int, int) { throw std::logic_error("x"); }), std::logic_error);
        ++done;
    }
    CHECK(done == 100);
}

}  // namespace pixlime_detail_thread_pool_test
