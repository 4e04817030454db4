#include <pixlime_app/progress.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace pixlime::app {

namespace {
using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }
}  // namespace

progress_display::progress_display(int total) : total_(total), tty_(isatty(STDERR_FILENO) != 0), t0_(clock_type::now()) {}

void progress_display::samples(int item, int done, int of) {
    if (!tty_) return;
    const auto now = clock_type::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    bar(item + double(done) / std::max(of, 1),
        " image " + std::to_string(item + 1) + ": " + std::to_string(done) + "/" + std::to_string(of) + " samples");
}

void progress_display::finished(int item, const std::string& what) {
    if (tty_) {
        std::cerr << "\r\033[K" << what << "\n";
        bar(item + 1, "");
    } else {
        std::cerr << "pixlime: [" << item + 1 << "/" << total_ << "] " << what << "\n";
    }
}

void progress_display::end() {
    if (tty_) std::cerr << "\r\033[K";
}

/// `done`: items done, the current one's fraction of samples included, so that the rate and the
/// ETA move during a long item.
void progress_display::bar(double done, const std::string& tail) {
    const int width = 30, filled = total_ ? int(width * std::min(done, double(total_)) / total_) : width;
    const double elapsed = seconds_since(t0_), rate = elapsed > 0 ? done / elapsed : 0;
    std::string eta = "--:--";
    if (rate > 0 && done > 0) {
        const int s = int((total_ - done) / rate + 0.5);
        char b[32];
        std::snprintf(b, sizeof b, "%d:%02d", s / 60, s % 60);
        eta = b;
    }
    char head[96];
    std::snprintf(head, sizeof head, "] %d/%d  %.2f img/s  ETA %s", int(done), total_, rate, eta.c_str());
    std::cerr << "\r\033[K[" << std::string(std::size_t(filled), '#') << std::string(std::size_t(width - filled), ' ') << head << tail
              << std::flush;
}

}  // namespace pixlime::app
