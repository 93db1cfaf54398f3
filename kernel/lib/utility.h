// Minimal freestanding replacements for the parts of <utility> and
// <type_traits> the kernel libraries need. The kernel is built with
// -nostdinc++, so std::move and friends are not available there.
#pragma once

#include <stddef.h>

namespace mica {

template <typename T>
struct RemoveReference {
  using Type = T;
};
template <typename T>
struct RemoveReference<T&> {
  using Type = T;
};
template <typename T>
struct RemoveReference<T&&> {
  using Type = T;
};
template <typename T>
using RemoveReferenceT = typename RemoveReference<T>::Type;

template <typename A, typename B>
inline constexpr bool kIsSame = false;
template <typename A>
inline constexpr bool kIsSame<A, A> = true;

template <typename T>
constexpr RemoveReferenceT<T>&& Move(T&& t) noexcept {
  return static_cast<RemoveReferenceT<T>&&>(t);
}

template <typename T>
constexpr T&& Forward(RemoveReferenceT<T>& t) noexcept {
  return static_cast<T&&>(t);
}
template <typename T>
constexpr T&& Forward(RemoveReferenceT<T>&& t) noexcept {
  return static_cast<T&&>(t);
}

template <typename T>
constexpr void Swap(T& a, T& b) noexcept {
  T tmp = Move(a);
  a = Move(b);
  b = Move(tmp);
}

template <typename T>
constexpr const T& Min(const T& a, const T& b) {
  return b < a ? b : a;
}
template <typename T>
constexpr const T& Max(const T& a, const T& b) {
  return a < b ? b : a;
}

// Power-of-two helpers for unsigned integers.
template <typename T>
constexpr bool IsPow2(T x) {
  return x != 0 && (x & (x - 1)) == 0;
}
// Rounds `x` up/down to a multiple of `align`, which must be a power of two.
template <typename T>
constexpr T RoundUp(T x, T align) {
  return (x + (align - 1)) & ~(align - 1);
}
template <typename T>
constexpr T RoundDown(T x, T align) {
  return x & ~(align - 1);
}
template <typename T>
constexpr bool IsAligned(T x, T align) {
  return (x & (align - 1)) == 0;
}

}  // namespace mica
