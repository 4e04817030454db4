#pragma once
/// \file pixlime/detail/stage.hpp
/// The one pattern of pixlime's five pipeline stages (pixlime::segmenter, sampler, fill, kernel,
/// surrogate): each is a detail::stage, a value that holds either one of its built-in
/// alternatives or the user's callable, so that explain_options names every stage without
/// templates and a user writes
///
///     opt.segmenter = pixlime::quickshift_options{};          // a built-in options struct
///     opt.sampler   = pixlime::sampling::paired;              // a built-in mode
///     opt.kernel    = [](const pixlime::mask_matrix& m) { ... };  // any callable
///
/// Every stage has the same members (from this template):
/// - `bool is_builtin()`: a built-in alternative, or the user's callable;
/// - `template <class B> const B* builtin()`: the typed query, the built-in alternative `B`
///   held (e.g. `opt.kernel.builtin<pixlime::shapley_kernel>()`), or nullptr;
/// - `const std::string& name()`: the built-in's name ("slic", "orthogonal", "weighted_ridge",
///   ...) or the name given with the callable ("custom" by default);
/// and each stage class adds its call operator (the stage's work) and, where its built-ins
/// have options to check, `validate()`. The pipeline calls a stage only through
/// detail::call_stage, the one error wrapper: a callable's exception that is not a
/// pixlime::error comes back as a pixlime::stage_error naming the stage, the original nested.

#include <pixlime/error.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace pixlime::detail {

/// The message of the exception being handled (call only inside a catch block): its what(),
/// or a fixed text for an exception not derived from std::exception.
inline std::string describe_current_exception() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

/// A pipeline stage: one of the built-in alternatives `Builtins...` or a user callable held as
/// `Custom` (a type distinct from every built-in), with its name. See the file comment for the
/// pattern; the stage classes derive from it and construct it with the alternative and name.
template <class Custom, class... Builtins>
class stage {
public:
    /// True for a built-in alternative, false for a callable (whose exceptions the pipeline
    /// passes on as a pixlime::stage_error, see call_stage).
    bool is_builtin() const { return !std::holds_alternative<Custom>(value_); }
    /// The built-in alternative `B` (one of Builtins...) when the stage holds it, else nullptr
    /// (another built-in, or a callable).
    template <class B>
    const B* builtin() const {
        static_assert((std::is_same_v<B, Builtins> || ...), "pixlime: B is not a built-in alternative of this stage");
        return std::get_if<B>(&value_);
    }
    /// The built-in's name, or the name given with the callable.
    const std::string& name() const { return name_; }

protected:
    /// Holds `alternative` (a built-in, or a Custom), named `name`.
    template <class A>
    stage(A&& alternative, std::string name)
        : value_(std::in_place_type<std::decay_t<A>>, std::forward<A>(alternative)), name_(std::move(name)) {}
    /// The alternative held, for the stage's call operator (std::visit).
    const std::variant<Builtins..., Custom>& alternative() const { return value_; }
    /// The callable; only when !is_builtin().
    const Custom& custom() const { return std::get<Custom>(value_); }

private:
    std::variant<Builtins..., Custom> value_;
    std::string name_;
};

/// The callable alternative of a stage whose callable takes an image of either pixel type
/// (segmenter, fill): `Signature<T>` is its function type for pixel type T; `u8` and `f32` are
/// the user's overloads for std::uint8_t and float images, either may be empty (only the one
/// for the pixel type actually used is run).
template <template <class> class Signature>
struct pixel_callables {
    std::function<Signature<std::uint8_t>> u8;
    std::function<Signature<float>> f32;

    /// The overload for pixel type T (std::uint8_t or float). Throws pixlime::invalid_argument
    /// naming the stage `kind` (e.g. "segmenter") and callable `name` when the user gave none.
    template <class T>
    const std::function<Signature<T>>& overload(const std::string& kind, const std::string& name) const {
        const auto& f = [&]() -> const std::function<Signature<T>>& {
            if constexpr (std::is_same_v<T, std::uint8_t>) return u8; else return f32;
        }();
        if (!f)
            throw invalid_argument(kind + " (" + name + ")",
                                   std::string("a callable without an image_view<const ") +
                                       (std::is_same_v<T, float> ? "float" : "std::uint8_t") + "> overload",
                                   "a " + kind + " that accepts the image's pixel type");
        return f;
    }
};

/// Returns `s(args...)`, a call of the stage `s` at `where` (the option's name, e.g.
/// "explain_options.segmenter"), the one way the pipeline calls a stage. When `s` holds the
/// user's callable, an exception from it that is not a pixlime::error comes back as a
/// pixlime::stage_error: parameter `where`, value "NAME threw: WHAT", expected `expected` (what
/// the stage should have returned, e.g. "#samples weights"), the original nested
/// (std::rethrow_if_nested). pixlime's own errors (cancelled too), and anything a built-in
/// alternative throws, pass unchanged.
template <class Stage, class... Args>
auto call_stage(const char* where, const Stage& s, const char* expected, Args&&... args) -> decltype(s(std::forward<Args>(args)...)) {
    if (s.is_builtin()) return s(std::forward<Args>(args)...);
    try {
        return s(std::forward<Args>(args)...);
    } catch (const error&) {
        throw;
    } catch (...) {
        std::throw_with_nested(stage_error(where, s.name() + " threw: " + describe_current_exception(),
                                           std::string(expected) + " (the exception is nested)"));
    }
}

}  // namespace pixlime::detail
