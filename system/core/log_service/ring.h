// The log service's record store (docs/logging.md, "The ring"): a bounded
// ring of variable-size records in one byte buffer allocated at
// construction. Appending never allocates; when a record does not fit, the
// oldest records are evicted (and counted) until it does.
//
// Contract:
// - Every stored record has a sequence number, one more than the record
//   stored before it; the records held are exactly [first_sequence(),
//   next_sequence()).
// - A record costs RecordCost() bytes of the capacity (its header plus its
//   strings, rounded up to 8). A record that would not fit in the empty ring
//   has its message (then its pairs' values) cut until it fits, and is
//   flagged kTruncated; strings longer than the limits below are cut too.
// - Readers hold a Cursor (a sequence number and a filter). ReadNext skips
//   records that do not match and reports how many records were evicted
//   before the cursor reached them (the cursor then moves to the oldest
//   record held). Any number of cursors may exist; the ring does not know
//   them, so a slow reader never holds back writers.
// - Views returned by Get/ReadNext point into the ring and stay valid until
//   the next Append.
// Not thread-safe: the service uses it from its loop thread only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

namespace log_service {

enum class Severity : uint8_t { kTrace = 1, kDebug, kInfo, kWarn, kError, kFatal };

inline constexpr uint32_t kFlagTruncated = 1;
inline constexpr uint32_t kFlagPidClaimed = 2;
inline constexpr uint32_t kFlagKernelLog = 4;

inline constexpr size_t kMaxMoniker = 100;
inline constexpr size_t kMaxTag = 32;
inline constexpr size_t kMaxMessage = 512;
inline constexpr size_t kMaxKey = 32;
inline constexpr size_t kMaxValue = 64;
inline constexpr size_t kMaxPairs = 8;

struct KeyValueView {
  std::string_view key;
  std::string_view value;
};

struct RecordView {
  uint64_t sequence = 0;  // set by Append
  int64_t time = 0;
  Severity severity = Severity::kInfo;
  uint32_t flags = 0;
  uint64_t pid = 0;
  uint64_t tid = 0;
  std::string_view moniker;
  std::string_view tag;
  std::string_view message;
  KeyValueView pairs[kMaxPairs];
  size_t pair_count = 0;
};

struct Filter {
  Severity min_severity = Severity::kTrace;
  std::string_view moniker;  // empty: any; else equal, or a prefix ending at '/'
  std::string_view tag;      // empty: any; else equal
  bool Matches(const RecordView& r) const;
};

class Ring {
 public:
  static constexpr size_t kHeaderSize = 48;
  static constexpr size_t kMinCapacity = 256;

  // capacity is rounded down to a multiple of 8 and raised to kMinCapacity.
  // ok() is false if the buffer could not be allocated.
  explicit Ring(size_t capacity);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  bool ok() const { return buf_ != nullptr; }

  // Stores a copy of r (sequence ignored) and returns its sequence number.
  uint64_t Append(const RecordView& r);
  // Counts records lost before they reached the ring (writers' reports).
  void AddExternalDrops(uint64_t n) { dropped_ += n; }

  // The record `seq`, if the ring still holds it.
  bool Get(uint64_t seq, RecordView* out) const;

  uint64_t first_sequence() const { return first_seq_; }
  uint64_t next_sequence() const { return next_seq_; }
  size_t count() const { return static_cast<size_t>(next_seq_ - first_seq_); }
  size_t bytes() const { return used_; }
  size_t capacity() const { return cap_; }
  // Records evicted plus AddExternalDrops.
  uint64_t dropped() const { return dropped_; }
  uint64_t evicted() const { return evicted_; }

  // The bytes r costs once stored (after cutting to the limits).
  static size_t RecordCost(const RecordView& r);

  struct Cursor {
    uint64_t next = 0;  // the next sequence to look at
    Filter filter;
  };
  // The next record at or after cursor->next that matches; false if none is
  // held (the cursor then points at next_sequence()). *dropped grows by the
  // records evicted before the cursor reached them.
  bool ReadNext(Cursor* cursor, RecordView* out, uint64_t* dropped) const;

 private:
  size_t OffsetOf(uint64_t seq) const { return index_[seq % index_cap_]; }
  void EvictOldest();
  // Makes room for `size` contiguous bytes at head_, evicting as needed.
  void MakeRoom(size_t size);

  uint8_t* buf_ = nullptr;
  size_t cap_ = 0;
  uint32_t* index_ = nullptr;  // offset of record seq at [seq % index_cap_]
  size_t index_cap_ = 0;
  size_t head_ = 0;  // where the next record goes
  size_t used_ = 0;  // sum of stored records' sizes
  uint64_t first_seq_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t dropped_ = 0;
  uint64_t evicted_ = 0;
};

// "TRACE" ... "FATAL"; "?" for anything else.
const char* SeverityName(Severity s);
// Parses a severity name (any case) or its number 1..6.
bool ParseSeverity(std::string_view s, Severity* out);

// The console line (docs/logging.md, "Console"):
// `[<secs>.<ms>] <moniker>[<tag>] <SEV>: <message> k=v ...`, without a
// newline, cut to fit `cap` - 1 bytes (NUL-terminated); returns its length.
size_t FormatLine(const RecordView& r, char* out, size_t cap);

}  // namespace log_service
