// Builds small devicetree blobs for the unit and malformed-blob tests with
// libfdt's sequential-write API (an independent writer: the blobs are not
// produced by the code under test).
#pragma once

#include <stdint.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace fdt_test {

class BlobBuilder {
 public:
  BlobBuilder();
  // Adds a /memreserve/ entry; only before the first node.
  BlobBuilder& Reserve(uint64_t address, uint64_t size);
  BlobBuilder& Begin(const std::string& name);
  BlobBuilder& End();
  BlobBuilder& Prop(const std::string& name, const std::vector<uint8_t>& value);
  BlobBuilder& Empty(const std::string& name) { return Prop(name, {}); }
  BlobBuilder& Cells(const std::string& name, std::initializer_list<uint32_t> cells);
  BlobBuilder& U64(const std::string& name, uint64_t value);
  BlobBuilder& Str(const std::string& name, const std::string& value);
  BlobBuilder& Strs(const std::string& name, std::initializer_list<std::string> values);
  // Ends every open node and returns the finished blob (totalsize bytes).
  std::vector<uint8_t> Finish();

 private:
  void EnsureStarted();
  std::vector<uint8_t> buf_;
  bool started_ = false;
  int open_ = 0;
};

// Big-endian helpers for patching blobs.
uint32_t GetBe32(const std::vector<uint8_t>& b, size_t off);
void SetBe32(std::vector<uint8_t>& b, size_t off, uint32_t v);

// A small but complete tree: memreserve entries, aliases, chosen, nested
// buses with ranges, phandles, interrupts and interrupts-extended.
std::vector<uint8_t> SampleBlob();

}  // namespace fdt_test
