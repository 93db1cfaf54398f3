// Node navigation: children, siblings, depth-first walks, parents, paths,
// aliases, phandles and compatible lookups (Fdt's node methods).
// Format: Devicetree Specification v0.4, chapter 5.
#include "devicetree/lib/fdt.h"
#include "devicetree/lib/fdt_internal.h"

namespace fdt {

bool Fdt::IsNode(Node node, Token* tok) const {
  return valid_ && node.valid() && DecodeToken(node.offset, tok) == Status::kOk &&
         tok->type == kTokenBeginNode;
}

Node Fdt::Root() const {
  return valid_ ? Node{root_} : Node{};
}

const char* Fdt::Name(Node node) const {
  Token tok;
  return IsNode(node, &tok) ? tok.name : nullptr;
}

Node Fdt::FirstChild(Node node) const {
  Token tok;
  if (!IsNode(node, &tok)) {
    return Node{};
  }
  for (uint32_t off = tok.next;; off = tok.next) {
    if (DecodeToken(off, &tok) != Status::kOk) {
      return Node{};
    }
    if (tok.type == kTokenBeginNode) {
      return Node{off};
    }
    if (tok.type != kTokenProp && tok.type != kTokenNop) {
      return Node{};
    }
  }
}

Node Fdt::NextSibling(Node node) const {
  Token tok;
  if (!IsNode(node, &tok)) {
    return Node{};
  }
  // Skip the node's subtree: offsets strictly increase, so this ends.
  uint32_t depth = 1;
  uint32_t off = tok.next;
  while (depth > 0) {
    if (DecodeToken(off, &tok) != Status::kOk || tok.type == kTokenEnd) {
      return Node{};
    }
    if (tok.type == kTokenBeginNode) {
      ++depth;
    } else if (tok.type == kTokenEndNode) {
      --depth;
    }
    off = tok.next;
  }
  for (;; off = tok.next) {
    if (DecodeToken(off, &tok) != Status::kOk) {
      return Node{};
    }
    if (tok.type == kTokenBeginNode) {
      return Node{off};
    }
    if (tok.type != kTokenNop) {
      return Node{};
    }
  }
}

Node Fdt::NextNode(Node node, int* depth) const {
  Token tok;
  if (!IsNode(node, &tok)) {
    return Node{};
  }
  int delta = 0;
  for (uint32_t off = tok.next;; off = tok.next) {
    if (DecodeToken(off, &tok) != Status::kOk) {
      return Node{};
    }
    switch (tok.type) {
      case kTokenBeginNode:
        if (depth != nullptr) {
          *depth += delta + 1;
        }
        return Node{off};
      case kTokenEndNode:
        --delta;
        break;
      case kTokenEnd:
        if (depth != nullptr) {
          *depth += delta;
        }
        return Node{};
      default:
        break;
    }
  }
}

// Fills stack[0..d] with the offsets of the root .. `node` and returns d,
// the node's depth; -1 if `node` is not a node of this blob.
int Fdt::Ancestors(Node node, uint32_t* stack) const {
  if (!valid_ || !node.valid()) {
    return -1;
  }
  int d = -1;
  Token tok;
  for (uint32_t off = 0;; off = tok.next) {
    if (off > node.offset || DecodeToken(off, &tok) != Status::kOk) {
      return -1;
    }
    if (tok.type == kTokenBeginNode) {
      if (++d >= kMaxDepth) {
        return -1;
      }
      stack[d] = off;
      if (off == node.offset) {
        return d;
      }
    } else if (tok.type == kTokenEndNode) {
      if (--d < 0) {
        return -1;
      }
    } else if (tok.type == kTokenEnd) {
      return -1;
    }
  }
}

Node Fdt::Parent(Node node) const {
  uint32_t stack[kMaxDepth];
  const int d = Ancestors(node, stack);
  return d > 0 ? Node{stack[d - 1]} : Node{};
}

int Fdt::Depth(Node node) const {
  uint32_t stack[kMaxDepth];
  return Ancestors(node, stack);
}

Status Fdt::GetPath(Node node, char* buf, size_t size, size_t* len) const {
  if (!valid_) {
    return Status::kNotInitialized;
  }
  uint32_t stack[kMaxDepth];
  const int d = Ancestors(node, stack);
  if (d < 0) {
    return Status::kNotFound;
  }
  Writer w{buf, size};
  if (d == 0) {
    w.Put('/');
  }
  for (int i = 1; i <= d; ++i) {
    w.Put('/');
    w.Put(Name(Node{stack[i]}));
  }
  w.Terminate();
  if (len != nullptr) {
    *len = w.len;
  }
  return w.len < size ? Status::kOk : Status::kBufferTooSmall;
}

// libfdt's rule (fdt_nodename_eq_): `name` matches the full node name, or,
// when `name` has no '@', the node name's part before '@'.
bool Fdt::NameMatches(const char* node_name, const char* name, size_t len) const {
  const size_t n = StrNLen(node_name, len + 1);
  if (n < len || !MemEq(node_name, name, len)) {
    return false;
  }
  if (n == len) {
    return true;
  }
  return node_name[len] == '@' && MemChr(name, '@', len) == nullptr;
}

Node Fdt::FindChild(Node parent, const char* name, size_t len) const {
  if (name == nullptr) {
    return Node{};
  }
  for (Node c = FirstChild(parent); c.valid(); c = NextSibling(c)) {
    if (NameMatches(Name(c), name, len)) {
      return c;
    }
  }
  return Node{};
}

Node Fdt::FindChild(Node parent, const char* name) const {
  return name == nullptr ? Node{} : FindChild(parent, name, StrLen(name));
}

const char* Fdt::GetAlias(const char* name, size_t len) const {
  if (name == nullptr) {
    return nullptr;
  }
  const Property p = FindProperty(FindChild(Root(), "aliases", 7), name, len);
  const char* path = nullptr;
  // An alias value is an absolute path (DT spec v0.4 §3.3); requiring the
  // leading '/' also rules out alias loops.
  if (!p.GetString(&path) || path[0] != '/') {
    return nullptr;
  }
  return path;
}

const char* Fdt::GetAlias(const char* name) const {
  return name == nullptr ? nullptr : GetAlias(name, StrLen(name));
}

Node Fdt::FindNode(const char* path, size_t len) const {
  if (!valid_ || path == nullptr || len == 0) {
    return Node{};
  }
  const char* p = path;
  const char* end = path + len;
  Node n;
  if (*p != '/') {
    const char* slash = MemChr(p, '/', len);
    const char* q = slash != nullptr ? slash : end;
    const char* target = GetAlias(p, q - p);
    if (target == nullptr) {
      return Node{};
    }
    n = FindNode(target, StrLen(target));
    p = q;
  } else {
    n = Root();
  }
  while (n.valid()) {
    while (p < end && *p == '/') {
      ++p;
    }
    if (p == end) {
      return n;
    }
    const char* slash = MemChr(p, '/', end - p);
    const char* q = slash != nullptr ? slash : end;
    n = FindChild(n, p, q - p);
    p = q;
  }
  return Node{};
}

Node Fdt::FindNode(const char* path) const {
  return path == nullptr ? Node{} : FindNode(path, StrLen(path));
}

uint32_t Fdt::Phandle(Node node) const {
  uint32_t ph = 0;
  if (GetU32(node, "phandle", &ph) == Status::kOk ||
      GetU32(node, "linux,phandle", &ph) == Status::kOk) {
    return ph;
  }
  return 0;
}

Node Fdt::FindByPhandle(uint32_t phandle) const {
  if (phandle == 0 || phandle == 0xffffffffu) {
    return Node{};
  }
  for (Node n = Root(); n.valid(); n = NextNode(n, nullptr)) {
    if (Phandle(n) == phandle) {
      return n;
    }
  }
  return Node{};
}

Node Fdt::FindCompatible(Node from, const char* compatible) const {
  for (Node n = from.valid() ? NextNode(from, nullptr) : Root(); n.valid();
       n = NextNode(n, nullptr)) {
    if (IsCompatible(n, compatible)) {
      return n;
    }
  }
  return Node{};
}

}  // namespace fdt
