// See <mica/driver/node_info.h> for the layout and the contract.
#include <mica/driver/node_info.h>
#include <string.h>

namespace mica::driver {
namespace {

constexpr uint32_t kHeaderSize = 32;

uint32_t Align4(uint32_t n) {
  return (n + 3) & ~uint32_t{3};
}

uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint64_t Get64(const uint8_t* p) {
  return uint64_t{Get32(p)} | uint64_t{Get32(p + 4)} << 32;
}

// The length of the NUL-terminated string at p[0, max), or max if none.
uint32_t BoundedLength(const uint8_t* p, uint32_t max) {
  for (uint32_t i = 0; i < max; i++) {
    if (p[i] == 0) {
      return i;
    }
  }
  return max;
}

// One property record at `at` of a buffer of `size` bytes: false if it does
// not fit or its name is not a NUL-terminated string filling its field.
bool ReadProperty(const uint8_t* base, uint32_t size, uint32_t at, NodeProperty* out,
                  uint32_t* next) {
  if (at > size || size - at < 8) {
    return false;
  }
  uint32_t name_size = Get32(base + at);
  uint32_t value_size = Get32(base + at + 4);
  if (name_size == 0 || name_size > kNodeInfoMaxSize || value_size > kNodeInfoMaxSize) {
    return false;
  }
  uint32_t name_at = at + 8;
  uint32_t value_at = name_at + Align4(name_size);
  uint32_t end = value_at + Align4(value_size);
  if (end > size) {
    return false;
  }
  if (BoundedLength(base + name_at, name_size) != name_size - 1) {
    return false;
  }
  out->name = reinterpret_cast<const char*>(base + name_at);
  out->value = base + value_at;
  out->size = value_size;
  *next = end;
  return true;
}

}  // namespace

bool NodeProperty::ReadU32(uint32_t index, uint32_t* out) const {
  if (index >= size / 4) {
    return false;
  }
  const uint8_t* p = value + 4 * index;
  *out = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
  return true;
}

bool NodeProperty::StringAt(uint32_t index, const char** out) const {
  uint32_t at = 0;
  for (uint32_t i = 0; at < size; i++) {
    uint32_t len = BoundedLength(value + at, size - at);
    if (len == size - at) {
      return false;  // not NUL-terminated
    }
    if (i == index) {
      *out = reinterpret_cast<const char*>(value + at);
      return true;
    }
    at += len + 1;
  }
  return false;
}

bool NodeInfoWriter::Reserve(uint32_t n) {
  if (failed_ || n > capacity_ || used_ > capacity_ - n) {
    failed_ = true;
    return false;
  }
  memset(buf_ + used_, 0, n);
  used_ += n;
  return true;
}

void NodeInfoWriter::Put32(uint32_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) {
    buf_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

void NodeInfoWriter::Put64(uint32_t at, uint64_t v) {
  Put32(at, static_cast<uint32_t>(v));
  Put32(at + 4, static_cast<uint32_t>(v >> 32));
}

bool NodeInfoWriter::SetPath(const char* path) {
  size_t len = strlen(path);
  if (stage_ != 0 || len + 1 > kNodeInfoMaxPath || !Reserve(kHeaderSize)) {
    failed_ = true;
    return false;
  }
  uint32_t size = static_cast<uint32_t>(len + 1);
  uint32_t at = used_;
  if (!Reserve(Align4(size))) {
    return false;
  }
  memcpy(buf_ + at, path, size);
  Put32(12, size);
  stage_ = 1;
  return true;
}

bool NodeInfoWriter::AddReg(RegRange reg) {
  if (stage_ != 1 || regs_ == kNodeInfoMaxRegs) {
    failed_ = true;
    return false;
  }
  uint32_t at = used_;
  if (!Reserve(16)) {
    return false;
  }
  Put64(at, reg.paddr);
  Put64(at + 8, reg.size);
  regs_++;
  return true;
}

bool NodeInfoWriter::AddIrq(IrqSpec irq) {
  if (stage_ < 1 || stage_ > 2 || irqs_ == kNodeInfoMaxIrqs) {
    failed_ = true;
    return false;
  }
  stage_ = 2;
  uint32_t at = used_;
  if (!Reserve(8)) {
    return false;
  }
  Put32(at, irq.vector);
  Put32(at + 4, irq.flags);
  irqs_++;
  return true;
}

bool NodeInfoWriter::AddProperty(const char* name, const void* value, uint32_t size) {
  size_t name_len = strlen(name);
  if (stage_ < 1 || props_ == kNodeInfoMaxProps || name_len + 1 > kNodeInfoMaxPath ||
      size > kNodeInfoMaxSize) {
    failed_ = true;
    return false;
  }
  stage_ = 3;
  uint32_t name_size = static_cast<uint32_t>(name_len + 1);
  uint32_t at = used_;
  if (!Reserve(8 + Align4(name_size)) || !Reserve(Align4(size))) {
    return false;
  }
  Put32(at, name_size);
  Put32(at + 4, size);
  memcpy(buf_ + at + 8, name, name_size);
  if (size != 0) {
    memcpy(buf_ + at + 8 + Align4(name_size), value, size);
  }
  props_++;
  return true;
}

uint32_t NodeInfoWriter::Finish() {
  if (failed_ || stage_ == 0 || used_ > kNodeInfoMaxSize) {
    return 0;
  }
  Put32(0, kNodeInfoMagic);
  Put32(4, kNodeInfoVersion);
  Put32(8, used_);
  Put32(16, regs_);
  Put32(20, irqs_);
  Put32(24, props_);
  Put32(28, 0);
  return used_;
}

bool NodeInfo::Parse(const void* bytes, size_t size) {
  *this = NodeInfo();
  const auto* p = static_cast<const uint8_t*>(bytes);
  if (p == nullptr || size < kHeaderSize || size > kNodeInfoMaxSize) {
    return false;
  }
  uint32_t n = static_cast<uint32_t>(size);
  uint32_t path_size = Get32(p + 12);
  uint32_t regs = Get32(p + 16), irqs = Get32(p + 20), props = Get32(p + 24);
  if (Get32(p) != kNodeInfoMagic || Get32(p + 4) != kNodeInfoVersion || Get32(p + 8) != n ||
      Get32(p + 28) != 0 || path_size == 0 || path_size > kNodeInfoMaxPath ||
      regs > kNodeInfoMaxRegs || irqs > kNodeInfoMaxIrqs || props > kNodeInfoMaxProps) {
    return false;
  }
  // Bounded above, so no sum below overflows.
  uint32_t regs_at = kHeaderSize + Align4(path_size);
  uint32_t irqs_at = regs_at + 16 * regs;
  uint32_t props_at = irqs_at + 8 * irqs;
  if (props_at > n || BoundedLength(p + kHeaderSize, path_size) != path_size - 1) {
    return false;
  }
  uint32_t at = props_at;
  for (uint32_t i = 0; i < props; i++) {
    NodeProperty prop;
    if (!ReadProperty(p, n, at, &prop, &at)) {
      return false;
    }
  }
  if (at != n) {
    return false;  // trailing bytes
  }
  base_ = p;
  size_ = n;
  path_ = reinterpret_cast<const char*>(p + kHeaderSize);
  reg_count_ = regs;
  irq_count_ = irqs;
  prop_count_ = props;
  regs_at_ = regs_at;
  irqs_at_ = irqs_at;
  props_at_ = props_at;
  return true;
}

bool NodeInfo::Reg(uint32_t index, RegRange* out) const {
  if (base_ == nullptr || index >= reg_count_) {
    return false;
  }
  const uint8_t* r = base_ + regs_at_ + 16 * index;
  *out = {Get64(r), Get64(r + 8)};
  return true;
}

bool NodeInfo::Irq(uint32_t index, IrqSpec* out) const {
  if (base_ == nullptr || index >= irq_count_) {
    return false;
  }
  const uint8_t* r = base_ + irqs_at_ + 8 * index;
  *out = {Get32(r), Get32(r + 4)};
  return true;
}

bool NodeInfo::PropertyAt(uint32_t index, NodeProperty* out) const {
  if (base_ == nullptr || index >= prop_count_) {
    return false;
  }
  uint32_t at = props_at_;
  for (uint32_t i = 0;; i++) {
    if (!ReadProperty(base_, size_, at, out, &at)) {
      return false;
    }
    if (i == index) {
      return true;
    }
  }
}

bool NodeInfo::FindProperty(const char* name, NodeProperty* out) const {
  for (uint32_t i = 0; i < prop_count_; i++) {
    if (PropertyAt(i, out) && strcmp(out->name, name) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace mica::driver
