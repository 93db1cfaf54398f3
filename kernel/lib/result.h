// Result<T>: either a value of type T or an error Status; and TRY(), the
// early-return helper.
//
//   Result<paddr_t> AllocPage();
//   Result<Foo*> MakeFoo() {
//     paddr_t pa = TRY(AllocPage());   // returns the error on failure
//     ...
//     return foo;                      // a value
//     return Status::kNoMemory;        // or an error
//   }
//
// A Result built from a Status holds an error; building one from kOk is a
// bug (asserted), except for Result<void>, where kOk means success.
// Accessing value() of an error Result asserts.
//
// TRY(expr) evaluates `expr` (a Result<U> or a Status). On error it returns
// the Status from the enclosing function (whose return type must be
// constructible from Status: Status or any Result). Otherwise the TRY
// expression yields the value (moved out), or nothing for Status and
// Result<void>. It is a GNU statement expression (clang).
#pragma once

#include <new>

#include "kernel/lib/assert.h"
#include "kernel/lib/status.h"
#include "kernel/lib/utility.h"

namespace mica {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!kIsSame<T, Status>, "Result<Status> is ambiguous");

 public:
  // An error.
  Result(Status error) : status_(error) {
    MICA_ASSERT_MSG(error != Status::kOk, "Result<T> built from kOk without a value");
  }
  // A value.
  Result(const T& value) : status_(Status::kOk) { new (&value_) T(value); }
  Result(T&& value) : status_(Status::kOk) { new (&value_) T(Move(value)); }

  Result(const Result& o) : status_(o.status_) {
    if (ok()) {
      new (&value_) T(o.value_);
    }
  }
  Result(Result&& o) : status_(o.status_) {
    if (ok()) {
      new (&value_) T(Move(o.value_));
    }
  }
  Result& operator=(const Result& o) {
    if (this != &o) {
      Destroy();
      status_ = o.status_;
      if (ok()) {
        new (&value_) T(o.value_);
      }
    }
    return *this;
  }
  Result& operator=(Result&& o) {
    if (this != &o) {
      Destroy();
      status_ = o.status_;
      if (ok()) {
        new (&value_) T(Move(o.value_));
      }
    }
    return *this;
  }
  ~Result() { Destroy(); }

  bool ok() const { return status_ == Status::kOk; }
  bool is_ok() const { return ok(); }
  bool is_error() const { return !ok(); }
  // kOk for a value, the error otherwise.
  Status status() const { return status_; }
  Status error() const {
    MICA_ASSERT_MSG(!ok(), "error() of a Result holding a value");
    return status_;
  }

  T& value() & {
    CheckValue();
    return value_;
  }
  const T& value() const& {
    CheckValue();
    return value_;
  }
  T&& value() && {
    CheckValue();
    return Move(value_);
  }
  T value_or(T fallback) const& { return ok() ? value_ : fallback; }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void CheckValue() const { MICA_ASSERT_MSG(ok(), "value() of a Result holding an error"); }
  void Destroy() {
    if (ok()) {
      value_.~T();
    }
  }

  Status status_;
  union {
    T value_;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  // Success.
  constexpr Result() : status_(Status::kOk) {}
  // Success (kOk) or an error.
  constexpr Result(Status s) : status_(s) {}

  bool ok() const { return status_ == Status::kOk; }
  bool is_ok() const { return ok(); }
  bool is_error() const { return !ok(); }
  Status status() const { return status_; }
  Status error() const {
    MICA_ASSERT_MSG(!ok(), "error() of a successful Result");
    return status_;
  }
  void value() const { MICA_ASSERT_MSG(ok(), "value() of a Result holding an error"); }

 private:
  Status status_;
};

namespace internal {

inline bool TryIsOk(Status s) {
  return s == Status::kOk;
}
inline Status TryError(Status s) {
  return s;
}
inline void TryTake(Status) {}

template <typename T>
bool TryIsOk(const Result<T>& r) {
  return r.ok();
}
template <typename T>
Status TryError(const Result<T>& r) {
  return r.status();
}
template <typename T>
T TryTake(Result<T>&& r) {
  return Move(r).value();
}
template <typename T>
T TryTake(Result<T>& r) {
  return Move(r).value();
}
inline void TryTake(Result<void>&&) {}
inline void TryTake(Result<void>&) {}

}  // namespace internal

}  // namespace mica

#define TRY(expr)                                          \
  ({                                                       \
    auto&& mica_try_result_ = (expr);                      \
    if (!::mica::internal::TryIsOk(mica_try_result_)) {    \
      return ::mica::internal::TryError(mica_try_result_); \
    }                                                      \
    ::mica::internal::TryTake(mica_try_result_);           \
  })
