#include "system/core/fs/lib/partition.h"

#include "images/bootfs/bootfs.h"

namespace partition {

const Guid kGuidBasicData = {{0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68,
                              0xB6, 0xB7, 0x26, 0x99, 0xC7}};
const Guid kGuidEfiSystem = {{0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00,
                              0xA0, 0xC9, 0x3E, 0xC9, 0x3B}};

namespace {

// MBR (and EBR): four 16-byte entries at 446 (boot flag, CHS, type, CHS,
// start LBA, sector count), 55 AA at 510.
constexpr size_t kMbrEntries = 446;
constexpr uint8_t kTypeProtective = 0xEE;

// GPT header fields (UEFI 2.10 §5.3.2, table 5.5) and entry fields (§5.3.3,
// table 5.6).
constexpr uint8_t kGptSignature[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};
constexpr size_t kGptHeaderSize = 12;
constexpr size_t kGptHeaderCrc = 16;
constexpr size_t kGptMyLba = 24;
constexpr size_t kGptFirstUsable = 40;
constexpr size_t kGptLastUsable = 48;
constexpr size_t kGptEntriesLba = 72;
constexpr size_t kGptEntryCount = 80;
constexpr size_t kGptEntrySize = 84;
constexpr size_t kGptEntriesCrc = 88;
constexpr uint32_t kGptMinHeaderSize = 92;
constexpr uint32_t kGptMinEntrySize = 128;
constexpr uint32_t kGptMaxEntrySize = 4096;
constexpr size_t kGptEntryStart = 32;  // after the type and unique GUIDs
constexpr size_t kGptEntryEnd = 40;    // inclusive

// Entry-array sectors read at a time.
constexpr size_t kChunkBlocks = 4;

uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint64_t Le64(const uint8_t* p) {
  return uint64_t{Le32(p)} | uint64_t{Le32(p + 4)} << 32;
}

bool HasSignature(const uint8_t* sector) {
  return sector[510] == 0x55 && sector[511] == 0xAA;
}

bool IsExtendedType(uint8_t type) {
  return type == 0x05 || type == 0x0F || type == 0x85;
}

// [a, a + a_size) and [b, b + b_size) share a byte (sizes are not 0).
bool Intersect(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

bool IsFatType(const Entry& entry) {
  switch (entry.scheme) {
    case Scheme::kNone:
      return true;
    case Scheme::kMbr:
      return fat::IsFatPartitionType(entry.mbr_type);
    case Scheme::kGpt:
      return GuidEqual(entry.gpt_type, kGuidBasicData) || GuidEqual(entry.gpt_type, kGuidEfiSystem);
  }
  return false;
}

// Reads the disk's blocks and appends entries to the caller's array,
// refusing each entry that leaves the disk or overlaps one kept before it.
class Lister {
 public:
  Lister(const fat::BlockDevice& device, Entry* out, size_t capacity, Table* table)
      : device_(device), out_(out), capacity_(capacity), table_(table) {}

  uint64_t blocks() const { return device_.size / kBlockSize; }
  Table& table() { return *table_; }

  Status Read(uint64_t lba, void* buffer, size_t count) const {
    if (lba > blocks() || count > blocks() - lba ||
        device_.read(device_.context, lba * kBlockSize, buffer, count * kBlockSize) !=
            fat::Status::kOk) {
      return Status::kIoError;
    }
    return Status::kOk;
  }

  // Stores `entry`, its status kOk unless the caller refused it already or
  // Check does. Returns the stored entry, or null if the output is full.
  Entry* Add(Entry entry) {
    if (table_->count == capacity_) {
      table_->truncated = true;
      return nullptr;
    }
    if (entry.status == Status::kOk) {
      entry.status = Check(entry);
    }
    entry.fat_candidate = entry.status == Status::kOk && !entry.extended && IsFatType(entry);
    out_[table_->count] = entry;
    return &out_[table_->count++];
  }

  // Forgets every entry (a GPT entry array that turned out bad).
  void Reset() {
    table_->count = 0;
    table_->truncated = false;
  }

 private:
  // Inside the disk, and no overlap with an entry kept before (a logical
  // partition is not compared with extended partitions: they contain it).
  Status Check(const Entry& entry) const {
    if (entry.size == 0) {
      return Status::kEmpty;
    }
    if (entry.offset > device_.size || entry.size > device_.size - entry.offset) {
      return Status::kOutsideDisk;
    }
    const bool logical = entry.scheme == Scheme::kMbr && entry.number > 4;
    for (size_t i = 0; i < table_->count; ++i) {
      const Entry& other = out_[i];
      if (other.status == Status::kOk && !(logical && other.extended) &&
          Intersect(entry.offset, entry.size, other.offset, other.size)) {
        return Status::kOverlap;
      }
    }
    return Status::kOk;
  }

  const fat::BlockDevice& device_;
  Entry* const out_;
  const size_t capacity_;
  Table* const table_;
};

Entry MbrEntry(uint32_t number, uint8_t type, uint64_t lba, uint64_t blocks) {
  Entry e = {};
  e.number = number;
  e.scheme = Scheme::kMbr;
  e.mbr_type = type;
  e.offset = lba * kBlockSize;
  e.size = blocks * kBlockSize;
  e.extended = IsExtendedType(type);
  return e;
}

// --- MBR ---

// Follows the chain of EBRs of the extended partition `ext` as Linux does
// (block/partitions/msdos.c, parse_extended): in each EBR the first entry of
// another type with sectors is a logical partition, its start relative to
// the EBR; the first entry of an extended type with sectors links to the
// next EBR, its start relative to the extended partition. Logical
// partitions are numbered from *number on. Returns why the chain ended
// early, or kOk.
Status ReadChain(Lister& lister, const Entry& ext, uint32_t* number) {
  const uint64_t ext_lba = ext.offset / kBlockSize;
  const uint64_t ext_blocks = ext.size / kBlockSize;
  uint64_t visited[kMaxEbrs];
  uint64_t ebr = ext_lba;
  for (size_t count = 0;; ++count) {
    if (count == kMaxEbrs) {
      return Status::kEbrChainTooLong;
    }
    for (size_t i = 0; i < count; ++i) {
      if (visited[i] == ebr) {
        return Status::kEbrLoop;
      }
    }
    visited[count] = ebr;
    uint8_t sector[kBlockSize];
    if (Status s = lister.Read(ebr, sector, 1); s != Status::kOk) {
      return s;
    }
    if (!HasSignature(sector)) {
      return Status::kEbrBadSignature;
    }
    const uint8_t* link = nullptr;
    const uint8_t* data = nullptr;
    for (size_t i = 0; i < 4; ++i) {
      const uint8_t* e = sector + kMbrEntries + 16 * i;
      if (e[4] == 0 || Le32(e + 12) == 0) {
        continue;
      }
      const uint8_t** slot = IsExtendedType(e[4]) ? &link : &data;
      if (*slot == nullptr) {
        *slot = e;
      }
    }
    if (data != nullptr) {
      const uint64_t start = Le32(data + 8);
      Entry logical = MbrEntry((*number)++, data[4], ebr + start, Le32(data + 12));
      if (start == 0) {
        logical.status = Status::kOverlapsTable;
      } else if (logical.offset - ext.offset > ext.size ||
                 logical.size > ext.size - (logical.offset - ext.offset)) {
        logical.status = Status::kOutsideExtended;
      }
      if (lister.Add(logical) == nullptr) {
        return Status::kOk;  // the output is full: table.truncated says so
      }
    }
    if (link == nullptr) {
      return Status::kOk;
    }
    const uint64_t next = Le32(link + 8);
    if (next >= ext_blocks) {
      return Status::kEbrLinkOutside;
    }
    ebr = ext_lba + next;
  }
}

Status ReadMbr(Lister& lister, const uint8_t* mbr) {
  lister.table().scheme = Scheme::kMbr;
  Entry* extended[4];
  size_t extended_count = 0;
  for (uint32_t i = 0; i < 4; ++i) {
    const uint8_t* e = mbr + kMbrEntries + 16 * i;
    if (e[4] == 0) {
      continue;  // unused
    }
    const uint64_t start = Le32(e + 8);
    Entry entry = MbrEntry(i + 1, e[4], start, Le32(e + 12));
    if (start == 0 && entry.size != 0) {
      entry.status = Status::kOverlapsTable;
    }
    Entry* stored = lister.Add(entry);
    if (stored == nullptr) {
      return Status::kOk;
    }
    if (stored->extended && stored->status == Status::kOk) {
      extended[extended_count++] = stored;
    }
  }
  uint32_t number = 5;
  for (size_t i = 0; i < extended_count; ++i) {
    extended[i]->status = ReadChain(lister, *extended[i], &number);
  }
  return Status::kOk;
}

// --- GPT ---

struct GptHeader {
  uint64_t first_usable, last_usable, entries_lba;
  uint32_t entry_count, entry_size, entries_crc;
};

// Checks the header in `sector`, read from `lba` (UEFI 2.10 §5.3.2: the
// signature, the header CRC, MyLBA; and the fields this reader relies on).
Status ParseGptHeader(const uint8_t* sector, uint64_t lba, uint64_t blocks, GptHeader* h) {
  for (size_t i = 0; i < sizeof(kGptSignature); ++i) {
    if (sector[i] != kGptSignature[i]) {
      return Status::kGptBadSignature;
    }
  }
  const uint32_t header_size = Le32(sector + kGptHeaderSize);
  if (header_size < kGptMinHeaderSize || header_size > kBlockSize) {
    return Status::kGptBadHeaderSize;
  }
  // The CRC covers the header with its own CRC field as zero.
  const uint8_t zero[4] = {};
  uint32_t crc = bootfs::Crc32(sector, kGptHeaderCrc);
  crc = bootfs::Crc32(zero, sizeof(zero), crc);
  crc = bootfs::Crc32(sector + kGptHeaderCrc + 4, header_size - kGptHeaderCrc - 4, crc);
  if (crc != Le32(sector + kGptHeaderCrc)) {
    return Status::kGptBadHeaderCrc;
  }
  if (Le64(sector + kGptMyLba) != lba) {
    return Status::kGptBadMyLba;
  }
  h->first_usable = Le64(sector + kGptFirstUsable);
  h->last_usable = Le64(sector + kGptLastUsable);
  if (h->first_usable > h->last_usable || h->last_usable >= blocks) {
    return Status::kGptBadUsableRange;
  }
  h->entry_size = Le32(sector + kGptEntrySize);
  if (h->entry_size < kGptMinEntrySize || h->entry_size > kGptMaxEntrySize ||
      (h->entry_size & (h->entry_size - 1)) != 0) {
    return Status::kGptBadEntrySize;
  }
  h->entry_count = Le32(sector + kGptEntryCount);
  if (h->entry_count == 0 || uint64_t{h->entry_count} * h->entry_size > kMaxGptEntryBytes) {
    return Status::kGptTooManyEntries;
  }
  h->entries_lba = Le64(sector + kGptEntriesLba);
  h->entries_crc = Le32(sector + kGptEntriesCrc);
  const uint64_t array_blocks =
      (uint64_t{h->entry_count} * h->entry_size + kBlockSize - 1) / kBlockSize;
  if (h->entries_lba == 0 || h->entries_lba >= blocks || array_blocks > blocks - h->entries_lba ||
      Intersect(h->entries_lba, array_blocks, lba, 1) ||
      Intersect(h->entries_lba, array_blocks, h->first_usable,
                h->last_usable - h->first_usable + 1)) {
    return Status::kGptBadEntryArray;
  }
  return Status::kOk;
}

// Reads the entry array of header `h`, adding the used entries, and checks
// its CRC; on a mismatch the entries are taken back.
Status ReadGptEntries(Lister& lister, const GptHeader& h) {
  const uint64_t bytes = uint64_t{h.entry_count} * h.entry_size;
  uint8_t chunk[kChunkBlocks * kBlockSize];
  uint32_t crc = 0;
  uint64_t index = 0;  // next entry
  for (uint64_t at = 0; at < bytes; at += sizeof(chunk)) {
    const uint64_t length = bytes - at < sizeof(chunk) ? bytes - at : sizeof(chunk);
    const size_t blocks = static_cast<size_t>((length + kBlockSize - 1) / kBlockSize);
    if (Status s = lister.Read(h.entries_lba + at / kBlockSize, chunk, blocks); s != Status::kOk) {
      return s;
    }
    crc = bootfs::Crc32(chunk, static_cast<size_t>(length), crc);
    // An entry starts in this chunk if index * size < at + length; its
    // first 128 bytes lie in one block (the size is 128 * 2^n).
    for (; index < h.entry_count && index * h.entry_size < at + length; ++index) {
      const uint8_t* e = chunk + (index * h.entry_size - at);
      Entry entry = {};
      entry.number = static_cast<uint32_t>(index + 1);
      entry.scheme = Scheme::kGpt;
      for (size_t i = 0; i < sizeof(entry.gpt_type.bytes); ++i) {
        entry.gpt_type.bytes[i] = e[i];
      }
      if (GuidIsZero(entry.gpt_type)) {
        continue;  // unused
      }
      const uint64_t first = Le64(e + kGptEntryStart);
      const uint64_t last = Le64(e + kGptEntryEnd);
      if (last < first) {
        entry.status = Status::kEmpty;
      } else if (first < h.first_usable || last > h.last_usable) {
        entry.status = Status::kOutsideUsable;
      } else {
        entry.offset = first * kBlockSize;
        entry.size = (last - first + 1) * kBlockSize;
      }
      (void)lister.Add(entry);  // a full output only sets table.truncated
    }
  }
  if (crc != h.entries_crc) {
    lister.Reset();
    return Status::kGptBadEntriesCrc;
  }
  return Status::kOk;
}

// One copy of the GPT: the header at `lba` and its entry array.
Status ReadGptCopy(Lister& lister, uint64_t lba) {
  uint8_t sector[kBlockSize];
  if (Status s = lister.Read(lba, sector, 1); s != Status::kOk) {
    return s;
  }
  GptHeader h;
  if (Status s = ParseGptHeader(sector, lba, lister.blocks(), &h); s != Status::kOk) {
    return s;
  }
  return ReadGptEntries(lister, h);
}

// The primary GPT at LBA 1, else the backup at the last LBA (UEFI 2.10
// §5.3.2: if the primary is invalid, the backup is used).
Status ReadGpt(Lister& lister) {
  Table& table = lister.table();
  table.scheme = Scheme::kGpt;
  table.gpt_primary = ReadGptCopy(lister, 1);
  if (table.gpt_primary == Status::kOk) {
    return Status::kOk;
  }
  lister.Reset();  // what a primary array read before failing added
  table.gpt_backup = ReadGptCopy(lister, lister.blocks() - 1);
  return table.gpt_backup == Status::kOk ? Status::kOk : table.gpt_primary;
}

}  // namespace

const char* StatusString(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kIoError:
      return "I/O error reading a partition table sector";
    case Status::kNoTable:
      return "no partition table: sector 0 is no FAT volume and has no 55 AA signature";
    case Status::kBadBootFlag:
      return "not an MBR: a boot flag is neither 0x00 nor 0x80";
    case Status::kBadProtectiveMbr:
      return "protective MBR: the 0xEE entry does not start at LBA 1";
    case Status::kGptBadSignature:
      return "GPT header: no \"EFI PART\" signature";
    case Status::kGptBadHeaderSize:
      return "GPT header: size not in 92..512";
    case Status::kGptBadHeaderCrc:
      return "GPT header: CRC32 does not match";
    case Status::kGptBadMyLba:
      return "GPT header: MyLBA is not the header's own LBA";
    case Status::kGptBadUsableRange:
      return "GPT header: first usable LBA after the last, or the last past the disk";
    case Status::kGptBadEntrySize:
      return "GPT header: entry size not 128 * 2^n up to 4096";
    case Status::kGptTooManyEntries:
      return "GPT header: no entries, or an entry array over 128 KiB";
    case Status::kGptBadEntryArray:
      return "GPT header: the entry array overlaps the header, the usable LBAs or the disk's end";
    case Status::kGptBadEntriesCrc:
      return "GPT entry array: CRC32 does not match";
    case Status::kEmpty:
      return "partition has no sectors";
    case Status::kOverlapsTable:
      return "partition starts at its own partition table's sector";
    case Status::kOutsideDisk:
      return "partition ends past the disk's end";
    case Status::kOutsideExtended:
      return "logical partition lies outside its extended partition";
    case Status::kOutsideUsable:
      return "GPT partition lies outside the usable LBAs";
    case Status::kOverlap:
      return "partition overlaps an earlier partition";
    case Status::kEbrBadSignature:
      return "extended partition: an EBR has no 55 AA signature";
    case Status::kEbrLinkOutside:
      return "extended partition: a link to the next EBR points outside it";
    case Status::kEbrLoop:
      return "extended partition: the chain of EBRs loops";
    case Status::kEbrChainTooLong:
      return "extended partition: more than 128 EBRs";
  }
  return "unknown status";
}

const char* SchemeString(Scheme scheme) {
  switch (scheme) {
    case Scheme::kNone:
      return "none";
    case Scheme::kMbr:
      return "MBR";
    case Scheme::kGpt:
      return "GPT";
  }
  return "unknown";
}

bool GuidEqual(const Guid& a, const Guid& b) {
  for (size_t i = 0; i < sizeof(a.bytes); ++i) {
    if (a.bytes[i] != b.bytes[i]) {
      return false;
    }
  }
  return true;
}

bool GuidIsZero(const Guid& guid) {
  return GuidEqual(guid, Guid{});
}

void FormatGuid(const Guid& guid, char (&out)[kGuidStringSize]) {
  // The first three fields are little-endian, the last two big-endian
  // (RFC 4122 as UEFI stores it, Appendix A).
  constexpr uint8_t kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  constexpr char kHex[] = "0123456789ABCDEF";
  size_t at = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out[at++] = '-';
    }
    const uint8_t b = guid.bytes[kOrder[i]];
    out[at++] = kHex[b >> 4];
    out[at++] = kHex[b & 0xF];
  }
  out[at] = '\0';
}

