// Property access: Fdt's property lookups and typed getters, Property's cell
// and string readers, and StringList.
// Format: Devicetree Specification v0.4, chapter 5.
#include "devicetree/lib/fdt.h"
#include "devicetree/lib/fdt_internal.h"

namespace fdt {

Property Fdt::NextProperty(const Property& prop) const {
  Token tok;
  if (!valid_ || !prop.valid() || DecodeToken(prop.offset, &tok) != Status::kOk ||
      tok.type != kTokenProp) {
    return Property{};
  }
  for (uint32_t off = tok.next;; off = tok.next) {
    if (DecodeToken(off, &tok) != Status::kOk) {
      return Property{};
    }
    if (tok.type == kTokenProp) {
      return Property{tok.name, tok.data, tok.len, off};
    }
    if (tok.type != kTokenNop) {
      return Property{};
    }
  }
}

Property Fdt::FirstProperty(Node node) const {
  Token tok;
  if (!IsNode(node, &tok)) {
    return Property{};
  }
  for (uint32_t off = tok.next;; off = tok.next) {
    if (DecodeToken(off, &tok) != Status::kOk) {
      return Property{};
    }
    if (tok.type == kTokenProp) {
      return Property{tok.name, tok.data, tok.len, off};
    }
    if (tok.type != kTokenNop) {
      return Property{};
    }
  }
}

Property Fdt::FindProperty(Node node, const char* name, size_t len) const {
  if (name == nullptr) {
    return Property{};
  }
  for (Property p = FirstProperty(node); p.valid(); p = NextProperty(p)) {
    if (StrEqN(p.name, name, len)) {
      return p;
    }
  }
  return Property{};
}

Property Fdt::FindProperty(Node node, const char* name) const {
  return name == nullptr ? Property{} : FindProperty(node, name, StrLen(name));
}

Status Fdt::GetU32(Node node, const char* name, uint32_t* out) const {
  const Property p = FindProperty(node, name);
  if (!p.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  if (p.len != 4) {
    return Status::kBadValue;
  }
  *out = Be32(p.data);
  return Status::kOk;
}

Status Fdt::GetU64(Node node, const char* name, uint64_t* out) const {
  const Property p = FindProperty(node, name);
  if (!p.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  if (p.len != 4 && p.len != 8) {
    return Status::kBadValue;
  }
  p.ReadCells(0, p.len / 4, out);
  return Status::kOk;
}

Status Fdt::GetString(Node node, const char* name, const char** out) const {
  const Property p = FindProperty(node, name);
  if (!p.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  return p.GetString(out) ? Status::kOk : Status::kBadValue;
}

int Fdt::CompatibleIndex(Node node, const char* compatible) const {
  return FindProperty(node, "compatible").StringIndex(compatible);
}

bool Fdt::IsCompatible(Node node, const char* compatible) const {
  return CompatibleIndex(node, compatible) >= 0;
}

bool Fdt::IsEnabled(Node node) const {
  Token tok;
  if (!IsNode(node, &tok)) {
    return false;
  }
  const Property p = FindProperty(node, "status");
  if (!p.valid()) {
    return true;
  }
  const char* s = nullptr;
  return p.GetString(&s) && (StrEqN(s, "okay", 4) || StrEqN(s, "ok", 2));
}

bool Property::ReadU32(uint32_t index, uint32_t* out) const {
  if (data == nullptr || index >= len / 4) {
    return false;
  }
  *out = Be32(data + 4 * static_cast<size_t>(index));
  return true;
}

bool Property::ReadU64(uint32_t cell_index, uint64_t* out) const {
  return ReadCells(cell_index, 2, out);
}

bool Property::ReadCells(uint32_t cell_index, uint32_t num_cells, uint64_t* out) const {
  if (num_cells > 2 || static_cast<uint64_t>(cell_index) + num_cells > len / 4) {
    return false;
  }
  uint64_t v = 0;
  for (uint32_t i = 0; i < num_cells; ++i) {
    v = (v << 32) | Be32(data + 4 * (static_cast<size_t>(cell_index) + i));
  }
  *out = v;
  return true;
}

bool Property::GetString(const char** out) const {
  if (data == nullptr || len == 0) {
    return false;
  }
  const char* s = reinterpret_cast<const char*>(data);
  if (StrNLen(s, len) != len - 1) {
    return false;
  }
  *out = s;
  return true;
}

StringList::StringList(const Property& prop) {
  if (prop.data != nullptr && prop.len > 0 && prop.data[prop.len - 1] == '\0') {
    begin_ = reinterpret_cast<const char*>(prop.data);
    end_ = begin_ + prop.len;
  }
}

StringList::Iterator& StringList::Iterator::operator++() {
  cur_ += StrNLen(cur_, end_ - cur_) + 1;
  if (cur_ > end_) {
    cur_ = end_;
  }
  return *this;
}

uint32_t Property::StringCount() const {
  uint32_t n = 0;
  for (const char* s : StringList(*this)) {
    (void)s;
    ++n;
  }
  return n;
}

bool Property::StringAt(uint32_t index, const char** out) const {
  uint32_t i = 0;
  for (const char* s : StringList(*this)) {
    if (i++ == index) {
      *out = s;
      return true;
    }
  }
  return false;
}

int Property::StringIndex(const char* str) const {
  if (str == nullptr) {
    return -1;
  }
  const size_t n = StrLen(str);
  int i = 0;
  for (const char* s : StringList(*this)) {
    if (StrEqN(s, str, n)) {
      return i;
    }
    ++i;
  }
  return -1;
}

}  // namespace fdt
