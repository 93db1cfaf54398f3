// Host-side bootfs writer (docs/bootfs.md). Used by mkbootfs and the tests.

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bootfs {

class Writer {
 public:
  // Adds a file. Fails, with a message in *error, if the name breaks the
  // naming rules or is already present, or the archive would exceed
  // kMaxEntries files.
  bool Add(const std::string& name, std::vector<uint8_t> data, std::string* error);

  size_t count() const { return files_.size(); }

  // The image bytes: files in ascending name order, each page-aligned, the
  // image padded with zeros to a whole page, all checksums filled in. The
  // output depends only on the set of (name, data) pairs.
  std::vector<uint8_t> Build() const;

  // The text of the index file that `mkbootfs --index` adds: one line per
  // file, "<name> <size> <crc32 as 8 hex digits>", ascending by name.
  std::string IndexText() const;

 private:
  // std::map orders names byte-wise, as the directory must be.
  std::map<std::string, std::vector<uint8_t>> files_;
};

// Recomputes the image CRC and then the header CRC of a whole image in
// place (test helper for building deliberately malformed images). Requires
// image.size() >= kHeaderSize; covers [64, min(total_size, image.size())).
void Reseal(std::vector<uint8_t>* image);

void Store16(uint8_t* p, uint16_t value);
void Store32(uint8_t* p, uint32_t value);
void Store64(uint8_t* p, uint64_t value);

}  // namespace bootfs
