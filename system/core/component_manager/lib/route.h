// cm::Route: where a component's namespace path leads (docs/components.md,
// "Routing"), as a pure walk over the tree of manifests.
//
// Contract. Route(tree, node, path) finds the `use` of `node` whose path is
// `path`, then follows the offers up (an offer to the node's name, or to its
// collection's, whose `as` is the name sought; `from: parent` continues one
// level up, `from: self` ends at that component, `from: #child` turns down)
// and the exposes down (an expose whose `as` is the name; `from: self` ends
// there, `from: #child` goes one further down). The result is the provider
// and the capability name as the provider declared it, a framework
// capability (use ... from framework), or a failure whose `why` names the
// capability, the component that asked and the broken hop, e.g.
//   "/checker cannot open test.Missing: not offered by /".
// The walk moves strictly up, then strictly down a finite tree, and is also
// bounded by kMaxHops. Nothing is allocated.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "system/core/component_manager/lib/manifest.h"

namespace cm {

inline constexpr uint32_t kNoNode = 0xffffffffu;
inline constexpr uint32_t kMaxHops = 128;

// The tree as Route sees it; the manager implements it over its components.
class Topology {
 public:
  virtual ~Topology() = default;
  // The node's manifest (nullptr: a bare program run in a collection,
  // which uses nothing).
  virtual const Manifest* ManifestOf(uint32_t node) const = 0;
  virtual uint32_t Parent(uint32_t node) const = 0;  // kNoNode for the root
  // The name the parent's offers address the node by: its child name, or
  // for a child in a collection the collection's name.
  virtual Str OfferName(uint32_t node) const = 0;
  // The parent's static child `name`, or kNoNode.
  virtual uint32_t Child(uint32_t node, const Str& name) const = 0;
  // "/", "/a/b", "/run:x".
  virtual void Moniker(uint32_t node, char* buf, size_t size) const = 0;
};

// kRootParent: the route leaves the root `from: parent`; the component
// manager serves what it has there (the kernel.* protocols) and fails the
// rest ("not offered to the root, which has no parent").
enum class RouteKind : uint8_t { kProvider, kFramework, kRootParent, kFailed };

struct RouteResult {
  RouteKind kind = RouteKind::kFailed;
  uint32_t provider = kNoNode;  // kProvider
  Str capability;               // kProvider: the provider's name; kFramework: the used name;
                                // kRootParent: the name the root's parent is asked for
  Str used;                     // the name the asking component used (empty if not found)
  uint32_t hops = 0;
  char why[200] = {};  // kFailed
};

void Route(const Topology& tree, uint32_t node, const char* path, size_t path_len,
           RouteResult* out);

// The same walk for `use` as if `node`'s manifest held it (the manager's
// implicit use: a bare program's log.Sink, log_sink.h).
void RouteUse(const Topology& tree, uint32_t node, const Use* use, RouteResult* out);

}  // namespace cm
