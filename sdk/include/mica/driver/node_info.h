// The node description: how a devicetree node (or a child node a driver
// adds) travels between the driver manager and drivers, as bytes in a VMO
// (MICA_DRIVER_HANDLE_NODE) or in a message. Pure and freestanding
// (<stddef.h>, <stdint.h>, <string.h>), host-tested
// (sdk/lib/driver/test/node_info_test.cc) and fuzzed by those tests'
// malformed-input cases.
//
// Layout (little-endian, every field 4-byte aligned):
//   header    magic "MDN1", version 1, total_size, path_size (NUL incl.),
//             reg_count, irq_count, prop_count, reserved 0
//   path      path_size bytes, NUL-terminated, padded to 4
//   regs      reg_count x { u64 paddr, u64 size }     (CPU physical, as the
//             DT gives them after `ranges`: not page-rounded)
//   irqs      irq_count x { u32 vector, u32 flags }  (GIC INTID and
//             MICA_INTERRUPT_* flags)
//   props     prop_count x { u32 name_size (NUL incl.), u32 value_size,
//             name, padding to 4, value, padding to 4 }; values are the
//             devicetree's bytes, big-endian cells as in the DTB
//
// Contract: NodeInfo::Parse trusts nothing: every size, count and offset is
// checked against the buffer, every string must be NUL-terminated inside
// its field, and trailing bytes are refused. After a successful Parse no
// accessor reads outside the buffer, which must stay alive and unchanged.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica::driver {

inline constexpr uint32_t kNodeInfoMagic = 0x314e444d;  // "MDN1"
inline constexpr uint32_t kNodeInfoVersion = 1;
// Bounds that keep a description small enough for a message or a VMO read.
inline constexpr uint32_t kNodeInfoMaxSize = 64 * 1024;
inline constexpr uint32_t kNodeInfoMaxRegs = 16;
inline constexpr uint32_t kNodeInfoMaxIrqs = 16;
inline constexpr uint32_t kNodeInfoMaxProps = 256;
inline constexpr uint32_t kNodeInfoMaxPath = 256;

struct RegRange {
  uint64_t paddr;
  uint64_t size;
};

struct IrqSpec {
  uint32_t vector;  // GIC INTID
  uint32_t flags;   // MICA_INTERRUPT_EDGE / MICA_INTERRUPT_ACTIVE_LOW
};

struct NodeProperty {
  const char* name = nullptr;
  const uint8_t* value = nullptr;
  uint32_t size = 0;

  // Reads cell `index` (big-endian u32) of the value: false past its end.
  bool ReadU32(uint32_t index, uint32_t* out) const;
  // The `index`-th NUL-terminated string of a string list value.
  bool StringAt(uint32_t index, const char** out) const;
};

// Writes a description into a caller's buffer.
class NodeInfoWriter {
 public:
  NodeInfoWriter(uint8_t* buf, uint32_t capacity) : buf_(buf), capacity_(capacity) {}

  // In this order: SetPath once, then the regs, the irqs, the properties.
  // Each returns false (and the writer stays failed) when a bound or the
  // buffer is exceeded or the order is broken.
  bool SetPath(const char* path);
  bool AddReg(RegRange reg);
  bool AddIrq(IrqSpec irq);
  bool AddProperty(const char* name, const void* value, uint32_t size);
  // The description's size once complete, 0 if any step failed.
  uint32_t Finish();

 private:
  bool Reserve(uint32_t n);
  void Put32(uint32_t at, uint32_t v);
  void Put64(uint32_t at, uint64_t v);

  uint8_t* buf_;
  uint32_t capacity_;
  uint32_t used_ = 0;
  int stage_ = 0;  // 0 path, 1 regs, 2 irqs, 3 props
  bool failed_ = false;
  uint32_t regs_ = 0, irqs_ = 0, props_ = 0;
};

class NodeInfo {
 public:
  // Checks bytes[0, size) and on success makes the accessors usable.
  bool Parse(const void* bytes, size_t size);

  const char* path() const { return path_; }
  uint32_t reg_count() const { return reg_count_; }
  uint32_t irq_count() const { return irq_count_; }
  uint32_t property_count() const { return prop_count_; }
  bool Reg(uint32_t index, RegRange* out) const;
  bool Irq(uint32_t index, IrqSpec* out) const;
  bool PropertyAt(uint32_t index, NodeProperty* out) const;
  bool FindProperty(const char* name, NodeProperty* out) const;

 private:
  const uint8_t* base_ = nullptr;
  const char* path_ = nullptr;
  uint32_t reg_count_ = 0, irq_count_ = 0, prop_count_ = 0;
  uint32_t regs_at_ = 0, irqs_at_ = 0, props_at_ = 0;
  uint32_t size_ = 0;
};

}  // namespace mica::driver
