// Reader for the Mica bootfs, the page-aligned archive that the boot loader
// hands to the kernel as the initial ramdisk. The on-disk format is specified
// in docs/bootfs.md; the constants below are that specification's numbers.
//
// Freestanding: this header and bootfs.cc use only <stddef.h> and <stdint.h>,
// allocate nothing and call no library function, so the same code runs in the
// kernel, in user space and in host tools and tests.
//
// Usage:
//   bootfs::Image image;
//   if (image.Open(buffer, buffer_size) != bootfs::Status::kOk) { ... }
//   bootfs::File file;
//   if (image.Find("config/boot.txt", &file)) { use(file.data, file.size); }
//   for (bootfs::File f : image) { ... }
//
// Open() validates everything before it reports success: every offset and size
// is bounds-checked against the buffer without integer overflow, the directory
// is sorted with unique, well-formed names, file data is page-aligned and does
// not overlap, and (unless asked not to) the header, image and per-file CRC-32
// checksums match. After a successful Open() no accessor can read outside
// [buffer, buffer + total_size()).

#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bootfs {

// --- Format constants (docs/bootfs.md, "Layout"). All integers little-endian.

inline constexpr uint8_t kMagic[8] = {'M', 'I', 'C', 'A', 'B', 'F', 'S', '\n'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint64_t kPageSize = 4096;

// Header: 64 bytes at offset 0.
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kHeaderMagicOffset = 0;           // uint8_t[8]
inline constexpr size_t kHeaderVersionOffset = 8;         // uint32_t
inline constexpr size_t kHeaderHeaderSizeOffset = 12;     // uint32_t, == kHeaderSize
inline constexpr size_t kHeaderEntrySizeOffset = 16;      // uint32_t, == kEntrySize
inline constexpr size_t kHeaderEntryCountOffset = 20;     // uint32_t
inline constexpr size_t kHeaderDirectorySizeOffset = 24;  // uint64_t, count * kEntrySize
inline constexpr size_t kHeaderTotalSizeOffset = 32;      // uint64_t, multiple of kPageSize
inline constexpr size_t kHeaderFlagsOffset = 40;          // uint32_t, must be 0
inline constexpr size_t kHeaderImageCrcOffset = 44;       // uint32_t, CRC-32 of [64, total)
inline constexpr size_t kHeaderReservedOffset = 48;       // 12 bytes, must be 0
inline constexpr size_t kHeaderReservedSize = 12;
inline constexpr size_t kHeaderHeaderCrcOffset = 60;  // uint32_t, CRC-32 of bytes [0, 60)

// Directory entry: 128 bytes each, immediately after the header.
inline constexpr size_t kEntrySize = 128;
inline constexpr size_t kEntryOffsetOffset = 0;       // uint64_t, from image start
inline constexpr size_t kEntrySizeOffset = 8;         // uint64_t, bytes of data
inline constexpr size_t kEntryCrcOffset = 16;         // uint32_t, CRC-32 of the data
inline constexpr size_t kEntryNameLengthOffset = 20;  // uint16_t, 1..kMaxNameLength
inline constexpr size_t kEntryFlagsOffset = 22;       // uint16_t, must be 0
inline constexpr size_t kEntryNameOffset = 24;        // char[kNameFieldSize], NUL-padded
inline constexpr size_t kNameFieldSize = 104;
// At least one NUL follows every name, so names are C strings in place.
inline constexpr size_t kMaxNameLength = kNameFieldSize - 1;

// An upper bound that keeps the directory (at most 8 MiB) far from any
// integer overflow on 32- and 64-bit machines.
inline constexpr uint32_t kMaxEntries = 65536;

// --- Results.

enum class Status : uint8_t {
  kOk = 0,
  kTooSmall,            // the buffer cannot hold a header
  kBadMagic,            // not a bootfs
  kBadVersion,          // a bootfs of a version this reader does not know
  kBadHeader,           // header_size, entry_size, flags or reserved bytes wrong
  kBadHeaderChecksum,   // header CRC-32 mismatch
  kBadDirectory,        // entry_count too large or directory_size inconsistent
  kBadTotalSize,        // total_size unaligned, below the directory or beyond the buffer
  kBadImageChecksum,    // CRC-32 of [64, total_size) mismatch
  kBadName,             // a name breaks the naming rules of docs/bootfs.md
  kUnsortedNames,       // names not strictly ascending (also catches duplicates)
  kBadEntryFlags,       // an entry's flags field is not 0
  kMisalignedEntry,     // data offset not a multiple of kPageSize
  kEntryOutOfBounds,    // data outside [data_start, total_size)
  kOverlappingEntries,  // data not ascending and disjoint in directory order
  kBadEntryChecksum,    // a file's CRC-32 mismatch
};

// A short, static, human-readable description of `status`.
const char* StatusString(Status status);

// How much Open() checks. kStructure skips the three CRC-32 computations
// (the bounds and layout checks, which make access safe, always run).
enum class Verify : uint8_t { kAll, kStructure };

// One file of an image. Every pointer points into the image buffer.
struct File {
  const char* name;    // NUL-terminated
  size_t name_length;  // bytes before the NUL
  const uint8_t* data;
  size_t size;
  uint64_t offset;  // of the data, from the start of the image
  uint32_t crc32;   // of the data, as recorded in the directory
};

inline constexpr uint32_t kNoEntry = 0xffffffffu;

class Image {
 public:
  constexpr Image() = default;

  // Validates the image at [data, data + size) (docs/bootfs.md, "Validation")
  // and, on success, makes it available through the accessors below; the
  // buffer must outlive this object and stay unchanged. `size` may exceed the
  // image's total_size (a loader may round it up). On failure the object is
  // empty (count() == 0) and failed_entry() names the offending directory
  // entry, if any.
  Status Open(const void* data, size_t size, Verify verify = Verify::kAll);

  bool valid() const { return base_ != nullptr; }
  uint32_t count() const { return count_; }
  uint64_t total_size() const { return total_size_; }
  uint32_t failed_entry() const { return failed_entry_; }

  // The file at directory position `index` (names ascend with the index).
  // Requires index < count().
  File At(uint32_t index) const;

  // Looks a file up by its exact name (binary search). Returns false, leaving
  // *out untouched, if there is no such file.
  bool Find(const char* name, File* out) const;
  bool Find(const char* name, size_t name_length, File* out) const;

  // Recomputes one file's CRC-32 and compares it with the directory.
  bool CheckFile(const File& file) const;

  class Iterator {
   public:
    constexpr Iterator(const Image* image, uint32_t index) : image_(image), index_(index) {}
    File operator*() const { return image_->At(index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }

   private:
    const Image* image_;
    uint32_t index_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, count_); }

 private:
  Status Fail(Status status, uint32_t entry);

  const uint8_t* base_ = nullptr;
  uint64_t total_size_ = 0;
  uint32_t count_ = 0;
  uint32_t failed_entry_ = kNoEntry;
};

// --- Helpers shared with the writer.

// CRC-32 as in ISO 3309 / ITU-T V.42 (the zlib and PNG CRC: reflected
// polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF). Chainable:
// Crc32(b, nb, Crc32(a, na)) == Crc32(a ++ b).
uint32_t Crc32(const void* data, size_t size, uint32_t crc = 0);

// On AArch64, makes Crc32 use the CRC32 instructions (FEAT_CRC32,
// ID_AA64ISAR0_EL1.CRC32 != 0) instead of the table: the same values, about
// 8 times fewer instructions. For a caller that knows the CPU has them (the
// kernel reads the ID register at boot); call it before any other thread
// runs. Elsewhere it does nothing.
void UseCrc32Instructions(bool on);

// True if `name` (not necessarily NUL-terminated) follows the naming rules:
// 1..kMaxNameLength bytes of printable ASCII other than space and backslash,
// '/'-separated components, none empty, "." or "..".
bool IsValidName(const char* name, size_t length);

// Byte-wise three-way comparison of two names, the directory's sort order.
int CompareNames(const char* a, size_t a_length, const char* b, size_t b_length);

// Rounds `value` up to a multiple of kPageSize. Requires value <= 2^64 - 4096.
constexpr uint64_t PageAlign(uint64_t value) {
  return (value + kPageSize - 1) & ~(kPageSize - 1);
}

}  // namespace bootfs
