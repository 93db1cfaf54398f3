// Helpers for the ELF library's host tests: fixture files, llvm-readelf's
// view of them (scripts/readelf_expect.py), exactly-sized buffers, loading a
// span and patching ELF structures.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "system/ulib/elf/elf.h"

namespace elf_test {

using Bytes = std::vector<uint8_t>;

// The bytes of a fixture (ELF_FIXTURE_DIR/<name>); fails the test if absent.
Bytes ReadFixture(const std::string& name);

// llvm-readelf's view of a fixture, from ELF_EXPECT_DIR/<name>.expect.
struct ReadelfPhdr {
  std::string type;
  uint64_t offset, vaddr, filesz, memsz, align;
  uint32_t flags;  // elf::kRead | kWrite | kExecute
};
struct ReadelfReloc {
  uint64_t offset;
  std::string type;
  uint64_t addend;
};
struct Readelf {
  std::string type;
  uint64_t entry = 0;
  std::vector<ReadelfPhdr> phdrs;
  std::map<std::string, uint64_t> dynamic;
  std::vector<ReadelfReloc> relocs;
  std::map<std::string, uint64_t> symbols;

  // The program headers of one type, in file order.
  std::vector<ReadelfPhdr> Phdrs(const std::string& type) const;
  uint64_t Symbol(const std::string& name) const;  // fails the test if absent
};
Readelf ReadExpectations(const std::string& name);

// A heap buffer of exactly `size` bytes (ASan reports any access past it),
// optionally a copy of `data`.
class ExactBuffer {
 public:
  explicit ExactBuffer(size_t size) : size_(size), data_(new uint8_t[size == 0 ? 1 : size]()) {}
  explicit ExactBuffer(const Bytes& data, size_t size);
  explicit ExactBuffer(const Bytes& data) : ExactBuffer(data, data.size()) {}
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }
  Bytes ToBytes() const { return Bytes(data_.get(), data_.get() + size_); }

 private:
  size_t size_;
  std::unique_ptr<uint8_t[]> data_;
};

// Validates `bytes` from an exactly-sized copy.
elf::Status ValidateExact(const Bytes& bytes, elf::Plan* plan, elf::Error* error = nullptr);

// Builds the span as a loader would: zeroes, then each segment's file bytes.
Bytes LoadSpan(const Bytes& image, const elf::Plan& plan);

// Little-endian field access.
uint64_t Get(const Bytes& b, size_t offset, int width);
void Put(Bytes& b, size_t offset, int width, uint64_t value);

// Offsets in an image: ELF header fields, program header `index`'s fields,
// the dynamic entry with `tag` (its tag word), relocation `index`.
inline constexpr size_t kEType = 16, kEMachine = 18, kEVersion = 20, kEEntry = 24, kEPhoff = 32,
                        kEEhsize = 52, kEPhentsize = 54, kEPhnum = 56;
inline constexpr size_t kPType = 0, kPFlags = 4, kPOffset = 8, kPVaddr = 16, kPFilesz = 32,
                        kPMemsz = 40, kPAlign = 48;
size_t PhdrAt(const Bytes& image, int index);
// Index of the n-th (0-based) program header of `type`, or -1.
int FindPhdr(const Bytes& image, uint32_t type, int n = 0);
size_t DynamicEntryAt(const Bytes& image, uint64_t tag);
size_t RelocationAt(const Bytes& image, int index);

// A minimal synthetic ET_DYN image: the ELF header, the program headers
// given (file offsets and sizes as given), padded with zeroes to `size`.
struct PhdrSpec {
  uint32_t type, flags;
  uint64_t offset, vaddr, filesz, memsz, align;
};
Bytes BuildImage(const std::vector<PhdrSpec>& phdrs, uint64_t entry, size_t size);

std::string FormatErrorString(const elf::Error& error);

}  // namespace elf_test
