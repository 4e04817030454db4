#pragma once
/// \file progress.hpp
/// Progress of a long run on standard error: a bar with rate and ETA on a terminal, counting the
/// current item's samples so that it moves during a long image; plain lines otherwise (a log).

#include <chrono>
#include <string>

namespace pixlime::app {

class progress_display {
public:
    /// `total` items; the bar is drawn only when standard error is a terminal.
    explicit progress_display(int total);
    /// Item `item` (0-based) has `done` of `of` samples done (at most ten redraws a second).
    void samples(int item, int done, int of);
    /// Item `item` finished: `what` is printed on its own line.
    void finished(int item, const std::string& what);
    /// Clears the bar.
    void end();

private:
    void bar(double done, const std::string& tail);
    int total_ = 0;
    bool tty_ = false;
    std::chrono::steady_clock::time_point t0_, last_{};
};

}  // namespace pixlime::app
