// Freestanding bootfs reader; see bootfs.h and docs/bootfs.md.
//
// Every multi-byte field is read byte by byte as little-endian, so the image
// buffer needs no particular alignment and the code is endian-neutral. All
// offset arithmetic is done in uint64_t after bounding the operands, so no sum
// can wrap: the image is at most SIZE_MAX bytes and every offset or size taken
// from it is compared against the image size before it is added to anything.

#include "images/bootfs/bootfs.h"

namespace bootfs {
namespace {

uint16_t Load16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

uint64_t Load64(const uint8_t* p) {
  return static_cast<uint64_t>(Load32(p)) | (static_cast<uint64_t>(Load32(p + 4)) << 32);
}

bool BytesEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) {
      return false;
    }
  }
  return true;
}

size_t StringLength(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

// Tables of the reflected CRC-32 polynomial for slicing by 8, built at
// compile time so the kernel needs no initialisation step: entries[0] is
// the byte-at-a-time table, entries[k][b] the CRC of byte b followed by k
// zero bytes. Eight bytes a step cost about half the instructions of one
// byte a step (the boot checks the whole bootfs twice, and every first
// start of a program checks its file: docs/performance.md, issue 15 §5).
struct CrcTable {
  uint32_t entries[8][256];
};

constexpr CrcTable MakeCrcTable() {
  CrcTable table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1) ? (0xedb88320u ^ (c >> 1)) : (c >> 1);
    }
    table.entries[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) {
      const uint32_t prev = table.entries[k - 1][i];
      table.entries[k][i] = (prev >> 8) ^ table.entries[0][prev & 0xff];
    }
  }
  return table;
}

constexpr CrcTable kCrcTable = MakeCrcTable();

const uint8_t* EntryAt(const uint8_t* base, uint32_t index) {
  return base + kHeaderSize + static_cast<size_t>(index) * kEntrySize;
}

}  // namespace

namespace {

#if defined(__aarch64__)
// Set once, before any other thread runs (UseCrc32Instructions).
bool g_crc32_instructions = false;

// The ARMv8 CRC32 instructions (FEAT_CRC32: CRC-32 with the IEEE
// polynomial, reflected, as the table) take 8 bytes per instruction.
uint32_t Crc32Instructions(const uint8_t* p, size_t size, uint32_t c) {
  // 32 bytes a turn: two load pairs, four CRCs, one count and one branch.
  for (; size >= 32; size -= 32, p += 32) {
    uint64_t v[4];
    __builtin_memcpy(v, p, 32);
    __asm__(
        ".arch_extension crc\n\t"
        "crc32x %w0, %w0, %x1\n\tcrc32x %w0, %w0, %x2\n\t"
        "crc32x %w0, %w0, %x3\n\tcrc32x %w0, %w0, %x4"
        : "+r"(c)
        : "r"(v[0]), "r"(v[1]), "r"(v[2]), "r"(v[3]));
  }
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    __asm__(".arch_extension crc\n\tcrc32x %w0, %w0, %x1" : "+r"(c) : "r"(v));
  }
  for (; size > 0; --size, ++p) {
    __asm__(".arch_extension crc\n\tcrc32b %w0, %w0, %w1"
            : "+r"(c)
            : "r"(static_cast<uint32_t>(*p)));
  }
  return c;
}
#endif

}  // namespace

void UseCrc32Instructions(bool on) {
#if defined(__aarch64__)
  g_crc32_instructions = on;
#else
  (void)on;
#endif
}

uint32_t Crc32(const void* data, size_t size, uint32_t crc) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
#if defined(__aarch64__)
  if (g_crc32_instructions) {
    return ~Crc32Instructions(p, size, c);
  }
#endif
  const auto& t = kCrcTable.entries;
  for (; size >= 8; size -= 8, p += 8) {
    const uint32_t lo = Load32(p) ^ c;
    const uint32_t hi = Load32(p + 4);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; size > 0; --size, ++p) {
    c = t[0][(c ^ *p) & 0xff] ^ (c >> 8);
  }
  return ~c;
}

