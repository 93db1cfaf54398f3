// Helpers shared by the FDT host tests and the fuzzer.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "devicetree/lib/fdt.h"

namespace fdt_test {

// A blob in a heap buffer of exactly its size, so that ASan reports any read
// past its end.
class ExactBuffer {
 public:
  ExactBuffer() = default;
  explicit ExactBuffer(const std::vector<uint8_t>& bytes);
  ExactBuffer(const uint8_t* data, size_t size);
  const uint8_t* data() const { return data_.get(); }
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

// Reads a whole file; fails the current test (and returns empty) on error.
std::vector<uint8_t> ReadFile(const std::string& path);

// The fixture directory baked in at build time (FIXTURE_DIR).
std::string FixtureDir();
// The fixture names listed in FIXTURE_DIR/index.txt.
std::vector<std::string> FixtureNames();
// Reads FIXTURE_DIR/<name>.
std::vector<uint8_t> ReadFixture(const std::string& name);

// Calls every accessor of `dt` on every node and property (and on forged
// handles around them). Used by the tests and by the fuzzer: it must never
// crash or read out of bounds, whatever the blob. Returns a checksum of what
// it saw so that the calls cannot be optimised away.
// `deep_nodes` bounds how many nodes (spread evenly over the tree) get the
// accessors that walk the whole structure block, to keep fuzzing fast on
// large blobs; every node gets the cheap ones.
uint64_t ExerciseAll(const fdt::Fdt& dt, uint32_t deep_nodes = UINT32_MAX);

// Same, plus forged node/property handles at every 4-byte offset of the
// structure block (and a few beyond).
uint64_t ExerciseForgedHandles(const fdt::Fdt& dt, uint32_t struct_size);

}  // namespace fdt_test
