#pragma once
/// \file dataset.hpp
/// Step 1 and 2 of the workflow: Fashion-MNIST (IDX files, gzipped or not) laid out as
/// image folders `<data>/train/<class>/*.png` and `<data>/validation/<class>/*.png`, and
/// any folder of that shape read back, every image standardized to the model's input
/// (resized, channels converted, rescaled to [0, 1]).

#include <pixlime/image.hpp>
#include <pixlime_app/preprocess.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wf {

// Image to model input is the app layer's (pixlime_app/preprocess.hpp).
using pixlime::app::input_shape;
using pixlime::app::load_standardized;
using pixlime::app::resize;
using pixlime::app::standardize;
using pixlime::app::to_u8;
using pixlime::app::upscale_factor;

/// Fashion-MNIST's ten classes, by their label number in the IDX files, as folder names.
const std::vector<std::string>& fashion_mnist_classes();

/// Images of an IDX3 file (unsigned bytes), count x rows x cols.
struct idx_images {
    int count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels;  // count * rows * cols, row-major per image
};
/// Reads an IDX3 image file or IDX1 label file; `.gz` files are decompressed on the fly with
/// zlib (plain files are read as they are). Throws std::runtime_error on a missing or
/// malformed file. `limit` > 0 reads only the first `limit` items.
idx_images read_idx_images(const std::string& path, int limit = 0);
std::vector<std::uint8_t> read_idx_labels(const std::string& path, int limit = 0);

struct prepare_options {
    std::string idx_dir = "/usr/share/datasets/fashion-mnist";  ///< Debian's dataset-fashion-mnist
    std::string data_dir;                                        ///< where train/ and validation/ go
    int train_limit = 0;                                         ///< 0 = all 60,000
    int validation_limit = 0;                                    ///< 0 = all 10,000
};
struct prepare_result {
    int train = 0, validation = 0;
    bool skipped = false;  ///< the folder already held this exact layout (stamp file matched)
    double seconds = 0;
};
/// Writes the IDX images as PNG files into `<data>/train/<class>/train-NNNNN.png` and
/// `<data>/validation/<class>/validation-NNNNN.png` (NNNNN = index in the IDX file).
/// A stamp file `<data>/.prepared` records what was written (before the first image, and
/// again when complete); a rerun with the same options skips the work. Only what prepare
/// wrote is ever removed: `<data>/train` or `<data>/validation` without the stamp, a
/// stamp that is not prepare's, or a file in the layout that prepare did not write make it
/// throw std::runtime_error, leaving everything as it is. Other files in `<data>` stay.
prepare_result prepare_fashion_mnist(const prepare_options& options,
                                     const std::function<void(const std::string&)>& progress = {});

/// One labelled file of a folder dataset.
struct labelled_file {
    std::string path;
    int label = -1;  ///< index into folder_dataset::classes
};
struct folder_dataset {
    std::vector<std::string> classes;  ///< sorted sub-folder names
    std::vector<labelled_file> files;  ///< sorted by class, then file name
};
/// Lists `<dir>/<class>/*` (files with an image extension). Classes are the sorted
/// sub-folder names, or, when `classes` is given (a trained model's), those names: a folder
/// not among them is an error. Throws std::runtime_error when `dir` has no class folder.
folder_dataset scan_folder(const std::string& dir, const std::vector<std::string>& classes = {});

/// Loads every file of a dataset into a matrix-ready buffer: file i occupies
/// values [i * shape.size(), (i + 1) * shape.size()). Uses all OpenMP threads.
/// An unreadable file throws, unless `skipped` is given: then such files are removed from
/// `data` (and the buffer) and their "path: reason" lines appended to *skipped.
std::vector<float> load_all(folder_dataset& data, const input_shape& shape,
                            const std::function<void(int done, int total)>& progress = {},
                            std::vector<std::string>* skipped = nullptr);

}  // namespace wf