bool IsValidName(const char* name, size_t length) {
  if (length == 0 || length > kMaxNameLength) {
    return false;
  }
  size_t component_start = 0;
  for (size_t i = 0; i <= length; ++i) {
    if (i == length || name[i] == '/') {
      const size_t n = i - component_start;
      if (n == 0) {
        return false;  // leading, trailing or doubled '/'
      }
      if (name[component_start] == '.' &&
          (n == 1 || (n == 2 && name[component_start + 1] == '.'))) {
        return false;  // "." or ".."
      }
      component_start = i + 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c <= 0x20 || c >= 0x7f || c == '\\') {
      return false;
    }
  }
  return true;
}

int CompareNames(const char* a, size_t a_length, const char* b, size_t b_length) {
  const size_t n = a_length < b_length ? a_length : b_length;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char ca = static_cast<unsigned char>(a[i]);
    const unsigned char cb = static_cast<unsigned char>(b[i]);
    if (ca != cb) {
      return ca < cb ? -1 : 1;
    }
  }
  if (a_length == b_length) {
    return 0;
  }
  return a_length < b_length ? -1 : 1;
}

const char* StatusString(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kTooSmall:
      return "buffer too small for a bootfs header";
    case Status::kBadMagic:
      return "bad magic (not a bootfs)";
    case Status::kBadVersion:
      return "unsupported bootfs version";
    case Status::kBadHeader:
      return "malformed header";
    case Status::kBadHeaderChecksum:
      return "header checksum mismatch";
    case Status::kBadDirectory:
      return "malformed directory size or entry count";
    case Status::kBadTotalSize:
      return "total size unaligned, too small or beyond the buffer";
    case Status::kBadImageChecksum:
      return "image checksum mismatch";
    case Status::kBadName:
      return "invalid entry name";
    case Status::kUnsortedNames:
      return "entry names not strictly ascending";
    case Status::kBadEntryFlags:
      return "entry flags not zero";
    case Status::kMisalignedEntry:
      return "entry data not page-aligned";
    case Status::kEntryOutOfBounds:
      return "entry data outside the data area";
    case Status::kOverlappingEntries:
      return "entry data overlaps or is out of order";
    case Status::kBadEntryChecksum:
      return "entry checksum mismatch";
  }
  return "unknown status";
}

Status Image::Fail(Status status, uint32_t entry) {
  base_ = nullptr;
  total_size_ = 0;
  count_ = 0;
  failed_entry_ = entry;
  return status;
}

