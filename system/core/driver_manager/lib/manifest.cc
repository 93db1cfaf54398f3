#include "system/core/driver_manager/lib/manifest.h"

namespace dm {
namespace {

uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t Le64(const uint8_t* p) {
  return uint64_t{Le32(p)} | uint64_t{Le32(p + 4)} << 32;
}
uint16_t Le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

// The parse state: the validated header fields.
struct Layout {
  const uint8_t* data;
  uint32_t size;
  uint32_t binds, bind_count, conditions, condition_count, strings, strings_size;
};

// The string at `off` in the string table: in bounds, 1..kMaxString bytes
// followed by a NUL inside the table. `field` is the byte offset naming it.
Status ReadString(const Layout& l, uint32_t off, uint32_t field, const char* what, const char** out,
                  Error* err) {
  if (off >= l.strings_size) {
    return Fail(err, Status::kMalformed,
                "manifest offset %u: %s string offset %u outside the "
                "string table (%u bytes)",
                field, what, off, l.strings_size);
  }
  const uint8_t* s = l.data + l.strings + off;
  const uint32_t room = l.strings_size - off;
  uint32_t len = 0;
  while (len < room && s[len] != 0) {
    ++len;
  }
  if (len == room) {
    return Fail(err, Status::kMalformed,
                "manifest offset %u: %s string at %u is not "
                "NUL-terminated inside the string table",
                field, what, off);
  }
  if (len == 0 || len > kMaxString) {
    return Fail(err, Status::kMalformed,
                "manifest offset %u: %s string at %u has length %u "
                "(1..%u)",
                field, what, off, len, kMaxString);
  }
  *out = reinterpret_cast<const char*>(s);
  return Status::kOk;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

Status CheckHeader(const uint8_t* d, size_t size, Layout* l, Error* err) {
  if (size < kManifestHeaderSize) {
    return Fail(err, Status::kMalformed, "manifest: %zu bytes, shorter than the %u-byte header",
                size, kManifestHeaderSize);
  }
  if (Le32(d) != kManifestMagic) {
    return Fail(err, Status::kMalformed, "manifest offset 0: bad magic 0x%08x", Le32(d));
  }
  if (Le16(d + 4) != kManifestVersion || Le16(d + 6) != kManifestHeaderSize) {
    return Fail(err, Status::kMalformed,
                "manifest offset 4: version %u / header size %u (want "
                "%u / %u)",
                Le16(d + 4), Le16(d + 6), kManifestVersion, kManifestHeaderSize);
  }
  const uint32_t total = Le32(d + 8);
  if (total != size || total > kMaxManifestSize) {
    return Fail(err, Status::kMalformed,
                "manifest offset 8: total size %u, but %zu bytes given "
                "(at most %u)",
                total, size, kMaxManifestSize);
  }
  const uint32_t flags = Le32(d + 12);
  if ((flags & ~(kManifestHasArgument | kManifestGrantsPower)) != 0) {
    return Fail(err, Status::kMalformed, "manifest offset 12: unknown flags 0x%x", flags);
  }
  if ((flags & kManifestHasArgument) == 0 && Le32(d + 52) != 0) {
    return Fail(err, Status::kMalformed, "manifest offset 52: argument set without its flag");
  }
  *l = Layout{
      d, total, Le32(d + 24), Le32(d + 28), Le32(d + 32), Le32(d + 36), Le32(d + 40), Le32(d + 44)};
  if (l->bind_count == 0 || l->bind_count > kMaxBinds) {
    return Fail(err, Status::kMalformed, "manifest offset 28: %u bind rules (1..%u)", l->bind_count,
                kMaxBinds);
  }
  if (l->condition_count > kMaxConditions) {
    return Fail(err, Status::kMalformed, "manifest offset 36: %u conditions (at most %u)",
                l->condition_count, kMaxConditions);
  }
  // Canonical layout; the counts are small, so no sum below can overflow.
  const uint32_t conds = kManifestHeaderSize + l->bind_count * kBindEntrySize;
  const uint32_t strings = conds + l->condition_count * kConditionEntrySize;
  if (l->binds != kManifestHeaderSize || l->conditions != conds || l->strings != strings ||
      l->strings > total || l->strings_size != total - l->strings) {
    return Fail(err, Status::kMalformed,
                "manifest offset 24: tables at %u/%u/%u (+%u bytes) do "
                "not follow the header back to back up to the total size %u",
                l->binds, l->conditions, l->strings, l->strings_size, total);
  }
  return Status::kOk;
}

Status CheckPolicy(const uint8_t* d, RestartPolicy* p, uint64_t* liveness, Error* err) {
  p->max_restarts = Le32(d + 48);
  p->window_ns = Le64(d + 56);
  p->backoff_initial_ns = Le64(d + 64);
  p->backoff_max_ns = Le64(d + 72);
  p->stable_ns = Le64(d + 80);
  *liveness = Le64(d + 88);
  if (p->max_restarts > kMaxRestartsLimit) {
    return Fail(err, Status::kMalformed, "manifest offset 48: max restarts %u (at most %u)",
                p->max_restarts, kMaxRestartsLimit);
  }
  for (uint32_t off = 56; off <= 88; off += 8) {
    if (Le64(d + off) > kMaxDurationNs) {
      return Fail(err, Status::kMalformed, "manifest offset %u: duration above one day", off);
    }
  }
  if (p->window_ns == 0 || p->stable_ns == 0 || p->backoff_initial_ns == 0 ||
      p->backoff_initial_ns > p->backoff_max_ns) {
    return Fail(err, Status::kMalformed,
                "manifest offset 56: restart window and stable period must be > 0 and "
                "0 < backoff initial <= backoff max");
  }
  return Status::kOk;
}

Status CheckBinds(const Layout& l, Error* err) {
  for (uint32_t i = 0; i < l.bind_count; ++i) {
    const uint32_t off = l.binds + i * kBindEntrySize;
    const char* s = nullptr;
    Status st = ReadString(l, Le32(l.data + off), off, "compatible", &s, err);
    if (st != Status::kOk) {
      return st;
    }
    const uint32_t first = Le32(l.data + off + 4);
    const uint32_t n = Le32(l.data + off + 8);
    if (n > kMaxConditionsPerBind || first > l.condition_count || n > l.condition_count - first) {
      return Fail(err, Status::kMalformed,
                  "manifest offset %u: bind %u conditions [%u, +%u) "
                  "outside the %u conditions (at most %u per bind)",
                  off + 4, i, first, n, l.condition_count, kMaxConditionsPerBind);
    }
  }
  return Status::kOk;
}

Status CheckConditions(const Layout& l, Error* err) {
  for (uint32_t i = 0; i < l.condition_count; ++i) {
    const uint32_t off = l.conditions + i * kConditionEntrySize;
    const char* s = nullptr;
    Status st = ReadString(l, Le32(l.data + off), off, "property", &s, err);
    if (st != Status::kOk) {
      return st;
    }
    const uint32_t kind = Le32(l.data + off + 4);
    const uint32_t value = Le32(l.data + off + 8);
    if (kind == static_cast<uint32_t>(ConditionKind::kString)) {
      st = ReadString(l, value, off + 8, "condition value", &s, err);
      if (st != Status::kOk) {
        return st;
      }
    } else if (kind == static_cast<uint32_t>(ConditionKind::kPresent) && value != 0) {
      return Fail(err, Status::kMalformed, "manifest offset %u: presence condition with value %u",
                  off + 8, value);
    } else if (kind > static_cast<uint32_t>(ConditionKind::kString)) {
      return Fail(err, Status::kMalformed, "manifest offset %u: condition kind %u", off + 4, kind);
    }
  }
  return Status::kOk;
}

}  // namespace

bool IsValidDriverName(const char* name) {
  size_t len = 0;
  for (; name[len] != 0; ++len) {
    if (len >= 64 || !IsNameChar(name[len])) {
      return false;
    }
  }
  return len > 0 && name[0] != '-' && name[0] != '_';
}

bool IsValidBinaryPath(const char* path) {
  size_t len = 0;
  size_t comp = 0;        // length of the current component
  bool only_dots = true;  // the current component is "", "." or ".."
  for (;; ++len) {
    const char c = path[len];
    if (c == 0 || c == '/') {
      if (comp == 0 || (only_dots && comp <= 2)) {
        return false;
      }
      if (c == 0) {
        return len <= kMaxString;
      }
      comp = 0;
      only_dots = true;
      continue;
    }
    if (len >= kMaxString || !IsPathChar(c)) {
      return false;
    }
    only_dots = only_dots && c == '.';
    ++comp;
  }
}

BindRule Manifest::bind(uint32_t index) const {
  if (index >= bind_count_) {
    return BindRule{};
  }
  const uint8_t* e = data_ + binds_ + index * kBindEntrySize;
  return BindRule{reinterpret_cast<const char*>(data_ + strings_ + Le32(e)), Le32(e + 4),
                  Le32(e + 8)};
}

Condition Manifest::condition(uint32_t index) const {
  if (index >= condition_count_) {
    return Condition{};
  }
  const uint8_t* e = data_ + conditions_ + index * kConditionEntrySize;
  Condition c;
  c.property = reinterpret_cast<const char*>(data_ + strings_ + Le32(e));
  c.kind = static_cast<ConditionKind>(Le32(e + 4));
  if (c.kind == ConditionKind::kString) {
    c.string = reinterpret_cast<const char*>(data_ + strings_ + Le32(e + 8));
  } else {
    c.u32 = Le32(e + 8);
  }
  return c;
}

Status ParseManifest(const void* data, size_t size, Manifest* out, Error* err) {
  *out = Manifest{};
  if (data == nullptr) {
    return Fail(err, Status::kMalformed, "manifest: no data");
  }
  const uint8_t* d = static_cast<const uint8_t*>(data);
  Layout l{};
  Status st = CheckHeader(d, size, &l, err);
  if (st == Status::kOk) {
    st = CheckBinds(l, err);
  }
  if (st == Status::kOk) {
    st = CheckConditions(l, err);
  }
  Manifest m;
  if (st == Status::kOk) {
    st = CheckPolicy(d, &m.restart_, &m.liveness_ns_, err);
  }
  if (st == Status::kOk) {
    st = ReadString(l, Le32(d + 16), 16, "name", &m.name_, err);
  }
  if (st == Status::kOk) {
    st = ReadString(l, Le32(d + 20), 20, "binary", &m.binary_, err);
  }
  if (st == Status::kOk && (Le32(d + 12) & kManifestHasArgument) != 0) {
    st = ReadString(l, Le32(d + 52), 52, "argument", &m.argument_, err);
  }
  if (st != Status::kOk) {
    return st;
  }
  m.grants_power_ = (Le32(d + 12) & kManifestGrantsPower) != 0;
  if (!IsValidDriverName(m.name_)) {
    return Fail(err, Status::kMalformed,
                "manifest offset 16: driver name \"%s\" is not 1..64 "
                "of [a-z0-9_-]",
                m.name_);
  }
  if (!IsValidBinaryPath(m.binary_)) {
    return Fail(err, Status::kMalformed,
                "manifest offset 20: binary path \"%s\" is not a "
                "relative path of [A-Za-z0-9._-] components",
                m.binary_);
  }
  m.data_ = d;
  m.binds_ = l.binds;
  m.conditions_ = l.conditions;
  m.strings_ = l.strings;
  m.bind_count_ = l.bind_count;
  m.condition_count_ = l.condition_count;
  *out = m;
  return Status::kOk;
}

}  // namespace dm
