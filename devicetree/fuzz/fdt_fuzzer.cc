// libFuzzer target: fdt::Init on arbitrary bytes, then (if accepted) every
// accessor on every node and property, and forged handles on small blobs.
// The input lives in libFuzzer's exactly-sized buffer, so ASan reports any
// read outside it.
//
// Run: out/fuzzers/fdt_fuzzer -max_total_time=N out/fixtures/dtb
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "devicetree/tests/test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fdt::Fdt dt;
  const fdt::Status st = fdt::Init(data, size, &dt);
  char msg[128];
  dt.FormatError(msg, sizeof(msg));
  if (st != fdt::Status::kOk) {
    // A rejected blob must leave nothing usable behind.
    if (dt.valid() || dt.Root().valid() || dt.FindNode("/").valid()) {
      __builtin_trap();
    }
    return 0;
  }
  // Cheap accessors on every node, the structure-walking ones on 24 nodes
  // spread over the tree (all of them in small trees).
  volatile uint64_t sink = fdt_test::ExerciseAll(dt, 24);
  if (size <= 1024) {
    // Every byte offset as a forged node and property handle (small inputs
    // only: this is quadratic).
    sink = sink + fdt_test::ExerciseForgedHandles(dt, static_cast<uint32_t>(size));
  }
  (void)sink;
  return 0;
}