Status List(const fat::BlockDevice& device, Entry* out, size_t capacity, Table* table) {
  *table = Table{};
  Lister lister(device, out, capacity, table);
  if (lister.blocks() == 0) {
    return Status::kNoTable;
  }
  uint8_t sector[kBlockSize];
  if (Status s = lister.Read(0, sector, 1); s != Status::kOk) {
    return s;
  }
  // A bare volume first: a FAT boot sector may carry a partition table too
  // (mkfs.fat --mbr writes one covering the disk).
  {
    fat::Volume volume;
    table->bare = volume.Mount(device, fat::Partition{0, 0, device.size}, nullptr, 0, true);
  }
  if (table->bare == fat::Status::kOk) {
    Entry entry = {};
    entry.scheme = Scheme::kNone;
    entry.size = device.size;
    (void)lister.Add(entry);
    return Status::kOk;
  }
  if (!HasSignature(sector)) {
    return Status::kNoTable;
  }
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t* e = sector + kMbrEntries + 16 * i;
    if (e[4] == kTypeProtective) {
      return Le32(e + 8) == 1 ? ReadGpt(lister) : Status::kBadProtectiveMbr;
    }
  }
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t flag = sector[kMbrEntries + 16 * i];
    if (flag != 0x00 && flag != 0x80) {
      return Status::kBadBootFlag;
    }
  }
  return ReadMbr(lister, sector);
}

}  // namespace partition
