// libFuzzer target: dm::ResolveResources (registers, interrupts, GPIOs),
// enumeration and matching on every node of arbitrary devicetree blobs that
// fdt::Init accepts. Seeds: the FDT fixtures (devicetree/README.md).
#include <stddef.h>
#include <stdint.h>

#include <vector>

#include "system/core/driver_manager/lib/match.h"
#include "system/core/driver_manager/lib/resources.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);  // exact size for ASan
  fdt::Fdt dt;
  if (fdt::Init(copy.data(), copy.size(), &dt) != fdt::Status::kOk) {
    return 0;
  }
  static dm::NodeResources res;
  uint64_t sum = 0;
  uint32_t budget = 64;  // nodes per input, to keep large blobs fast
  dm::ForEachEnabledNode(dt, [&](fdt::Node node, int) {
    dm::Error err;
    if (dm::ResolveResources(dt, node, &res, &err) == dm::Status::kOk) {
      sum += res.mmio_count + res.interrupt_count + res.gpio_count;
      for (uint32_t i = 0; i < res.interrupt_count; ++i) {
        char text[dm::kMaxPath + 64];
        dm::FormatInterrupt(dt, res.interrupts[i], text, sizeof(text));
        sum += text[0];
      }
      for (uint32_t i = 0; i < res.gpio_count; ++i) {
        char text[2 * dm::kMaxPath + 64];
        dm::FormatGpio(dt, res.gpios[i], text, sizeof(text));
        sum += text[0];
      }
    } else {
      sum += err.message[0];
    }
    const dm::FdtNodeProperties props(dt, node);
    for (uint32_t i = 0; i < props.CompatibleCount(); ++i) {
      sum += props.Compatible(i) != nullptr;
    }
    return --budget > 0;
  });
  return sum == 1 ? 0 : 0;
}
