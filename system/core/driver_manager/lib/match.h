// Matching a node to a driver manifest.
//
// Contract.
// - A node is seen through NodeProperties: its `compatible` strings and
//   raw property values (DT encoding: big-endian cells, NUL-terminated
//   strings). FdtNodeProperties wraps a devicetree node; PropertyListNode
//   wraps the properties a driver published for a child node (e.g. a
//   virtio-mmio transport's child with `compatible = "virtio,device"` and
//   `virtio,device-id = <2>`), so both kinds match the same way.
// - MatchNode walks the node's compatible list IN ORDER (most specific
//   first, DT spec v0.4 §2.3.1) and, for the first compatible that some
//   manifest binds with all of its conditions true, picks that manifest:
//   a more specific compatible always wins over any later one.
// - Ties (several bind rules for that same compatible, all satisfied) are
//   broken deterministically, independent of the order manifests were
//   loaded in: the rule with MORE conditions wins (it is more specific);
//   then the manifest whose name is smaller (strcmp); then the lower
//   manifest index, then the lower bind index (only reachable with
//   duplicate names, which the manager should refuse).
// - Conditions (manifest.h ConditionKind): kPresent: the property exists;
//   kU32: it is exactly 4 bytes and its big-endian value equals; kString:
//   it is exactly one NUL-terminated string equal to the value.
// - No match is a normal outcome ("unbound"), not an error. Pure: no heap,
//   no state.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "system/core/driver_manager/lib/manifest.h"

namespace dm {

class NodeProperties {
 public:
  // The number of compatible strings and string `index` (nullptr past the
  // end).
  virtual uint32_t CompatibleCount() const = 0;
  virtual const char* Compatible(uint32_t index) const = 0;
  // Property `name`'s raw value; false if the node has no such property.
  virtual bool GetProperty(const char* name, const uint8_t** data, uint32_t* len) const = 0;

 protected:
  ~NodeProperties() = default;
};

// A devicetree node. `dt` must outlive this.
class FdtNodeProperties final : public NodeProperties {
 public:
  FdtNodeProperties(const fdt::Fdt& dt, fdt::Node node);
  uint32_t CompatibleCount() const override;
  const char* Compatible(uint32_t index) const override;
  bool GetProperty(const char* name, const uint8_t** data, uint32_t* len) const override;

 private:
  const fdt::Fdt& dt_;
  fdt::Node node_;
  fdt::Property compatible_;
  uint32_t compatible_count_ = 0;
};

// One property of a published child node (a view: nothing is copied).
struct PropertyEntry {
  const char* name = nullptr;
  const uint8_t* data = nullptr;
  uint32_t len = 0;
};

// A node given as a property list; its compatibles are the `compatible`
// entry read as a DT `<stringlist>` (a malformed one has none). The array
// must outlive this.
class PropertyListNode final : public NodeProperties {
 public:
  PropertyListNode(const PropertyEntry* props, uint32_t count);
  uint32_t CompatibleCount() const override;
  const char* Compatible(uint32_t index) const override;
  bool GetProperty(const char* name, const uint8_t** data, uint32_t* len) const override;

 private:
  const PropertyEntry* props_;
  uint32_t count_;
  const PropertyEntry* compatible_ = nullptr;
  uint32_t compatible_count_ = 0;
};

struct MatchResult {
  uint32_t manifest = 0;          // index into the manifests array
  uint32_t bind = 0;              // index of the winning bind rule in it
  uint32_t compatible_index = 0;  // which of the node's compatibles matched
};

// True if condition `c` holds for `node`.
bool ConditionHolds(const Condition& c, const NodeProperties& node);

// True if bind rule `b` of `m` binds `compatible` and all its conditions hold.
bool BindMatches(const Manifest& m, const BindRule& b, const char* compatible,
                 const NodeProperties& node);

// Picks the driver for `node` (see the contract); false if none binds it.
bool MatchNode(const Manifest* manifests, uint32_t count, const NodeProperties& node,
               MatchResult* out);

}  // namespace dm
