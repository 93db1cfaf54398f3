// The C++ half of runtime-test: static constructors, function-local statics
// and operator new/delete from system/ulib/c/cxxabi.cc.
#include <stdint.h>

#include <memory>

#include "system/ulib/c/test/runtime_test.h"

namespace {

class Registered {
 public:
  Registered() : magic_(0xc0ffee) {}
  bool ok() const { return magic_ == 0xc0ffee; }

 private:
  int magic_;
};

Registered registered;

struct alignas(128) OverAligned {
  char bytes[128];
};

int LocalStatic() {
  static int value = [] { return 41; }() + 1;  // guarded initialisation
  return value;
}

}  // namespace

extern "C" int rt_cxx_static_ok(void) {
  return registered.ok() && LocalStatic() == 42;
}

extern "C" int rt_cxx_new_delete_ok(void) {
  auto one = std::make_unique<int>(7);
  auto many = std::make_unique<int[]>(1000);
  auto aligned = std::make_unique<OverAligned>();
  many[999] = *one;
  return many[999] == 7 && (reinterpret_cast<uintptr_t>(aligned.get()) & 127) == 0;
}
