#include "system/ulib/elf/test/image_util.h"

#include <gtest/gtest.h>
#include <string.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace elf_test {

Bytes ReadFixture(const std::string& name) {
  const std::string path = std::string(ELF_FIXTURE_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path << " (built by //system/ulib/elf:tests)";
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<ReadelfPhdr> Readelf::Phdrs(const std::string& type) const {
  std::vector<ReadelfPhdr> out;
  for (const ReadelfPhdr& p : phdrs) {
    if (p.type == type) {
      out.push_back(p);
    }
  }
  return out;
}

uint64_t Readelf::Symbol(const std::string& name) const {
  auto it = symbols.find(name);
  EXPECT_NE(it, symbols.end()) << "llvm-readelf shows no symbol " << name;
  return it == symbols.end() ? 0 : it->second;
}

namespace {
uint64_t Hex(const std::string& s) {
  return std::stoull(s, nullptr, 16);
}
}  // namespace

Readelf ReadExpectations(const std::string& name) {
  const std::string path = std::string(ELF_EXPECT_DIR) + "/" + name + ".expect";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing " << path << " (built by //system/ulib/elf:tests)";
  Readelf r;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string kind;
    f >> kind;
    if (kind == "type") {
      f >> r.type;
    } else if (kind == "entry") {
      std::string v;
      f >> v;
      r.entry = Hex(v);
    } else if (kind == "phdr") {
      std::string type, off, vaddr, filesz, memsz, flags, align;
      f >> type >> off >> vaddr >> filesz >> memsz >> flags >> align;
      uint32_t fl = 0;
      fl |= flags.find('R') != std::string::npos ? elf::kRead : 0;
      fl |= flags.find('W') != std::string::npos ? elf::kWrite : 0;
      fl |= flags.find('E') != std::string::npos ? elf::kExecute : 0;
      r.phdrs.push_back({type, Hex(off), Hex(vaddr), Hex(filesz), Hex(memsz), Hex(align), fl});
    } else if (kind == "dyn") {
      std::string tag, v;
      f >> tag >> v;
      r.dynamic[tag] = Hex(v);
    } else if (kind == "reloc") {
      std::string off, type, addend;
      f >> off >> type >> addend;
      r.relocs.push_back({Hex(off), type, Hex(addend)});
    } else if (kind == "sym") {
      std::string sym, v;
      f >> sym >> v;
      r.symbols[sym] = Hex(v);
    } else if (!kind.empty()) {
      ADD_FAILURE() << "unknown line in " << path << ": " << line;
    }
  }
  return r;
}

ExactBuffer::ExactBuffer(const Bytes& data, size_t size) : ExactBuffer(size) {
  const size_t n = size < data.size() ? size : data.size();
  if (n != 0) {
    memcpy(data_.get(), data.data(), n);
  }
}

elf::Status ValidateExact(const Bytes& bytes, elf::Plan* plan, elf::Error* error) {
  ExactBuffer buf(bytes);
  // An empty buffer is passed as a null pointer, as a caller holding no
  // data would.
  return elf::Validate(bytes.empty() ? nullptr : buf.data(), buf.size(), plan, error);
}

Bytes LoadSpan(const Bytes& image, const elf::Plan& plan) {
  Bytes span(plan.span_size, 0);
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    memcpy(span.data() + s.vaddr_offset, image.data() + s.file_offset, s.file_size);
  }
  return span;
}

uint64_t Get(const Bytes& b, size_t offset, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) {
    v = (v << 8) | b.at(offset + i);
  }
  return v;
}

void Put(Bytes& b, size_t offset, int width, uint64_t value) {
  for (int i = 0; i < width; ++i) {
    b.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
  }
}

size_t PhdrAt(const Bytes& image, int index) {
  return Get(image, kEPhoff, 8) + static_cast<size_t>(index) * elf::kPhdrSize;
}

int FindPhdr(const Bytes& image, uint32_t type, int n) {
  const int count = static_cast<int>(Get(image, kEPhnum, 2));
  for (int i = 0; i < count; ++i) {
    if (Get(image, PhdrAt(image, i) + kPType, 4) == type && n-- == 0) {
      return i;
    }
  }
  return -1;
}

size_t DynamicEntryAt(const Bytes& image, uint64_t tag) {
  const int dyn = FindPhdr(image, elf::kPtDynamic);
  EXPECT_GE(dyn, 0);
  const size_t off = Get(image, PhdrAt(image, dyn) + kPOffset, 8);
  const size_t size = Get(image, PhdrAt(image, dyn) + kPFilesz, 8);
  for (size_t at = off; at + elf::kDynSize <= off + size; at += elf::kDynSize) {
    if (Get(image, at, 8) == tag) {
      return at;
    }
  }
  ADD_FAILURE() << "no dynamic entry with tag " << tag;
  return 0;
}

size_t RelocationAt(const Bytes& image, int index) {
  // lld's PIEs map file offsets 1:1 to addresses in their first segment,
  // where the table lives.
  const uint64_t rela = Get(image, DynamicEntryAt(image, 7) + 8, 8);
  return rela + static_cast<size_t>(index) * elf::kRelaSize;
}

Bytes BuildImage(const std::vector<PhdrSpec>& phdrs, uint64_t entry, size_t size) {
  Bytes b(size, 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  memcpy(b.data(), ident, sizeof(ident));
  Put(b, kEType, 2, elf::kEtDyn);
  Put(b, kEMachine, 2, elf::kEmAarch64);
  Put(b, kEVersion, 4, 1);
  Put(b, kEEntry, 8, entry);
  Put(b, kEPhoff, 8, elf::kEhdrSize);
  Put(b, kEEhsize, 2, elf::kEhdrSize);
  Put(b, kEPhentsize, 2, elf::kPhdrSize);
  Put(b, kEPhnum, 2, phdrs.size());
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const size_t at = elf::kEhdrSize + i * elf::kPhdrSize;
    const PhdrSpec& p = phdrs[i];
    Put(b, at + kPType, 4, p.type);
    Put(b, at + kPFlags, 4, p.flags);
    Put(b, at + kPOffset, 8, p.offset);
    Put(b, at + kPVaddr, 8, p.vaddr);
    Put(b, at + kPFilesz, 8, p.filesz);
    Put(b, at + kPMemsz, 8, p.memsz);
    Put(b, at + kPAlign, 8, p.align);
  }
  return b;
}

std::string FormatErrorString(const elf::Error& error) {
  char buf[256];
  elf::FormatError(error, buf, sizeof(buf));
  return buf;
}

}  // namespace elf_test
