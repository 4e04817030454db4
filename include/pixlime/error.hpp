#pragma once
/// \file pixlime/error.hpp
/// The exceptions pixlime throws. Every one derives from pixlime::error (itself a
/// std::runtime_error) and its what() starts with the stable prefix "pixlime: ".
/// Messages name the parameter, the value received and what was expected.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace pixlime {

/// Base of every exception pixlime throws.
class error : public std::runtime_error {
public:
    explicit error(const std::string& message) : std::runtime_error("pixlime: " + message) {}
};

/// A parameter, option or argument outside what the function accepts
/// (zero-size image, channels out of range, num_samples < 2, label out of range, ...).
class invalid_argument : public error {
public:
    using error::error;

    /// "<parameter> = <value>: expected <expected>"
    template <class Value>
    static invalid_argument make(const std::string& parameter, const Value& value,
                                 const std::string& expected) {
        std::ostringstream s;
        s << parameter << " = " << value << ": expected " << expected;
        return invalid_argument(s.str());
    }
};

/// An image whose dimensions exceed pixlime::max_image_pixels (checked before allocating).
class size_limit_error : public invalid_argument {
public:
    using invalid_argument::invalid_argument;
};

/// A file that is missing, unreadable, corrupt or cannot be written.
class io_error : public error {
public:
    using error::error;

    static io_error make(const std::string& action, const std::string& path,
                         const std::string& reason) {
        return io_error(action + " '" + path + "' failed: " + reason);
    }
};

/// The user's classifier misbehaved: wrong number of rows, a changing number of
/// columns, NaN/Inf outputs, or it threw (the original exception is nested; see
/// std::rethrow_if_nested).
class classifier_error : public error {
public:
    using error::error;
};

}  // namespace pixlime
