#pragma once
/// \file pixlime/detail/io/atomic_write.hpp
/// The one atomic file write of pixlime and its apps (save_png, write_file): the bytes go to
/// a new file with a unique name in the same folder (created exclusively: fopen mode "x" of
/// C11 7.21.5.3 / C++17), are flushed and synced to disk (POSIX fsync), keep an existing
/// file's permissions (chmod) and are renamed over the target (POSIX rename(2), atomic within
/// a file system; the folder is then synced so that the rename itself survives a crash). A
/// device or FIFO is written directly. Also the FILE handle and message helpers that
/// load_image shares.

#include <pixlime/error.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace pixlime {
namespace detail {
namespace io {

/// A FILE that closes itself.
struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

/// "'PATH'", as messages quote paths.
inline std::string quoted(const std::string& path) { return "'" + path + "'"; }

/// The system's text for errno value `err` ("No such file or directory").
inline std::string os_reason(int err) { return err ? std::strerror(err) : "unknown error"; }

/// Writes `size` bytes to `path`; returns 0 or the errno of the failure. `direct`: into the
/// file itself (a device or FIFO); otherwise into a new sibling file (a unique name, created
/// exclusively), flushed to disk, given `mode` (an existing file's permissions, or -1) and
/// renamed over `path`; on every failure the sibling is removed. The one atomic write of
/// pixlime and its apps (save_png, write_file).
inline int write_file(const std::string& path, const void* data, std::size_t size, bool direct, long mode) {
    std::string target = path;
    file_ptr f;
    if (direct) {
        errno = 0;
        f.reset(std::fopen(path.c_str(), "wb"));
        if (!f) return errno ? errno : EIO;
    } else {
        // Created exclusively ("x": C11 / C++17) so that two writers never share one.
        static std::atomic<unsigned> counter{0};
        const auto clock = std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
        int open_error = 0;
        for (int attempt = 0; attempt < 100 && !f; ++attempt) {
            target = path + ".pixlime-" + std::to_string(clock % 1000000007u) + "-" + std::to_string(counter++) + ".tmp";
            errno = 0;
            f.reset(std::fopen(target.c_str(), "wbx"));
            open_error = errno ? errno : EIO;
            if (!f && open_error != EEXIST) break;
        }
        if (!f) return open_error;
    }
    errno = 0;
    int error = std::fwrite(data, 1, size, f.get()) == size ? 0 : (errno ? errno : EIO);
    errno = 0;
    if (error == 0 && std::fflush(f.get()) != 0) error = errno ? errno : EIO;
#if defined(__unix__) || defined(__APPLE__)
    // On disk before the rename: after a crash the file is either the old one or the new one
    // whole, never a renamed empty file (a device or FIFO cannot be synced and need not be).
    if (error == 0 && !direct && ::fsync(::fileno(f.get())) != 0) error = errno ? errno : EIO;
#endif
    errno = 0;
    if (std::fclose(f.release()) != 0 && error == 0) error = errno ? errno : EIO;
    if (direct) return error;
#if defined(__unix__) || defined(__APPLE__)
    if (error == 0 && mode >= 0 && ::chmod(target.c_str(), static_cast<mode_t>(mode)) != 0) error = errno;
#else
    (void)mode;
#endif
    if (error == 0 && std::rename(target.c_str(), path.c_str()) != 0) {
        error = errno ? errno : EIO;
#if defined(_WIN32)
        // Windows does not rename over an existing file: remove it first.
        if ((error == EEXIST || error == EACCES) && std::remove(path.c_str()) == 0 &&
            std::rename(target.c_str(), path.c_str()) == 0)
            error = 0;
#endif
    }
    if (error != 0) std::remove(target.c_str());
#if defined(__unix__) || defined(__APPLE__)
    // The rename itself on disk: sync the folder that holds the entry (best effort).
    if (error == 0) {
        const std::size_t slash = path.find_last_of('/');
        const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
        const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
        if (dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
    }
#endif
    return error;
}

/// The file status save_png and write_file need: whether to write `path` directly (an
/// existing device or FIFO) and the permissions an existing file keeps (-1: none).
inline void target_kind(const std::string& path, bool& direct, long& mode) {
    direct = false;
    mode = -1;
#if defined(__unix__) || defined(__APPLE__)
    struct ::stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        direct = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        mode = long(st.st_mode & 07777);
    }
#else
    (void)path;
#endif
}

/// Writes `size` bytes at `data` to `path` atomically (write_file above, after target_kind);
/// throws pixlime::io_error naming `parameter` ("save_png path", "write_file path") with the
/// system's reason when the file cannot be written.
inline void write_atomically(const std::string& path, const void* data, std::size_t size, const std::string& parameter) {
    bool direct = false;
    long mode = -1;
    target_kind(path, direct, mode);
    if (const int error = write_file(path, data, size, direct, mode))
        throw io_error(parameter, quoted(path), "a writable file path (" + os_reason(error) + ")");
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
