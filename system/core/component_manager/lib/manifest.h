// cm::ParseManifest: the reader of the binary component manifest ("MCM1",
// docs/components.md, "Binary form"), which the host compiler sdk/tools/cmc.py
// writes into the bootfs as meta/<name>.cm.
//
// Contract. ParseManifest checks every rule of the format before it returns
// kOk; on any violation it returns the status and, if `err` is not null, a
// one-line English message naming the byte offset and the rule. Accepted:
//   header (12 bytes): u32 magic 0x314d434d, u16 version 1, u16
//   record_count, u32 total_size == the buffer's size;
//   record: u16 kind 1..7, u16 payload_len, payload, zero padding to 4;
//   records in kind order (nondecreasing), at most one PROGRAM, at most
//   kMaxPerKind of each kind, exactly record_count of them, nothing after
//   the last; every payload consumed exactly by its fields;
//   str = u16 len + len bytes of UTF-8 with no NUL, len <= 255;
//   u8 enums only of their declared values; names [A-Za-z0-9_.-]{1,100},
//   child and collection names [a-z0-9_-]{1,32}; bootfs paths (binary,
//   child manifest) of 1..103 bytes, relative, without empty, "." or ".."
//   components; namespace paths absolute, the same otherwise; a reference's
//   name empty for parent/self/framework and a child name for child; USE
//   only from parent or framework, EXPOSE only from self or child.
// The parsed Manifest points into the buffer: keep the bytes alive (the
// bootfs mapping is). No allocation.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace cm {

inline constexpr uint32_t kMagic = 0x314d434d;  // "MCM1"
inline constexpr uint16_t kVersion = 1;
inline constexpr uint32_t kHeaderSize = 12;
inline constexpr uint32_t kMaxPerKind = 64;
inline constexpr uint32_t kMaxString = 255;
inline constexpr uint32_t kMaxName = 100;
inline constexpr uint32_t kMaxChildName = 32;
inline constexpr uint32_t kMaxArgs = 64;
inline constexpr uint32_t kMaxBootfsPath = 103;  // a bootfs name (docs/bootfs.md)

enum class RecordKind : uint16_t {
  kProgram = 1,
  kChild = 2,
  kCollection = 3,
  kCapability = 4,
  kUse = 5,
  kOffer = 6,
  kExpose = 7,
};
enum class CapKind : uint8_t { kProtocol = 1, kDirectory = 2 };
enum class RefKind : uint8_t { kParent = 1, kSelf = 2, kChild = 3, kFramework = 4 };
enum class Startup : uint8_t { kLazy = 0, kEager = 1 };
enum class OnTerminate : uint8_t { kRestart = 0, kIgnore = 1, kReboot = 2 };

const char* CapKindName(CapKind k);
const char* OnTerminateName(OnTerminate t);

// A string inside the manifest bytes (not NUL-terminated).
struct Str {
  const char* data = nullptr;
  uint16_t size = 0;
  bool Equals(const char* s) const;
  bool Equals(const Str& s) const;
  bool empty() const { return size == 0; }
};

struct Ref {
  RefKind kind = RefKind::kParent;
  Str name;  // the child or collection (kChild), empty otherwise
};

struct Program {
  Str binary;
  uint16_t argc = 0;
  const uint8_t* args = nullptr;  // argc encoded strings; Manifest::Arg reads them
};

struct Child {
  Str name;
  Str manifest;
  Startup startup = Startup::kLazy;
  OnTerminate on_terminate = OnTerminate::kRestart;
};

struct Collection {
  Str name;
  OnTerminate on_terminate = OnTerminate::kIgnore;
};

struct Capability {
  CapKind kind = CapKind::kProtocol;
  Str name;
};

struct Use {
  CapKind kind = CapKind::kProtocol;
  Str name;
  Ref from;
  Str path;  // namespace path, e.g. /svc/log.Sink
};

struct Offer {
  CapKind kind = CapKind::kProtocol;
  Str name;
  Ref from;
  Str to;  // child or collection
  Str as;  // the name the target sees (never empty: `name` if the file left it empty)
};

struct Expose {
  CapKind kind = CapKind::kProtocol;
  Str name;
  Ref from;
  Str as;  // never empty, as Offer::as
};

enum class Status : uint8_t { kOk = 0, kMalformed };

struct Error {
  static constexpr size_t kMessageSize = 160;
  Status status = Status::kOk;
  char message[kMessageSize] = {};
};

struct Manifest {
  bool has_program = false;
  Program program;
  uint32_t child_count = 0;
  uint32_t collection_count = 0;
  uint32_t capability_count = 0;
  uint32_t use_count = 0;
  uint32_t offer_count = 0;
  uint32_t expose_count = 0;
  Child children[kMaxPerKind];
  Collection collections[kMaxPerKind];
  Capability capabilities[kMaxPerKind];
  Use uses[kMaxPerKind];
  Offer offers[kMaxPerKind];
  Expose exposes[kMaxPerKind];

  // Program argument `i` (< program.argc) into *out.
  bool Arg(uint32_t i, Str* out) const;
  const Child* FindChild(const Str& name) const;
  const Collection* FindCollection(const Str& name) const;
};

// Validates `size` bytes at `data` and fills *out (pointing into data).
Status ParseManifest(const uint8_t* data, size_t size, Manifest* out, Error* err);

// Name checks, shared with the manager (a moniker's parts, Realm.Run).
bool ValidName(const char* s, size_t n);
bool ValidChildName(const char* s, size_t n);
bool ValidUtf8(const char* s, size_t n);

}  // namespace cm
