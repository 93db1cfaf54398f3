// mica::async::InlineFunction: a small move-only type-erased callable.
//
// Callables of at most `InlineSize` bytes (and alignment at most
// alignof(max_align_t)) live inside the object: making, moving, calling and
// destroying them never allocates. A bigger callable is moved to the heap
// once, when it is wrapped (operator new aborts on failure); is_inline()
// tells which. No exceptions, no RTTI; usable from C++20 user programs.
#pragma once

#include <stddef.h>

#include <new>
#include <type_traits>
#include <utility>

namespace mica::async {

template <typename Signature, size_t InlineSize = 6 * sizeof(void*)>
class InlineFunction;

template <typename R, typename... Args, size_t InlineSize>
class InlineFunction<R(Args...), InlineSize> {
 public:
  constexpr InlineFunction() = default;
  constexpr InlineFunction(decltype(nullptr)) {}

  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, InlineFunction> &&
                                        std::is_invocable_r_v<R, D&, Args...>>>
  InlineFunction(F&& f) {  // NOLINT: implicit, like std::function
    if constexpr (kFitsInline<D>) {
      new (storage_) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
      ops_ = &kHeapOps<D>;
    }
  }

  InlineFunction(InlineFunction&& other) noexcept { MoveFrom(other); }
  InlineFunction& operator=(InlineFunction&& other) noexcept {
    if (this != &other) {
      reset();
      MoveFrom(other);
    }
    return *this;
  }
  InlineFunction(const InlineFunction&) = delete;
  InlineFunction& operator=(const InlineFunction&) = delete;
  ~InlineFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  bool is_inline() const { return ops_ != nullptr && ops_->is_inline; }

  // Calling an empty function is a bug: it traps.
  R operator()(Args... args) {
    if (ops_ == nullptr) {
      __builtin_trap();
    }
    return ops_->invoke(storage_, std::forward<Args>(args)...);
  }

  void reset() {
    if (ops_ != nullptr) {
      const Ops* ops = ops_;
      ops_ = nullptr;
      ops->destroy(storage_);
    }
  }

  // Whether a callable of type F is stored without allocating.
  template <typename F>
  static constexpr bool kFitsInline =
      sizeof(F) <= InlineSize && alignof(F) <= alignof(max_align_t) &&
      std::is_nothrow_move_constructible_v<F>;

 private:
  struct Ops {
    R (*invoke)(void* storage, Args&&... args);
    // Move-constructs into `dst` from `src` and destroys `src`.
    void (*relocate)(void* dst, void* src);
    void (*destroy)(void* storage);
    bool is_inline;
  };

  template <typename D>
  static constexpr Ops kInlineOps = {
      [](void* s, Args&&... args) -> R {
        return (*static_cast<D*>(s))(std::forward<Args>(args)...);
      },
      [](void* dst, void* src) {
        D* from = static_cast<D*>(src);
        new (dst) D(std::move(*from));
        from->~D();
      },
      [](void* s) { static_cast<D*>(s)->~D(); },
      true,
  };

  template <typename D>
  static constexpr Ops kHeapOps = {
      [](void* s, Args&&... args) -> R {
        return (**static_cast<D**>(s))(std::forward<Args>(args)...);
      },
      [](void* dst, void* src) { *static_cast<D**>(dst) = *static_cast<D**>(src); },
      [](void* s) { delete *static_cast<D**>(s); },
      false,
  };

  void MoveFrom(InlineFunction& other) {
    if (other.ops_ != nullptr) {
      ops_ = other.ops_;
      other.ops_ = nullptr;
      ops_->relocate(storage_, other.storage_);
    }
  }

  alignas(
      max_align_t) unsigned char storage_[InlineSize < sizeof(void*) ? sizeof(void*) : InlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace mica::async
