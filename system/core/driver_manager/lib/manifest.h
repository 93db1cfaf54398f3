// Driver manifests in their compiled, binary form: the format, its limits,
// and a reader that trusts nothing.
//
// Contract.
// - The text form (docs/drivers.md, "Manifests") is compiled at build time
//   by sdk/tools/manifestc.py into this binary form; the bootfs carries one
//   file per driver, `drivers/<name>.manifest`. The manager reads each with
//   ParseManifest.
// - ParseManifest accepts any bytes at any alignment: it checks the header,
//   the canonical layout (header, bind table, condition table, string table,
//   nothing else, in that order, with no gaps), every count and index
//   against the limits below, every string offset (inside the string table,
//   NUL-terminated there, non-empty, at most kMaxString bytes), the name and
//   binary path syntax, enum values, flags and reserved fields and the restart
//   policy (durations up to a day; window, stable period and initial backoff
//   > 0; initial <= max backoff). Anything else is kMalformed with
//   a message naming the field and its byte offset. It never reads outside
//   [data, data + size), and never writes outside *out.
// - A parsed Manifest points into the caller's buffer (strings are returned
//   as pointers into it): keep the buffer alive and unchanged while it is
//   used. No heap.
//
// Binary layout, version 1, all integers little-endian (offsets in bytes):
//   header (kHeaderSize = 96):
//     0 u32 magic kMagic ("MDRV")   4 u16 version (1)   6 u16 header size (96)
//     8 u32 total size              12 u32 flags (kManifestHasArgument,
//                                          kManifestGrantConsole,
//                                          kManifestGrantPower)
//    16 u32 name (string)           20 u32 binary (string)
//    24 u32 bind table offset       28 u32 bind count
//    32 u32 condition table offset  36 u32 condition count
//    40 u32 string table offset     44 u32 string table size
//    48 u32 max restarts            52 u32 argument (string if the flag
//                                          is set, else 0)
//    56 u64 restart window ns       64 u64 backoff initial ns
//    72 u64 backoff max ns          80 u64 stable period ns
//    88 u64 liveness interval ns (0: no liveness check)
//   bind entry (12): u32 compatible (string), u32 first condition, u32 count
//   condition entry (12): u32 property name (string), u32 kind
//     (ConditionKind), u32 value (kU32: the number; kString: a string;
//     kPresent: 0)
//   string table: NUL-terminated strings; a "string" field is an offset into
//   it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "system/core/driver_manager/lib/error.h"

namespace dm {

inline constexpr uint32_t kManifestMagic = 0x5652444d;  // "MDRV" little-endian
inline constexpr uint16_t kManifestVersion = 1;
inline constexpr uint32_t kManifestHeaderSize = 96;
inline constexpr uint32_t kBindEntrySize = 12;
inline constexpr uint32_t kConditionEntrySize = 12;
inline constexpr uint32_t kMaxBinds = 64;
inline constexpr uint32_t kMaxConditions = 256;
inline constexpr uint32_t kMaxConditionsPerBind = 8;
inline constexpr uint32_t kMaxString = 255;
inline constexpr uint32_t kMaxManifestSize = 64 * 1024;
inline constexpr uint32_t kMaxRestartsLimit = 1000;
// Header flag: the manifest carries an `argument` string for the driver.
inline constexpr uint32_t kManifestHasArgument = 1u << 0;
// Header flag (`grant console`): the driver asks for the SYSTEM resource
// MICA_RSRC_SYSTEM_CONSOLE; the manager grants it only on the node
// /chosen/stdout-path names (docs/drivers.md, "The console").
inline constexpr uint32_t kManifestGrantConsole = 1u << 1;
// Header flag (`grant power`): the manager serves the IDL Power protocol
// (system/idl/power.idl) to this driver.
inline constexpr uint32_t kManifestGrantPower = 1u << 2;
inline constexpr uint32_t kManifestKnownFlags =
    kManifestHasArgument | kManifestGrantConsole | kManifestGrantPower;
// Upper bound of every duration field: one day.
inline constexpr uint64_t kMaxDurationNs = 86400ull * 1000 * 1000 * 1000;

enum class ConditionKind : uint32_t {
  kPresent = 0,  // the node has the property
  kU32 = 1,      // the property is one cell (4 bytes) equal to `u32`
  kString = 2,   // the property is one `<string>` equal to `string`
};

struct Condition {
  const char* property = nullptr;
  ConditionKind kind = ConditionKind::kPresent;
  uint32_t u32 = 0;
  const char* string = nullptr;  // kString only
};

struct BindRule {
  const char* compatible = nullptr;
  uint32_t first_condition = 0;  // index into the manifest's conditions
  uint32_t condition_count = 0;
};

// Restart policy (restart_policy.h implements it). Times in nanoseconds.
struct RestartPolicy {
  uint32_t max_restarts = 5;            // restarts allowed inside `window_ns`
  uint64_t window_ns = 30'000'000'000;  // the sliding window
  uint64_t backoff_initial_ns = 10'000'000;
  uint64_t backoff_max_ns = 2'000'000'000;
  uint64_t stable_ns = 10'000'000'000;  // running this long resets backoff
};

class Manifest {
 public:
  const char* name() const { return name_; }
  // Bootfs path of the driver binary, e.g. "bin/pl011".
  const char* binary() const { return binary_; }
  // The manifest's `argument` string passed to the driver at start (lets one
  // binary serve several manifests), or nullptr if none.
  const char* argument() const { return argument_; }
  uint32_t bind_count() const { return bind_count_; }
  uint32_t condition_count() const { return condition_count_; }
  // Entry `index` (< bind_count() / condition_count()); validated by Parse.
  BindRule bind(uint32_t index) const;
  Condition condition(uint32_t index) const;
  const RestartPolicy& restart() const { return restart_; }
  // The manifest says `grant console`.
  bool grants_console() const { return (flags_ & kManifestGrantConsole) != 0; }
  // 0: the driver is not asked for liveness.
  uint64_t liveness_ns() const { return liveness_ns_; }
  // `grant power`: the driver may ask the manager to power off or reboot.
  bool grants_power() const { return (flags_ & kManifestGrantPower) != 0; }

 private:
  friend Status ParseManifest(const void* data, size_t size, Manifest* out, Error* err);
  const uint8_t* data_ = nullptr;
  uint32_t strings_ = 0;
  uint32_t binds_ = 0;
  uint32_t conditions_ = 0;
  uint32_t bind_count_ = 0;
  uint32_t condition_count_ = 0;
  const char* name_ = "";
  const char* binary_ = "";
  const char* argument_ = nullptr;
  RestartPolicy restart_;
  uint64_t liveness_ns_ = 0;
  uint32_t flags_ = 0;
};

// Validates `size` bytes at `data` (see the contract) into *out.
Status ParseManifest(const void* data, size_t size, Manifest* out, Error* err);

// Name syntax: 1..64 of [a-z0-9_-], starting with a letter or digit.
bool IsValidDriverName(const char* name);
// Binary path syntax: relative ('/'-separated components of [A-Za-z0-9._-],
// none empty, "." or ".."), at most kMaxString bytes.
bool IsValidBinaryPath(const char* path);

}  // namespace dm
