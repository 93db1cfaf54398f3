// See route.h.
#include "system/core/component_manager/lib/route.h"

#include <stdio.h>
#include <string.h>

namespace cm {

namespace {

// "<asker> cannot open <capability>: <what>[ <hop's moniker>]".
void Fail(const Topology& tree, uint32_t asker, const char* capability, int cap_len,
          RouteResult* out, const char* what, uint32_t hop_node) {
  char who[128];
  char hop[128];
  tree.Moniker(asker, who, sizeof(who));
  hop[0] = '\0';
  if (hop_node != kNoNode) {
    hop[0] = ' ';
    tree.Moniker(hop_node, hop + 1, sizeof(hop) - 1);
  }
  snprintf(out->why, sizeof(out->why), "%s cannot open %.*s: %s%s", who, cap_len, capability, what,
           hop);
  out->kind = RouteKind::kFailed;
}

}  // namespace

void Route(const Topology& tree, uint32_t node, const char* path, size_t path_len,
           RouteResult* out) {
  *out = RouteResult();
  const Manifest* m = tree.ManifestOf(node);
  const Use* use = nullptr;
  for (uint32_t i = 0; m != nullptr && i < m->use_count; i++) {
    if (m->uses[i].path.size == path_len && memcmp(m->uses[i].path.data, path, path_len) == 0) {
      use = &m->uses[i];
      break;
    }
  }
  if (use == nullptr) {
    int len = static_cast<int>(path_len > 120 ? 120 : path_len);
    Fail(tree, node, path, len, out, "not in its namespace (no use of it)", kNoNode);
    return;
  }
  RouteUse(tree, node, use, out);
}

void RouteUse(const Topology& tree, uint32_t node, const Use* use, RouteResult* out) {
  *out = RouteResult();
  out->used = use->name;
  const int cap_len = use->name.size;
  const char* cap = use->name.data;
  if (use->from.kind == RefKind::kFramework) {
    out->kind = RouteKind::kFramework;
    out->capability = use->name;
    return;
  }
  // Up: through the offers of each parent.
  Str name = use->name;
  CapKind kind = use->kind;
  uint32_t cur = node;
  for (;;) {
    if (++out->hops > kMaxHops) {
      Fail(tree, node, cap, cap_len, out, "the route is too long", kNoNode);
      return;
    }
    uint32_t parent = tree.Parent(cur);
    if (parent == kNoNode) {
      // From the root's parent: the manager itself decides (kernel.*).
      out->kind = RouteKind::kRootParent;
      out->capability = name;
      return;
    }
    const Manifest* pm = tree.ManifestOf(parent);
    Str to = tree.OfferName(cur);
    const Offer* offer = nullptr;
    for (uint32_t i = 0; pm != nullptr && i < pm->offer_count; i++) {
      const Offer& o = pm->offers[i];
      if (o.kind == kind && o.to.Equals(to) && o.as.Equals(name)) {
        offer = &o;
        break;
      }
    }
    if (offer == nullptr) {
      Fail(tree, node, cap, cap_len, out, "not offered by", parent);
      return;
    }
    name = offer->name;
    if (offer->from.kind == RefKind::kParent) {
      cur = parent;
      continue;
    }
    if (offer->from.kind == RefKind::kSelf) {
      cur = parent;
      break;
    }
    // From a child: down through the exposes.
    uint32_t down = tree.Child(parent, offer->from.name);
    if (down == kNoNode) {
      Fail(tree, node, cap, cap_len, out, "offered from a missing child by", parent);
      return;
    }
    for (;;) {
      if (++out->hops > kMaxHops) {
        Fail(tree, node, cap, cap_len, out, "the route is too long", kNoNode);
        return;
      }
      const Manifest* dm = tree.ManifestOf(down);
      const Expose* expose = nullptr;
      for (uint32_t i = 0; dm != nullptr && i < dm->expose_count; i++) {
        const Expose& e = dm->exposes[i];
        if (e.kind == kind && e.as.Equals(name)) {
          expose = &e;
          break;
        }
      }
      if (expose == nullptr) {
        Fail(tree, node, cap, cap_len, out, "not exposed by", down);
        return;
      }
      name = expose->name;
      if (expose->from.kind == RefKind::kSelf) {
        break;
      }
      uint32_t next = tree.Child(down, expose->from.name);
      if (next == kNoNode) {
        Fail(tree, node, cap, cap_len, out, "exposed from a missing child by", down);
        return;
      }
      down = next;
    }
    cur = down;
    break;
  }
  const Manifest* provider = tree.ManifestOf(cur);
  if (provider == nullptr || !provider->has_program) {
    Fail(tree, node, cap, cap_len, out, "no program runs its provider", cur);
    return;
  }
  out->kind = RouteKind::kProvider;
  out->provider = cur;
  out->capability = name;
}

}  // namespace cm
