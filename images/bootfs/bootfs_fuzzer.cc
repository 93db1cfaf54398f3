// libFuzzer target for the bootfs reader: any input either fails to open or
// yields files that lie inside it. Run: out/fuzzers/bootfs_fuzzer.
//
// Each input is tried twice: as a raw image, and as a recipe that reaches
// past the magic and checksums without a seed corpus: the first byte picks a
// number of files, the next bytes become their contents, the image is built
// by the writer, the rest of the input overwrites bytes of it as
// (position, value) pairs, and the checksums are recomputed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "images/bootfs/bootfs.h"
#include "images/bootfs/writer.h"

namespace {

void Check(const std::vector<uint8_t>& bytes) {
  // An exactly-sized copy, so ASan catches a read past the end.
  const size_t size = bytes.size();
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size]);
  if (size != 0) {
    std::memcpy(copy.get(), bytes.data(), size);
  }
  for (bootfs::Verify verify : {bootfs::Verify::kAll, bootfs::Verify::kStructure}) {
    bootfs::Image image;
    if (image.Open(copy.get(), size, verify) != bootfs::Status::kOk) {
      continue;
    }
    for (const bootfs::File file : image) {
      if (file.offset + file.size > image.total_size() || image.total_size() > size) {
        std::abort();
      }
      // Reads every byte; a fully verified image has no bad file.
      if (!image.CheckFile(file) && verify == bootfs::Verify::kAll) {
        std::abort();
      }
      bootfs::File found;
      if (!image.Find(file.name, file.name_length, &found) || found.data != file.data) {
        std::abort();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Check(std::vector<uint8_t>(data, data + size));
  if (size == 0) {
    return 0;
  }

  const size_t files = data[0] % 5;
  size_t at = 1;
  bootfs::Writer writer;
  std::string error;
  for (size_t i = 0; i < files; ++i) {
    const size_t length = at < size ? data[at++] * 40u : 0;
    const size_t take = std::min(length, size - at);
    writer.Add("f" + std::to_string(i), std::vector<uint8_t>(data + at, data + at + take), &error);
    at += take;
  }
  std::vector<uint8_t> image = writer.Build();
  for (; at + 3 <= size; at += 3) {
    const size_t position = (data[at] | (data[at + 1] << 8)) % image.size();
    image[position] = data[at + 2];
  }
  bootfs::Reseal(&image);
  Check(image);
  return 0;
}
