#pragma once
/// \file pixlime/error.hpp
/// The exceptions pixlime throws. Every one derives from pixlime::error (a std::runtime_error)
/// and has one message format,
///
///     pixlime: NAME = VALUE: expected EXPECTED
///
/// for example `pixlime: explain_options.num_samples = 1: expected at least 2`. The three parts
/// are also accessors (parameter(), value(), expected()), so that a program can branch on the
/// parameter's name instead of parsing the message. The class says what kind of failure it is:
///
/// | class                     | base               | thrown when                                           |
/// |---------------------------|--------------------|-------------------------------------------------------|
/// | pixlime::invalid_argument | pixlime::error     | a parameter, option or input is outside what is accepted |
/// | pixlime::size_limit_error | invalid_argument   | an input exceeds a pixlime::limits value (checked before allocating) |
/// | pixlime::io_error         | pixlime::error     | a file cannot be opened, decoded or written           |
/// | pixlime::classifier_error | pixlime::error     | the user's classifier threw (nested) or returned a bad output |
/// | pixlime::stage_error      | pixlime::error     | a user-supplied stage callable (segmenter, sampler, fill, kernel, surrogate) threw (nested) |
/// | pixlime::cancelled        | pixlime::error     | explain_options::progress returned false              |

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace pixlime {

namespace detail {

/// A value as it appears in an error message: strings as they are, floating-point numbers in
/// the shortest form that reads back as the same number ("0.1", "1e-200", "nan"), other values
/// as an std::ostream prints them.
template <class Value>
std::string to_text(const Value& v) {
    if constexpr (std::is_convertible_v<const Value&, std::string>) {
        return std::string(v);
    } else if constexpr (std::is_floating_point_v<Value>) {
        const double d = double(v);
        if (std::isnan(d)) return "nan";
        if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
        std::string text;
        for (int digits = 6; digits <= 17; ++digits) {
            std::ostringstream s;
            s.precision(digits);
            s << v;
            text = s.str();
            if (std::strtod(text.c_str(), nullptr) == d) break;
        }
        return text;
    } else if constexpr (std::is_same_v<Value, signed char> || std::is_same_v<Value, unsigned char>) {
        return std::to_string(int(v));
    } else {
        std::ostringstream s;
        s << v;
        return s.str();
    }
}

}  // namespace detail

/// Base of every exception pixlime throws: what() is "pixlime: NAME = VALUE: expected EXPECTED".
class error : public std::runtime_error {
public:
    /// `parameter`: what was wrong, e.g. "explain_options.num_samples" or "load_image path";
    /// `value`: what was received (any printable value); `expected`: what is accepted.
    template <class Value>
    error(std::string parameter, const Value& value, std::string expected)
        : error(std::move(parameter), detail::to_text(value), std::move(expected), formatted{}) {}

    /// The name of the parameter, option, input or output at fault.
    const std::string& parameter() const noexcept { return parameter_; }
    /// The value received, as printed in the message.
    const std::string& value() const noexcept { return value_; }
    /// What would have been accepted.
    const std::string& expected() const noexcept { return expected_; }

private:
    struct formatted {};
    error(std::string parameter, std::string value, std::string expected, formatted)
        : std::runtime_error("pixlime: " + parameter + " = " + value + ": expected " + expected),
          parameter_(std::move(parameter)), value_(std::move(value)), expected_(std::move(expected)) {}

    std::string parameter_, value_, expected_;
};

/// A parameter, option or input outside what the function accepts (zero-size image, channels
/// out of range, num_samples < 2, a label that was not explained, ...).
class invalid_argument : public error {
public:
    using error::error;
};

/// An input larger than a pixlime::limits value allows (image pixels or bytes, samples,
/// segments, classes). Checked before anything is allocated; the limits can be raised.
class size_limit_error : public invalid_argument {
public:
    using invalid_argument::invalid_argument;
};

/// A file that is missing, unreadable, corrupt, truncated, of an unsupported format, or that
/// cannot be written.
class io_error : public error {
public:
    using error::error;
};

/// The user's classifier misbehaved: it threw (the original exception is nested, see
/// std::rethrow_if_nested), or returned a wrong number of rows, a changing number of columns,
/// NaN / Inf, values too large to fit, or a single column outside [0, 1].
class classifier_error : public error {
public:
    using error::error;
};

/// A stage callable the user supplied (a custom explain_options::segmenter, sampler, fill,
/// kernel or surrogate, or a custom curve_options fill) threw an exception that is not a
/// pixlime::error. parameter() names the stage as it is set, e.g. "explain_options.segmenter",
/// value() the callable's name and what it threw ("custom threw: segmenter boom"); the original
/// exception is nested (std::rethrow_if_nested finds it). A pixlime::error thrown from inside a
/// stage (a built-in's invalid_argument, a size_limit_error, cancelled, ...) passes through with
/// its own class, and a built-in stage's other exceptions (std::bad_alloc) pass through as they are.
class stage_error : public error {
public:
    using error::error;
};

/// The explanation was stopped because explain_options::progress returned false.
class cancelled : public error {
public:
    using error::error;
};

}  // namespace pixlime
