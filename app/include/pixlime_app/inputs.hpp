#pragma once
/// \file inputs.hpp
/// Which images an app works on: image files by extension, folders searched recursively, list
/// files, shards for several machines; results folders are never inputs.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace pixlime::app {

/// A bad list of inputs (an unreadable list file or folder, a malformed shard): the caller's
/// mistake, reported as a usage error.
struct input_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Whether `p` has an image extension pixlime reads (.png, .jpg, .jpeg, .bmp, .gif, .tga, .psd,
/// .pnm, .ppm, .pgm; any case).
bool is_image_file(const std::filesystem::path& p);

/// Files as given, in order, then the lines of `list_file` (when given; blank lines and lines
/// starting with '#' skipped); folders expanded recursively to their image files, sorted,
/// leaving out anything under `out_dir` (results written inside an input folder are not inputs).
/// A missing file stays in the list: it fails as that image, with its reason. Throws
/// input_error for an unreadable list file or folder.
std::vector<std::string> expand_inputs(const std::vector<std::string>& args, const std::string& list_file, const std::string& out_dir);

/// "I/N": every N-th input from the I-th (0-based), so that shards 0/N .. N-1/N together are
/// all; "" is all. Throws input_error for anything else.
std::vector<std::string> take_shard(const std::vector<std::string>& all, const std::string& shard);

}  // namespace pixlime::app
