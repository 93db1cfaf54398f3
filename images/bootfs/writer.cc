// Host-side bootfs writer; see writer.h and docs/bootfs.md.

#include "images/bootfs/writer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "images/bootfs/bootfs.h"

namespace bootfs {

void Store16(uint8_t* p, uint16_t value) {
  p[0] = static_cast<uint8_t>(value);
  p[1] = static_cast<uint8_t>(value >> 8);
}

void Store32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

void Store64(uint8_t* p, uint64_t value) {
  Store32(p, static_cast<uint32_t>(value));
  Store32(p + 4, static_cast<uint32_t>(value >> 32));
}

bool Writer::Add(const std::string& name, std::vector<uint8_t> data, std::string* error) {
  if (!IsValidName(name.data(), name.size())) {
    *error = "invalid bootfs name '" + name + "' (1.." + std::to_string(kMaxNameLength) +
             " printable ASCII bytes, no space or backslash, '/'-separated, no empty, '.' or '..' "
             "components)";
    return false;
  }
  if (files_.count(name) != 0) {
    *error = "duplicate bootfs name '" + name + "'";
    return false;
  }
  if (files_.size() >= kMaxEntries) {
    *error = "too many files (at most " + std::to_string(kMaxEntries) + ")";
    return false;
  }
  files_.emplace(name, std::move(data));
  return true;
}

std::vector<uint8_t> Writer::Build() const {
  const uint64_t directory_size = files_.size() * kEntrySize;
  const uint64_t data_start = PageAlign(kHeaderSize + directory_size);

  // Layout: each file at the next page boundary after the previous one.
  uint64_t end = data_start;
  std::vector<uint64_t> offsets;
  for (const auto& [name, data] : files_) {
    offsets.push_back(end);
    end = PageAlign(end + data.size());
  }
  const uint64_t total_size = end;

  std::vector<uint8_t> image(total_size, 0);
  uint8_t* header = image.data();
  std::memcpy(header + kHeaderMagicOffset, kMagic, sizeof(kMagic));
  Store32(header + kHeaderVersionOffset, kVersion);
  Store32(header + kHeaderHeaderSizeOffset, kHeaderSize);
  Store32(header + kHeaderEntrySizeOffset, kEntrySize);
  Store32(header + kHeaderEntryCountOffset, static_cast<uint32_t>(files_.size()));
  Store64(header + kHeaderDirectorySizeOffset, directory_size);
  Store64(header + kHeaderTotalSizeOffset, total_size);

  size_t index = 0;
  for (const auto& [name, data] : files_) {
    uint8_t* entry = image.data() + kHeaderSize + index * kEntrySize;
    Store64(entry + kEntryOffsetOffset, offsets[index]);
    Store64(entry + kEntrySizeOffset, data.size());
    Store32(entry + kEntryCrcOffset, Crc32(data.data(), data.size()));
    Store16(entry + kEntryNameLengthOffset, static_cast<uint16_t>(name.size()));
    std::memcpy(entry + kEntryNameOffset, name.data(), name.size());
    std::copy(data.begin(), data.end(), image.begin() + static_cast<ptrdiff_t>(offsets[index]));
    ++index;
  }
  Reseal(&image);
  return image;
}

std::string Writer::IndexText() const {
  std::string text;
  for (const auto& [name, data] : files_) {
    char line[kMaxNameLength + 64];
    std::snprintf(line, sizeof(line), "%s %zu %08x\n", name.c_str(), data.size(),
                  Crc32(data.data(), data.size()));
    text += line;
  }
  return text;
}

void Reseal(std::vector<uint8_t>* image) {
  uint8_t* base = image->data();
  uint64_t end = 0;
  for (int i = 7; i >= 0; --i) {
    end = (end << 8) | base[kHeaderTotalSizeOffset + i];
  }
  end = std::min<uint64_t>(end, image->size());
  if (end < kHeaderSize) {
    end = kHeaderSize;
  }
  Store32(base + kHeaderImageCrcOffset, Crc32(base + kHeaderSize, end - kHeaderSize));
  Store32(base + kHeaderHeaderCrcOffset, Crc32(base, kHeaderHeaderCrcOffset));
}

}  // namespace bootfs
