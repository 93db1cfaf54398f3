// Partition tables: lists every partition of a disk, with its number, its
// scheme and type, where it lies and whether it may hold a FAT volume. A
// bare FAT volume (no table), an MBR with its primaries and the logical
// partitions of its extended partitions (the chain of EBRs), and GPT
// (primary header, or the backup at the disk's last LBA when the primary is
// bad: UEFI 2.10 §5.3.2). Freestanding like fat.h: no syscalls, no heap; the
// caller owns the output array. Logical blocks are 512 bytes. What is
// checked and the errors: docs/storage.md, "Partitions".
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "system/core/fs/lib/fat.h"

namespace partition {

enum class Status : uint8_t {
  kOk = 0,
  kIoError,  // the device failed to read a table sector
  // --- The disk: nothing could be listed ---
  kNoTable,            // sector 0 is no FAT volume, and has no 55 AA (so no MBR)
  kBadBootFlag,        // an MBR entry's boot flag is neither 0x00 nor 0x80: not an MBR
  kBadProtectiveMbr,   // the 0xEE entry does not start at LBA 1
  kGptBadSignature,    // no "EFI PART"
  kGptBadHeaderSize,   // the header size is not in 92..512
  kGptBadHeaderCrc,    // the header's CRC32 does not match
  kGptBadMyLba,        // the header does not name the LBA it was read from
  kGptBadUsableRange,  // first usable LBA after the last, or the last past the disk
  kGptBadEntrySize,    // the entry size is not 128 * 2^n (at most 4096)
  kGptTooManyEntries,  // more entries than kMaxGptEntryBytes holds, or none
  kGptBadEntryArray,   // the entry array overlaps its header, the usable range or the disk's end
  kGptBadEntriesCrc,   // the entry array's CRC32 does not match
  // --- One partition, refused (listed with this status; the others kept) ---
  kEmpty,            // a used entry with no sectors (MBR size 0, GPT end before start)
  kOverlapsTable,    // it starts at its own table's sector (MBR/EBR start 0)
  kOutsideDisk,      // it ends past the disk's end
  kOutsideExtended,  // a logical partition not inside its extended partition
  kOutsideUsable,    // GPT: not inside the header's usable LBAs
  kOverlap,          // it overlaps a partition listed before it
  // --- An extended partition's chain of EBRs ended early (on its entry) ---
  kEbrBadSignature,  // an EBR without 55 AA
  kEbrLinkOutside,   // a link to the next EBR points outside the extended partition
  kEbrLoop,          // a link points back to an EBR already read
  kEbrChainTooLong,  // more than kMaxEbrs EBRs
};

// A short English description ("GPT header CRC32 does not match").
const char* StatusString(Status status);

enum class Scheme : uint8_t { kNone, kMbr, kGpt };
const char* SchemeString(Scheme scheme);  // "none", "MBR", "GPT"

inline constexpr uint64_t kBlockSize = 512;
inline constexpr size_t kMaxEbrs = 128;  // per extended partition
// The GPT entry array read at most (1024 entries of 128 bytes; the usual
// array has 128).
inline constexpr uint64_t kMaxGptEntryBytes = 128 * 1024;

struct Guid {
  uint8_t bytes[16];  // as stored on disk (the first three fields little-endian)
};

// Microsoft basic data (EBD0A0A2-B9E5-4433-87C0-68B6B72699C7) and the EFI
// System Partition (C12A7328-F81F-11D2-BA4B-00A0C93EC93B): the GPT types
// that may hold FAT.
extern const Guid kGuidBasicData;
extern const Guid kGuidEfiSystem;
bool GuidEqual(const Guid& a, const Guid& b);
bool GuidIsZero(const Guid& guid);
// "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" and a NUL into `out`.
inline constexpr size_t kGuidStringSize = 37;
void FormatGuid(const Guid& guid, char (&out)[kGuidStringSize]);

struct Entry {
  // As Linux numbers them: MBR primaries 1..4 by slot, logical partitions
  // 5.. in chain order; GPT entry index + 1; 0 for a bare volume.
  uint32_t number;
  Scheme scheme;
  uint8_t mbr_type;  // MBR: the type byte; 0 otherwise
  Guid gpt_type;     // GPT: the type GUID; zero otherwise
  uint64_t offset;   // bytes from the disk's start
  uint64_t size;     // bytes
  // An MBR extended partition: a container, never a volume. Its status is
  // its chain's (kOk, or why the chain of EBRs ended).
  bool extended;
  // Status kOk and a FAT type: MBR 0x01/0x04/0x06/0x0B/0x0C/0x0E, GPT basic
  // data or EFI System, or a bare volume.
  bool fat_candidate;
  Status status;  // kOk, or why it was refused

  fat::Partition fat() const { return fat::Partition{mbr_type, offset, size}; }
};

struct Table {
  Scheme scheme = Scheme::kNone;
  size_t count = 0;        // entries written
  bool truncated = false;  // more partitions than the output holds: the rest are not listed
  // When sector 0 is not a bare FAT volume: why (fat::Volume::Mount's
  // status on the whole disk), for a caller that wants to say so.
  fat::Status bare = fat::Status::kOk;
  // GPT: why the primary header or its entries were refused (the backup
  // was used), or kOk.
  Status gpt_primary = Status::kOk;
  // GPT: why the backup was refused, if it was tried, or kOk.
  Status gpt_backup = Status::kOk;
};

// Lists the partitions of `device` into out[0..capacity): a bare FAT volume
// (sector 0 is a FAT boot sector that mounts) as one entry covering the
// disk; else GPT if the MBR has a 0xEE entry; else the MBR. Returns kOk if
// a table was read (its entries may still carry their own refusals), else
// why not (for GPT with both headers bad: the primary's reason, and
// table->gpt_backup the backup's).
Status List(const fat::BlockDevice& device, Entry* out, size_t capacity, Table* table);

}  // namespace partition