Status Image::Open(const void* data, size_t size, Verify verify) {
  const uint8_t* base = static_cast<const uint8_t*>(data);
  const bool checksums = verify == Verify::kAll;
  Fail(Status::kOk, kNoEntry);

  if (base == nullptr || size < kHeaderSize) {
    return Fail(Status::kTooSmall, kNoEntry);
  }
  if (!BytesEqual(base + kHeaderMagicOffset, kMagic, sizeof(kMagic))) {
    return Fail(Status::kBadMagic, kNoEntry);
  }
  // The version comes before the header checksum: a later version may move it.
  if (Load32(base + kHeaderVersionOffset) != kVersion) {
    return Fail(Status::kBadVersion, kNoEntry);
  }
  if (checksums && Crc32(base, kHeaderHeaderCrcOffset) != Load32(base + kHeaderHeaderCrcOffset)) {
    return Fail(Status::kBadHeaderChecksum, kNoEntry);
  }
  if (Load32(base + kHeaderHeaderSizeOffset) != kHeaderSize ||
      Load32(base + kHeaderEntrySizeOffset) != kEntrySize ||
      Load32(base + kHeaderFlagsOffset) != 0 ||
      !AllZero(base + kHeaderReservedOffset, kHeaderReservedSize)) {
    return Fail(Status::kBadHeader, kNoEntry);
  }

  // entry_count <= kMaxEntries bounds the directory to 8 MiB, so the sums
  // below stay far below 2^64.
  const uint32_t count = Load32(base + kHeaderEntryCountOffset);
  const uint64_t directory_size = Load64(base + kHeaderDirectorySizeOffset);
  if (count > kMaxEntries || directory_size != static_cast<uint64_t>(count) * kEntrySize) {
    return Fail(Status::kBadDirectory, kNoEntry);
  }
  const uint64_t data_start = PageAlign(kHeaderSize + directory_size);

  // From here on, [0, total_size) lies inside the buffer.
  const uint64_t total_size = Load64(base + kHeaderTotalSizeOffset);
  if (total_size % kPageSize != 0 || total_size < data_start ||
      total_size > static_cast<uint64_t>(size)) {
    return Fail(Status::kBadTotalSize, kNoEntry);
  }
  if (checksums && Crc32(base + kHeaderSize, static_cast<size_t>(total_size - kHeaderSize)) !=
                       Load32(base + kHeaderImageCrcOffset)) {
    return Fail(Status::kBadImageChecksum, kNoEntry);
  }

  // Entries: names strictly ascending; data page-aligned, inside
  // [data_start, total_size) and ascending without overlap. `previous_end`
  // never exceeds total_size.
  uint64_t previous_end = data_start;
  const char* previous_name = nullptr;
  size_t previous_length = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* entry = EntryAt(base, i);
    const char* name = reinterpret_cast<const char*>(entry + kEntryNameOffset);
    const size_t name_length = Load16(entry + kEntryNameLengthOffset);
    if (name_length == 0 || name_length > kMaxNameLength || !IsValidName(name, name_length) ||
        !AllZero(entry + kEntryNameOffset + name_length, kNameFieldSize - name_length)) {
      return Fail(Status::kBadName, i);
    }
    if (previous_name != nullptr &&
        CompareNames(previous_name, previous_length, name, name_length) >= 0) {
      return Fail(Status::kUnsortedNames, i);
    }
    previous_name = name;
    previous_length = name_length;

    if (Load16(entry + kEntryFlagsOffset) != 0) {
      return Fail(Status::kBadEntryFlags, i);
    }
    const uint64_t offset = Load64(entry + kEntryOffsetOffset);
    const uint64_t file_size = Load64(entry + kEntrySizeOffset);
    if (offset % kPageSize != 0) {
      return Fail(Status::kMisalignedEntry, i);
    }
    // offset <= total_size is checked first, so total_size - offset cannot wrap.
    if (offset < data_start || offset > total_size || file_size > total_size - offset) {
      return Fail(Status::kEntryOutOfBounds, i);
    }
    if (offset < previous_end) {
      return Fail(Status::kOverlappingEntries, i);
    }
    previous_end = offset + file_size;
  }

  if (checksums) {
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* entry = EntryAt(base, i);
      const uint64_t offset = Load64(entry + kEntryOffsetOffset);
      const uint64_t file_size = Load64(entry + kEntrySizeOffset);
      if (Crc32(base + offset, static_cast<size_t>(file_size)) != Load32(entry + kEntryCrcOffset)) {
        return Fail(Status::kBadEntryChecksum, i);
      }
    }
  }

  base_ = base;
  total_size_ = total_size;
  count_ = count;
  failed_entry_ = kNoEntry;
  return Status::kOk;
}

File Image::At(uint32_t index) const {
  const uint8_t* entry = EntryAt(base_, index);
  const uint64_t offset = Load64(entry + kEntryOffsetOffset);
  File file;
  file.name = reinterpret_cast<const char*>(entry + kEntryNameOffset);
  file.name_length = Load16(entry + kEntryNameLengthOffset);
  file.data = base_ + offset;
  file.size = static_cast<size_t>(Load64(entry + kEntrySizeOffset));
  file.offset = offset;
  file.crc32 = Load32(entry + kEntryCrcOffset);
  return file;
}

bool Image::Find(const char* name, File* out) const {
  return Find(name, StringLength(name), out);
}

bool Image::Find(const char* name, size_t name_length, File* out) const {
  // Invariant: the name, if present, is at an index in [low, high).
  uint32_t low = 0;
  uint32_t high = count_;
  while (low < high) {
    const uint32_t middle = low + (high - low) / 2;
    const uint8_t* entry = EntryAt(base_, middle);
    const int order =
        CompareNames(name, name_length, reinterpret_cast<const char*>(entry + kEntryNameOffset),
                     Load16(entry + kEntryNameLengthOffset));
    if (order == 0) {
      *out = At(middle);
      return true;
    }
    if (order < 0) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return false;
}

bool Image::CheckFile(const File& file) const {
  return Crc32(file.data, file.size) == file.crc32;
}

}  // namespace bootfs
