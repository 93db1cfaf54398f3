// See manifest.h: the MCM1 reader.
#include "system/core/component_manager/lib/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

namespace cm {

namespace {

Status Fail(Error* err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

Status Fail(Error* err, const char* fmt, ...) {
  if (err != nullptr) {
    err->status = Status::kMalformed;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
  }
  return Status::kMalformed;
}

uint16_t Le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

const char* const kKindNames[] = {"?",          "program", "child", "collection",
                                  "capability", "use",     "offer", "expose"};

// One record's payload, read field by field; every read is bounds-checked
// and a failure remembers the first problem.
class Reader {
 public:
  Reader(const uint8_t* base, uint32_t at, uint32_t len, Error* err)
      : base_(base), at_(at), end_(at + len), err_(err) {}

  bool ok() const { return ok_; }
  uint32_t at() const { return at_; }
  const uint8_t* here() const { return base_ + at_; }
  bool done() const { return at_ == end_; }

  bool U8(uint8_t* v) {
    if (!ok_ || end_ - at_ < 1) {
      return Bad("field runs past the record");
    }
    *v = base_[at_++];
    return true;
  }
  bool U16(uint16_t* v) {
    if (!ok_ || end_ - at_ < 2) {
      return Bad("field runs past the record");
    }
    *v = Le16(base_ + at_);
    at_ += 2;
    return true;
  }
  bool String(Str* s, const char* what) {
    uint16_t len = 0;
    if (!U16(&len)) {
      return false;
    }
    if (len > kMaxString) {
      return Bad("%s: string of %u bytes (at most %u)", what, len, kMaxString);
    }
    if (end_ - at_ < len) {
      return Bad("%s: string runs past the record", what);
    }
    s->data = reinterpret_cast<const char*>(base_ + at_);
    s->size = len;
    if (!ValidUtf8(s->data, len)) {
      return Bad("%s: not UTF-8 (or holds a NUL)", what);
    }
    at_ += len;
    return true;
  }
  bool Name(Str* s, const char* what) {
    if (!String(s, what)) {
      return false;
    }
    if (!ValidName(s->data, s->size)) {
      return Bad("%s: invalid name \"%.*s\"", what, static_cast<int>(s->size), s->data);
    }
    return true;
  }
  bool ChildName(Str* s, const char* what) {
    if (!String(s, what)) {
      return false;
    }
    if (!ValidChildName(s->data, s->size)) {
      return Bad("%s: invalid child name \"%.*s\"", what, static_cast<int>(s->size), s->data);
    }
    return true;
  }
  // A name, or empty (the file left `as` to default to `name`).
  bool OptionalName(Str* s, const Str& fallback, const char* what) {
    if (!String(s, what)) {
      return false;
    }
    if (s->size == 0) {
      *s = fallback;
      return true;
    }
    if (!ValidName(s->data, s->size)) {
      return Bad("%s: invalid name \"%.*s\"", what, static_cast<int>(s->size), s->data);
    }
    return true;
  }
  bool BootfsPath(Str* s, const char* what) {
    if (!String(s, what)) {
      return false;
    }
    if (s->size > kMaxBootfsPath || !ValidPath(s->data, s->size, false)) {
      return Bad("%s: invalid bootfs path \"%.*s\"", what, static_cast<int>(s->size), s->data);
    }
    return true;
  }
  bool NamespacePath(Str* s, const char* what) {
    if (!String(s, what)) {
      return false;
    }
    if (!ValidPath(s->data, s->size, true)) {
      return Bad("%s: invalid namespace path \"%.*s\"", what, static_cast<int>(s->size), s->data);
    }
    return true;
  }
  bool Cap(CapKind* k) {
    uint8_t v = 0;
    if (!U8(&v)) {
      return false;
    }
    if (v != 1 && v != 2) {
      return Bad("unknown capability kind %u", v);
    }
    *k = static_cast<CapKind>(v);
    return true;
  }
  bool OnTerm(OnTerminate* t) {
    uint8_t v = 0;
    if (!U8(&v)) {
      return false;
    }
    if (v > 2) {
      return Bad("unknown on_terminate %u", v);
    }
    *t = static_cast<OnTerminate>(v);
    return true;
  }
  // A reference whose kind must be in `allowed` (a bit per RefKind).
  bool Reference(Ref* r, uint32_t allowed, const char* what) {
    uint8_t v = 0;
    if (!U8(&v)) {
      return false;
    }
    if (v < 1 || v > 4) {
      return Bad("%s: unknown reference kind %u", what, v);
    }
    if ((allowed & (1u << v)) == 0) {
      return Bad("%s: reference kind %u not allowed here", what, v);
    }
    r->kind = static_cast<RefKind>(v);
    if (r->kind == RefKind::kChild) {
      return ChildName(&r->name, what);
    }
    if (!String(&r->name, what)) {
      return false;
    }
    if (!r->name.empty()) {
      return Bad("%s: a name with a non-child reference", what);
    }
    return true;
  }

  bool Bad(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (ok_ && err_ != nullptr) {
      char what[128];
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(what, sizeof(what), fmt, ap);
      va_end(ap);
      Fail(err_, "offset %u: %s", at_, what);
    }
    ok_ = false;
    return false;
  }

 private:
  static bool ValidPath(const char* s, size_t n, bool absolute) {
    if (n == 0 || (s[0] == '/') != absolute) {
      return false;
    }
    size_t i = absolute ? 1 : 0;
    if (i == n) {
      return false;  // "/" alone
    }
    while (i <= n) {
      size_t j = i;
      while (j < n && s[j] != '/') {
        char c = s[j];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) {
          return false;
        }
        j++;
      }
      size_t len = j - i;
      if (len == 0 || (len == 1 && s[i] == '.') || (len == 2 && s[i] == '.' && s[i + 1] == '.')) {
        return false;
      }
      i = j + 1;
    }
    return true;
  }

  const uint8_t* base_;
  uint32_t at_;
  uint32_t end_;
  Error* err_;
  bool ok_ = true;
};

constexpr uint32_t Bit(RefKind k) {
  return 1u << static_cast<uint32_t>(k);
}

bool ParseRecord(Reader& r, RecordKind kind, Manifest* m) {
  switch (kind) {
    case RecordKind::kProgram: {
      Program& p = m->program;
      if (!r.BootfsPath(&p.binary, "program binary") || !r.U16(&p.argc)) {
        return false;
      }
      if (p.argc > kMaxArgs) {
        return r.Bad("program: %u arguments (at most %u)", p.argc, kMaxArgs);
      }
      p.args = r.here();
      for (uint32_t i = 0; i < p.argc; i++) {
        Str a;
        if (!r.String(&a, "program argument")) {
          return false;
        }
      }
      m->has_program = true;
      return true;
    }
    case RecordKind::kChild: {
      Child& c = m->children[m->child_count];
      uint8_t startup = 0;
      if (!r.ChildName(&c.name, "child name") || !r.BootfsPath(&c.manifest, "child manifest") ||
          !r.U8(&startup)) {
        return false;
      }
      if (startup > 1) {
        return r.Bad("child %.*s: unknown startup %u", c.name.size, c.name.data, startup);
      }
      c.startup = static_cast<Startup>(startup);
      if (!r.OnTerm(&c.on_terminate)) {
        return false;
      }
      if (m->FindChild(c.name) != nullptr || m->FindCollection(c.name) != nullptr) {
        return r.Bad("child %.*s: a duplicate name", c.name.size, c.name.data);
      }
      m->child_count++;
      return true;
    }
    case RecordKind::kCollection: {
      Collection& c = m->collections[m->collection_count];
      if (!r.ChildName(&c.name, "collection name") || !r.OnTerm(&c.on_terminate)) {
        return false;
      }
      if (m->FindChild(c.name) != nullptr || m->FindCollection(c.name) != nullptr) {
        return r.Bad("collection %.*s: a duplicate name", c.name.size, c.name.data);
      }
      m->collection_count++;
      return true;
    }
    case RecordKind::kCapability: {
      Capability& c = m->capabilities[m->capability_count];
      if (!r.Cap(&c.kind) || !r.Name(&c.name, "capability name")) {
        return false;
      }
      m->capability_count++;
      return true;
    }
    case RecordKind::kUse: {
      Use& u = m->uses[m->use_count];
      if (!r.Cap(&u.kind) || !r.Name(&u.name, "use name") ||
          !r.Reference(&u.from, Bit(RefKind::kParent) | Bit(RefKind::kFramework), "use from") ||
          !r.NamespacePath(&u.path, "use path")) {
        return false;
      }
      m->use_count++;
      return true;
    }
    case RecordKind::kOffer: {
      Offer& o = m->offers[m->offer_count];
      if (!r.Cap(&o.kind) || !r.Name(&o.name, "offer name") ||
          !r.Reference(&o.from, Bit(RefKind::kParent) | Bit(RefKind::kSelf) | Bit(RefKind::kChild),
                       "offer from") ||
          !r.ChildName(&o.to, "offer to") || !r.OptionalName(&o.as, o.name, "offer as")) {
        return false;
      }
      m->offer_count++;
      return true;
    }
    case RecordKind::kExpose: {
      Expose& e = m->exposes[m->expose_count];
      if (!r.Cap(&e.kind) || !r.Name(&e.name, "expose name") ||
          !r.Reference(&e.from, Bit(RefKind::kSelf) | Bit(RefKind::kChild), "expose from") ||
          !r.OptionalName(&e.as, e.name, "expose as")) {
        return false;
      }
      m->expose_count++;
      return true;
    }
  }
  return r.Bad("unknown record kind");
}

uint32_t CountOf(const Manifest& m, RecordKind kind) {
  switch (kind) {
    case RecordKind::kProgram:
      return m.has_program ? 1 : 0;
    case RecordKind::kChild:
      return m.child_count;
    case RecordKind::kCollection:
      return m.collection_count;
    case RecordKind::kCapability:
      return m.capability_count;
    case RecordKind::kUse:
      return m.use_count;
    case RecordKind::kOffer:
      return m.offer_count;
    case RecordKind::kExpose:
      return m.expose_count;
  }
  return 0;
}

}  // namespace

const char* CapKindName(CapKind k) {
  return k == CapKind::kDirectory ? "directory" : "protocol";
}

const char* OnTerminateName(OnTerminate t) {
  switch (t) {
    case OnTerminate::kRestart:
      return "restart";
    case OnTerminate::kIgnore:
      return "ignore";
    case OnTerminate::kReboot:
      return "reboot";
  }
  return "?";
}

bool Str::Equals(const char* s) const {
  size_t n = strlen(s);
  return n == size && memcmp(s, data, n) == 0;
}

bool Str::Equals(const Str& s) const {
  return s.size == size && (size == 0 || memcmp(s.data, data, size) == 0);
}

bool ValidUtf8(const char* s, size_t n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s);
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c == 0) {
      return false;
    }
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      lo = c == 0xe0 ? 0xa0 : 0x80;  // no overlong forms
      hi = c == 0xed ? 0x9f : 0xbf;  // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      lo = c == 0xf0 ? 0x90 : 0x80;
      hi = c == 0xf4 ? 0x8f : 0xbf;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) {
      return false;
    }
    for (size_t k = 2; k < len; k++) {
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

bool ValidName(const char* s, size_t n) {
  if (n == 0 || n > kMaxName) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool ValidChildName(const char* s, size_t n) {
  if (n == 0 || n > kMaxChildName) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool Manifest::Arg(uint32_t i, Str* out) const {
  if (!has_program || i >= program.argc) {
    return false;
  }
  const uint8_t* p = program.args;
  for (uint32_t k = 0;; k++) {
    uint16_t len = Le16(p);
    if (k == i) {
      out->data = reinterpret_cast<const char*>(p + 2);
      out->size = len;
      return true;
    }
    p += 2 + len;
  }
}

const Child* Manifest::FindChild(const Str& name) const {
  for (uint32_t i = 0; i < child_count; i++) {
    if (children[i].name.Equals(name)) {
      return &children[i];
    }
  }
  return nullptr;
}

const Collection* Manifest::FindCollection(const Str& name) const {
  for (uint32_t i = 0; i < collection_count; i++) {
    if (collections[i].name.Equals(name)) {
      return &collections[i];
    }
  }
  return nullptr;
}

Status ParseManifest(const uint8_t* data, size_t size, Manifest* out, Error* err) {
  *out = Manifest();
  if (size < kHeaderSize) {
    return Fail(err, "%zu bytes: shorter than the %u-byte header", size, kHeaderSize);
  }
  uint32_t magic = Le32(data);
  uint16_t version = Le16(data + 4);
  uint16_t count = Le16(data + 6);
  uint32_t total = Le32(data + 8);
  if (magic != kMagic) {
    return Fail(err, "bad magic 0x%08x (not MCM1)", magic);
  }
  if (version != kVersion) {
    return Fail(err, "version %u (this reader knows %u)", version, kVersion);
  }
  if (total != size) {
    return Fail(err, "total_size %u but the file has %zu bytes", total, size);
  }
  uint32_t at = kHeaderSize;
  uint16_t last_kind = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (size - at < 4) {
      return Fail(err, "offset %u: record %u of %u runs past the end", at, i, count);
    }
    uint16_t kind = Le16(data + at);
    uint16_t len = Le16(data + at + 2);
    if (kind < 1 || kind > 7) {
      return Fail(err, "offset %u: unknown record kind %u", at, kind);
    }
    if (kind < last_kind) {
      return Fail(err, "offset %u: a %s record after a %s record (out of order)", at,
                  kKindNames[kind], kKindNames[last_kind]);
    }
    uint32_t padded = (4u + len + 3u) & ~3u;
    if (size - at < padded) {
      return Fail(err, "offset %u: %s record of %u bytes runs past the end", at, kKindNames[kind],
                  len);
    }
    RecordKind rk = static_cast<RecordKind>(kind);
    uint32_t limit = rk == RecordKind::kProgram ? 1 : kMaxPerKind;
    if (CountOf(*out, rk) >= limit) {
      return Fail(err, "offset %u: more than %u %s records", at, limit, kKindNames[kind]);
    }
    Reader r(data, at + 4, len, err);
    if (!ParseRecord(r, rk, out)) {
      return Status::kMalformed;
    }
    if (!r.done()) {
      return Fail(err, "offset %u: %u unread bytes at the end of a %s record", r.at(),
                  at + 4 + len - r.at(), kKindNames[kind]);
    }
    for (uint32_t p = at + 4 + len; p < at + padded; p++) {
      if (data[p] != 0) {
        return Fail(err, "offset %u: nonzero padding", p);
      }
    }
    last_kind = kind;
    at += padded;
  }
  if (at != size) {
    return Fail(err, "offset %u: %zu trailing bytes after %u records", at, size - at, count);
  }
  return Status::kOk;
}

}  // namespace cm
