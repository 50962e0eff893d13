// Result<T, E>: a value or an expected failure, shaped like C++23 std::expected (STYLE.md).
#pragma once

#include <utility>
#include <variant>

namespace chorus {

template <typename E>
struct Unexpected {
    E error;
};
template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& e)
{
    return {std::forward<E>(e)};
}

/// Holds either a T or an E; check has_value() before value(), or use error().
template <typename T, typename E>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    template <typename G>
    Result(Unexpected<G> e) : v_(std::in_place_index<1>, std::move(e.error))
    {
    }

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const E& error() const& { return std::get<1>(v_); }
    E&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, E> v_;
};

/// Result<void, E>: success or an E.
template <typename E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    template <typename G>
    Result(Unexpected<G> e) : error_(std::move(e.error)), has_error_(true)
    {
    }
    bool has_value() const noexcept { return !has_error_; }
    explicit operator bool() const noexcept { return has_value(); }
    const E& error() const& { return error_; }

private:
    E error_{};
    bool has_error_ = false;
};

}  // namespace chorus
