#include "devicetree/tests/blob_builder.h"

#include <stdlib.h>

extern "C" {
#include <libfdt.h>
}

namespace fdt_test {

namespace {
void Check(int err, const char* what) {
  if (err < 0) {
    // Builder misuse is a bug in the test itself.
    fprintf(stderr, "BlobBuilder: %s: %s\n", what, fdt_strerror(err));
    abort();
  }
}
}  // namespace

BlobBuilder::BlobBuilder() : buf_(1 << 20) {
  Check(fdt_create(buf_.data(), buf_.size()), "create");
}

BlobBuilder& BlobBuilder::Reserve(uint64_t address, uint64_t size) {
  Check(fdt_add_reservemap_entry(buf_.data(), address, size), "reserve");
  return *this;
}

void BlobBuilder::EnsureStarted() {
  if (!started_) {
    Check(fdt_finish_reservemap(buf_.data()), "finish_reservemap");
    started_ = true;
  }
}

BlobBuilder& BlobBuilder::Begin(const std::string& name) {
  EnsureStarted();
  Check(fdt_begin_node(buf_.data(), name.c_str()), "begin_node");
  ++open_;
  return *this;
}

BlobBuilder& BlobBuilder::End() {
  Check(fdt_end_node(buf_.data()), "end_node");
  --open_;
  return *this;
}

BlobBuilder& BlobBuilder::Prop(const std::string& name, const std::vector<uint8_t>& value) {
  Check(fdt_property(buf_.data(), name.c_str(), value.data(), static_cast<int>(value.size())),
        "property");
  return *this;
}

BlobBuilder& BlobBuilder::Cells(const std::string& name, std::initializer_list<uint32_t> cells) {
  std::vector<uint8_t> v;
  for (uint32_t c : cells) {
    v.push_back(static_cast<uint8_t>(c >> 24));
    v.push_back(static_cast<uint8_t>(c >> 16));
    v.push_back(static_cast<uint8_t>(c >> 8));
    v.push_back(static_cast<uint8_t>(c));
  }
  return Prop(name, v);
}

BlobBuilder& BlobBuilder::U64(const std::string& name, uint64_t value) {
  return Cells(name, {static_cast<uint32_t>(value >> 32), static_cast<uint32_t>(value)});
}

BlobBuilder& BlobBuilder::Str(const std::string& name, const std::string& value) {
  std::vector<uint8_t> v(value.begin(), value.end());
  v.push_back(0);
  return Prop(name, v);
}

BlobBuilder& BlobBuilder::Strs(const std::string& name, std::initializer_list<std::string> values) {
  std::vector<uint8_t> v;
  for (const std::string& s : values) {
    v.insert(v.end(), s.begin(), s.end());
    v.push_back(0);
  }
  return Prop(name, v);
}

std::vector<uint8_t> BlobBuilder::Finish() {
  EnsureStarted();
  while (open_ > 0) {
    End();
  }
  Check(fdt_finish(buf_.data()), "finish");
  std::vector<uint8_t> out(buf_.begin(), buf_.begin() + fdt_totalsize(buf_.data()));
  return out;
}

uint32_t GetBe32(const std::vector<uint8_t>& b, size_t off) {
  return (static_cast<uint32_t>(b[off]) << 24) | (static_cast<uint32_t>(b[off + 1]) << 16) |
         (static_cast<uint32_t>(b[off + 2]) << 8) | b[off + 3];
}

void SetBe32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  b[off] = static_cast<uint8_t>(v >> 24);
  b[off + 1] = static_cast<uint8_t>(v >> 16);
  b[off + 2] = static_cast<uint8_t>(v >> 8);
  b[off + 3] = static_cast<uint8_t>(v);
}

std::vector<uint8_t> SampleBlob() {
  BlobBuilder b;
  b.Reserve(0x0, 0x1000).Reserve(0x80000000ull, 0x200000);
  b.Begin("")
      .Cells("#address-cells", {2})
      .Cells("#size-cells", {2})
      .Strs("compatible", {"mica,sample", "mica,generic"})
      .Str("model", "Mica sample")
      .Cells("interrupt-parent", {1});
  b.Begin("aliases").Str("serial0", "/soc/uart@1000").Str("bus", "/soc/bus@80000").End();
  b.Begin("chosen")
      .Str("bootargs", "console=serial0 quiet")
      .Str("stdout-path", "serial0:115200n8")
      .U64("linux,initrd-start", 0x48000000)
      .U64("linux,initrd-end", 0x48100000)
      .End();
  b.Begin("memory@40000000")
      .Str("device_type", "memory")
      .Cells("reg", {0, 0x40000000, 0, 0x20000000})
      .End();
  b.Begin("intc@8000000")
      .Strs("compatible", {"arm,cortex-a15-gic"})
      .Cells("#interrupt-cells", {3})
      .Empty("interrupt-controller")
      .Cells("reg", {0, 0x08000000, 0, 0x10000})
      .Cells("phandle", {1})
      .End();
  b.Begin("soc")
      .Str("compatible", "simple-bus")
      .Cells("#address-cells", {1})
      .Cells("#size-cells", {1})
      .Cells("ranges", {0x0, 0x0, 0xfe000000, 0x01800000});
  b.Begin("uart@1000")
      .Strs("compatible", {"arm,pl011", "arm,primecell"})
      .Cells("reg", {0x1000, 0x100})
      .Cells("interrupts", {0, 5, 4})
      .Str("status", "okay")
      .End();
  b.Begin("uart@2000")
      .Strs("compatible", {"arm,pl011", "arm,primecell"})
      .Cells("reg", {0x2000, 0x100})
      .Str("status", "disabled")
      .End();
  b.Begin("gpio@3000")
      .Str("compatible", "mica,gpio")
      .Cells("reg", {0x3000, 0x100})
      .Cells("#interrupt-cells", {2})
      .Empty("interrupt-controller")
      .Cells("linux,phandle", {2})
      .End();
  b.Begin("bus@80000")
      .Cells("#address-cells", {2})
      .Cells("#size-cells", {1})
      .Cells("ranges", {0x1, 0x0, 0x80000, 0x10000});
  b.Begin("dev@1,40")
      .Cells("reg", {0x1, 0x40, 0x20})
      .Cells("interrupts-extended", {1, 0, 7, 4, 2, 12, 8})
      .End();
  b.End();  // bus
  b.Begin("nobus").Cells("#address-cells", {1}).Cells("#size-cells", {1});
  b.Begin("dev@10").Cells("reg", {0x10, 0x4}).End();
  b.End();  // nobus
  b.End();  // soc
  return b.Finish();
}

}  // namespace fdt_test
