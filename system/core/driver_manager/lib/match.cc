#include "system/core/driver_manager/lib/match.h"

#include <string.h>

namespace dm {
namespace {

// Strings of a DT `<stringlist>` value: count, and the string at `index`.
// A value that is empty or does not end in NUL has no strings.
uint32_t StringListCount(const uint8_t* data, uint32_t len) {
  if (data == nullptr || len == 0 || data[len - 1] != 0) {
    return 0;
  }
  uint32_t n = 0;
  for (uint32_t i = 0; i < len; ++i) {
    n += data[i] == 0;
  }
  return n;
}

const char* StringListAt(const uint8_t* data, uint32_t len, uint32_t index) {
  if (index >= StringListCount(data, len)) {
    return nullptr;
  }
  uint32_t pos = 0;
  for (uint32_t i = 0; i < index; ++i) {
    while (data[pos] != 0) {
      ++pos;
    }
    ++pos;
  }
  return reinterpret_cast<const char*>(data + pos);
}

// True if rule (mi, bi) beats the current best (see the contract).
bool Better(const Manifest* manifests, uint32_t mi, uint32_t bi, const MatchResult& best) {
  const BindRule a = manifests[mi].bind(bi);
  const BindRule b = manifests[best.manifest].bind(best.bind);
  if (a.condition_count != b.condition_count) {
    return a.condition_count > b.condition_count;
  }
  const int order = strcmp(manifests[mi].name(), manifests[best.manifest].name());
  if (order != 0) {
    return order < 0;
  }
  return mi != best.manifest ? mi < best.manifest : bi < best.bind;
}

}  // namespace

FdtNodeProperties::FdtNodeProperties(const fdt::Fdt& dt, fdt::Node node)
    : dt_(dt),
      node_(node),
      compatible_(dt.FindProperty(node, "compatible")),
      compatible_count_(compatible_.StringCount()) {}

uint32_t FdtNodeProperties::CompatibleCount() const {
  return compatible_count_;
}

const char* FdtNodeProperties::Compatible(uint32_t index) const {
  const char* s = nullptr;
  return index < compatible_count_ && compatible_.StringAt(index, &s) ? s : nullptr;
}

bool FdtNodeProperties::GetProperty(const char* name, const uint8_t** data, uint32_t* len) const {
  const fdt::Property p = dt_.FindProperty(node_, name);
  if (!p.valid()) {
    return false;
  }
  *data = p.data;
  *len = p.len;
  return true;
}

PropertyListNode::PropertyListNode(const PropertyEntry* props, uint32_t count)
    : props_(props), count_(props == nullptr ? 0 : count) {
  for (uint32_t i = 0; i < count_; ++i) {
    if (props_[i].name != nullptr && strcmp(props_[i].name, "compatible") == 0) {
      compatible_ = &props_[i];
      compatible_count_ = StringListCount(compatible_->data, compatible_->len);
      break;
    }
  }
}

uint32_t PropertyListNode::CompatibleCount() const {
  return compatible_count_;
}

const char* PropertyListNode::Compatible(uint32_t index) const {
  return compatible_ == nullptr ? nullptr
                                : StringListAt(compatible_->data, compatible_->len, index);
}

bool PropertyListNode::GetProperty(const char* name, const uint8_t** data, uint32_t* len) const {
  for (uint32_t i = 0; i < count_; ++i) {
    if (props_[i].name != nullptr && strcmp(props_[i].name, name) == 0) {
      *data = props_[i].data;
      *len = props_[i].len;
      return true;
    }
  }
  return false;
}

bool ConditionHolds(const Condition& c, const NodeProperties& node) {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  if (c.property == nullptr || !node.GetProperty(c.property, &data, &len)) {
    return false;
  }
  switch (c.kind) {
    case ConditionKind::kPresent:
      return true;
    case ConditionKind::kU32:
      return len == 4 && data != nullptr &&
             (uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 | uint32_t{data[2]} << 8 |
              data[3]) == c.u32;
    case ConditionKind::kString:
      return c.string != nullptr && data != nullptr && len == strlen(c.string) + 1 &&
             memcmp(data, c.string, len) == 0;
  }
  return false;
}

bool BindMatches(const Manifest& m, const BindRule& b, const char* compatible,
                 const NodeProperties& node) {
  if (b.compatible == nullptr || strcmp(b.compatible, compatible) != 0) {
    return false;
  }
  for (uint32_t k = 0; k < b.condition_count; ++k) {
    if (!ConditionHolds(m.condition(b.first_condition + k), node)) {
      return false;
    }
  }
  return true;
}

bool MatchNode(const Manifest* manifests, uint32_t count, const NodeProperties& node,
               MatchResult* out) {
  const uint32_t n = node.CompatibleCount();
  for (uint32_t ci = 0; ci < n; ++ci) {
    const char* compatible = node.Compatible(ci);
    if (compatible == nullptr) {
      continue;
    }
    bool found = false;
    MatchResult best;
    for (uint32_t mi = 0; mi < count; ++mi) {
      for (uint32_t bi = 0; bi < manifests[mi].bind_count(); ++bi) {
        if (BindMatches(manifests[mi], manifests[mi].bind(bi), compatible, node) &&
            (!found || Better(manifests, mi, bi, best))) {
          best = MatchResult{mi, bi, ci};
          found = true;
        }
      }
    }
    if (found) {
      *out = best;
      return true;
    }
  }
  return false;
}

}  // namespace dm
