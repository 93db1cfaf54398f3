// Unit tests of the API on small hand-built trees: address translation,
// aliases and paths, /chosen, interrupts, properties.
#include <gtest/gtest.h>
#include <string.h>

#include <string>
#include <vector>

#include "devicetree/lib/fdt.h"
#include "devicetree/tests/blob_builder.h"
#include "devicetree/tests/test_util.h"

namespace fdt_test {
namespace {

using fdt::Status;

// Owns an exact copy of a blob and its initialised Fdt.
class Tree {
 public:
  explicit Tree(const std::vector<uint8_t>& bytes) : buf_(bytes) {
    const Status st = fdt::Init(buf_.data(), buf_.size(), &dt_);
    char msg[160];
    dt_.FormatError(msg, sizeof(msg));
    EXPECT_EQ(st, Status::kOk) << msg;
  }
  const fdt::Fdt& dt() const { return dt_; }
  const fdt::Fdt* operator->() const { return &dt_; }
  fdt::Node operator[](const char* path) const {
    const fdt::Node n = dt_.FindNode(path);
    EXPECT_TRUE(n.valid()) << path;
    return n;
  }

 private:
  ExactBuffer buf_;
  fdt::Fdt dt_;
};

std::string Str(const fdt::StringRef& s) {
  return std::string(s.data, s.size);
}

std::string Path(const Tree& t, fdt::Node n) {
  char buf[256];
  EXPECT_EQ(t->GetPath(n, buf, sizeof(buf)), Status::kOk);
  return buf;
}

// --- Address translation ----------------------------------------------------

// Three bus levels with changing cell sizes:
//   / (2,2) -> soc (1,1, ranges 0x0 -> 0xfe000000) -> bus@80000 (2,1, ranges
//   <1 0> -> 0x80000) -> dev@1,40 at <1 0x40>: CPU 0xfe000000 + 0x80000 + 0x40.
TEST(Translate, MultiLevelWithCellSizeChanges) {
  Tree t(SampleBlob());
  const fdt::Node dev = t["/soc/bus@80000/dev@1,40"];
  uint64_t a = 0, s = 0;
  ASSERT_EQ(t->Reg(dev, 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x100000040u);  // <1 0x40> in the 2-cell bus space
  EXPECT_EQ(s, 0x20u);
  ASSERT_EQ(t->RegTranslated(dev, 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0xfe080040u);
  EXPECT_EQ(s, 0x20u);
  uint64_t cpu = 0;
  EXPECT_EQ(t->TranslateAddress(dev, 0x1000000ffull, &cpu), Status::kOk);
  EXPECT_EQ(cpu, 0xfe0800ffu);
  // Outside the bus window (size 0x10000), and a different high cell.
  EXPECT_EQ(t->TranslateAddress(dev, 0x100010000ull, &cpu), Status::kNotFound);
  EXPECT_EQ(t->TranslateAddress(dev, 0x200000040ull, &cpu), Status::kNotFound);
  const uint32_t cells[2] = {1, 0x80};
  EXPECT_EQ(t->TranslateCells(dev, cells, 2, &cpu), Status::kOk);
  EXPECT_EQ(cpu, 0xfe080080u);
  EXPECT_EQ(t->TranslateCells(dev, cells, 1, &cpu), Status::kBadValue);  // wrong cell count

  const fdt::Node uart = t["/soc/uart@1000"];
  ASSERT_EQ(t->RegTranslated(uart, 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0xfe001000u);
  // Past the end of soc's single range (0x01800000 bytes).
  EXPECT_EQ(t->TranslateAddress(uart, 0x01800000, &cpu), Status::kNotFound);
  EXPECT_EQ(t->TranslateAddress(uart, 0x017fffff, &cpu), Status::kOk);
  EXPECT_EQ(cpu, 0xff7fffffu);
  // A 1-cell space cannot hold a 64-bit address.
  EXPECT_EQ(t->TranslateAddress(uart, 0x100000000ull, &cpu), Status::kBadValue);
}

TEST(Translate, MissingRangesIsNotTranslatable) {
  Tree t(SampleBlob());
  const fdt::Node dev = t["/soc/nobus/dev@10"];
  uint64_t a = 0, s = 0;
  ASSERT_EQ(t->Reg(dev, 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x10u);
  EXPECT_EQ(t->RegTranslated(dev, 0, &a, &s), Status::kNoTranslation);
}

TEST(Translate, RootChildrenAreCpuAddresses) {
  Tree t(SampleBlob());
  uint64_t a = 0, s = 0;
  ASSERT_EQ(t->RegTranslated(t["/memory"], 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x40000000u);
  EXPECT_EQ(s, 0x20000000u);
  // The root itself has no parent address space.
  uint64_t cpu = 0;
  EXPECT_EQ(t->TranslateAddress(t->Root(), 0, &cpu), Status::kNotFound);
  EXPECT_EQ(t->RegCount(t->Root(), nullptr), Status::kNotFound);
}

std::vector<uint8_t> RangesBlob() {
  BlobBuilder b;
  b.Begin("").Cells("#address-cells", {2}).Cells("#size-cells", {2});
  // Empty ranges: identity, with a cell-size change 1 -> 2.
  b.Begin("identity").Cells("#address-cells", {1}).Cells("#size-cells", {1}).Empty("ranges");
  b.Begin("dev@10000000").Cells("reg", {0x10000000, 0x1000}).End();
  // Nested identity then a real window.
  b.Begin("sub")
      .Cells("#address-cells", {1})
      .Cells("#size-cells", {1})
      .Cells("ranges", {0x0, 0x20000000, 0x100, 0x100, 0x30000000, 0x100});
  b.Begin("dev@0").Cells("reg", {0x10, 0x4}).End();
  b.Begin("dev@100").Cells("reg", {0x100, 0x4, 0x180, 0x4}).End();
  b.End();  // sub
  b.End();  // identity
  // 2 -> 1 -> 2 cells with a window above 4 GiB on the top level.
  b.Begin("high")
      .Cells("#address-cells", {1})
      .Cells("#size-cells", {1})
      .Cells("ranges", {0x0, 0x4, 0x0, 0x80000000});
  b.Begin("dev@1000").Cells("reg", {0x1000, 0x10}).End();
  b.End();
  // A PCI host bridge: 3 address cells, space code in phys.hi.
  b.Begin("pcie@40000000")
      .Str("device_type", "pci")
      .Cells("#address-cells", {3})
      .Cells("#size-cells", {2})
      .Cells("ranges", {0x01000000, 0, 0, /*->*/ 0, 0x3eff0000, /*size*/ 0, 0x10000,      // I/O
                        0x02000000, 0, 0x10000000, /*->*/ 0, 0x10000000, 0, 0x2eff0000})  // MEM32
      .Cells("reg", {0, 0x40000000, 0, 0x1000});
  b.Begin("dev@1,0").Cells("reg", {0x00000800, 0, 0, 0, 0}).End();
  b.End();
  return b.Finish();
}

TEST(Translate, EmptyRangesIsIdentity) {
  Tree t(RangesBlob());
  uint64_t a = 0, s = 0;
  ASSERT_EQ(t->RegTranslated(t["/identity/dev@10000000"], 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x10000000u);
  EXPECT_EQ(s, 0x1000u);
  ASSERT_EQ(t->RegTranslated(t["/identity/sub/dev@0"], 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x20000010u);
  ASSERT_EQ(t->RegTranslated(t["/identity/sub/dev@100"], 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x30000000u);  // second range entry
  ASSERT_EQ(t->RegTranslated(t["/identity/sub/dev@100"], 1, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x30000080u);
  EXPECT_EQ(t->RegTranslated(t["/identity/sub/dev@100"], 2, &a, &s), Status::kOutOfRange);
  uint32_t count = 0;
  ASSERT_EQ(t->RegCount(t["/identity/sub/dev@100"], &count), Status::kOk);
  EXPECT_EQ(count, 2u);
}

TEST(Translate, IntoAbove4GiB) {
  Tree t(RangesBlob());
  uint64_t a = 0, s = 0;
  ASSERT_EQ(t->RegTranslated(t["/high/dev@1000"], 0, &a, &s), Status::kOk);
  EXPECT_EQ(a, 0x400001000u);
}

TEST(Translate, PciSpaceCodes) {
  Tree t(RangesBlob());
  const fdt::Node dev = t["/pcie@40000000/dev@1,0"];
  // reg has 3 address cells: Reg() does not decode it, RegCount does.
  uint32_t count = 0;
  ASSERT_EQ(t->RegCount(dev, &count), Status::kOk);
  EXPECT_EQ(count, 1u);
  uint64_t a = 0, s = 0;
  EXPECT_EQ(t->Reg(dev, 0, &a, &s), Status::kUnsupported);
  // A 32-bit memory BAR address of bus 0, device 1: phys.hi carries the
  // device number, which does not take part in range matching.
  const uint32_t mem[3] = {0x02000800, 0, 0x10001000};
  uint64_t cpu = 0;
  ASSERT_EQ(t->TranslateCells(dev, mem, 3, &cpu), Status::kOk);
  EXPECT_EQ(cpu, 0x10001000u);
  const uint32_t io[3] = {0x01000800, 0, 0x20};
  ASSERT_EQ(t->TranslateCells(dev, io, 3, &cpu), Status::kOk);
  EXPECT_EQ(cpu, 0x3eff0020u);
  // 64-bit memory space (code 3) is not mapped by any range.
  const uint32_t mem64[3] = {0x03000800, 0, 0x10001000};
  EXPECT_EQ(t->TranslateCells(dev, mem64, 3, &cpu), Status::kNotFound);
}

TEST(Cells, DefaultsAndValues) {
  Tree t(RangesBlob());
  EXPECT_EQ(t->AddressCells(t["/identity"]), 1u);
  EXPECT_EQ(t->SizeCells(t["/pcie@40000000"]), 2u);
  // #address-cells / #size-cells are not inherited: defaults 2 and 1.
  EXPECT_EQ(t->AddressCells(t["/identity/dev@10000000"]), 2u);
  EXPECT_EQ(t->SizeCells(t["/identity/dev@10000000"]), 1u);
}

// --- Paths, aliases, names --------------------------------------------------

TEST(Paths, FindNodeRules) {
  Tree t(SampleBlob());
  const fdt::Node uart = t["/soc/uart@1000"];
  EXPECT_EQ(t->FindNode("/soc/uart"), uart);  // first node named uart@...
  EXPECT_EQ(t->FindNode("//soc//uart@1000/"), uart);
  EXPECT_FALSE(t->FindNode("/soc/uart@3000").valid());
  EXPECT_FALSE(t->FindNode("/soc/uar").valid());
  EXPECT_FALSE(t->FindNode("/soc/uart@1000/x").valid());
  EXPECT_EQ(t->FindNode("/"), t->Root());
  EXPECT_EQ(t->FindNode("/soc/bus/dev"), t["/soc/bus@80000/dev@1,40"]);
  EXPECT_FALSE(t->FindNode("").valid());
  EXPECT_FALSE(t->FindNode(nullptr).valid());
  EXPECT_EQ(t->FindNode("/soc/uart@1000trailing", 14), uart);  // length-limited
  EXPECT_STREQ(t->Name(uart), "uart@1000");
  EXPECT_STREQ(t->Name(t->Root()), "");
  EXPECT_EQ(Path(t, uart), "/soc/uart@1000");
  EXPECT_EQ(Path(t, t->Root()), "/");
  EXPECT_EQ(t->Depth(uart), 2);
  EXPECT_EQ(t->Parent(uart), t["/soc"]);
  EXPECT_FALSE(t->Parent(t->Root()).valid());
  EXPECT_EQ(t->FindChild(t["/soc"], "gpio"), t["/soc/gpio@3000"]);
}

TEST(Paths, GetPathBufferTooSmall) {
  Tree t(SampleBlob());
  const fdt::Node uart = t["/soc/uart@1000"];
  char buf[8];
  size_t len = 0;
  EXPECT_EQ(t->GetPath(uart, buf, sizeof(buf), &len), Status::kBufferTooSmall);
  EXPECT_EQ(len, strlen("/soc/uart@1000"));
  EXPECT_STREQ(buf, "/soc/ua");
  char exact[15];
  EXPECT_EQ(t->GetPath(uart, exact, sizeof(exact)), Status::kOk);
  EXPECT_EQ(t->GetPath(uart, exact, 14), Status::kBufferTooSmall);
  EXPECT_EQ(t->GetPath(fdt::Node{}, exact, sizeof(exact)), Status::kNotFound);
}

TEST(Aliases, ResolveWithAndWithoutRest) {
  Tree t(SampleBlob());
  EXPECT_STREQ(t->GetAlias("serial0"), "/soc/uart@1000");
  EXPECT_EQ(t->FindNode("serial0"), t["/soc/uart@1000"]);
  EXPECT_EQ(t->FindNode("bus/dev@1,40"), t["/soc/bus@80000/dev@1,40"]);
  EXPECT_EQ(t->FindNode("bus/dev"), t["/soc/bus@80000/dev@1,40"]);
  EXPECT_FALSE(t->FindNode("bus/nothing").valid());
  EXPECT_FALSE(t->FindNode("serial1").valid());
  EXPECT_EQ(t->GetAlias("serial1"), nullptr);
  EXPECT_EQ(t->GetAlias("seri"), nullptr);
}

TEST(Aliases, MalformedAliasValues) {
  BlobBuilder b;
  b.Begin("");
  b.Begin("aliases")
      .Str("rel", "soc/uart")        // not absolute
      .Str("loop", "loop")           // would recurse
      .Prop("bad", {'/', 's', 'o'})  // not NUL-terminated
      .Str("ok", "/x")
      .End();
  b.Begin("x").End();
  Tree t(b.Finish());
  EXPECT_FALSE(t->FindNode("rel").valid());
  EXPECT_FALSE(t->FindNode("loop").valid());
  EXPECT_FALSE(t->FindNode("bad").valid());
  EXPECT_EQ(t->FindNode("ok"), t["/x"]);
}

TEST(Phandles, PhandleAndLinuxPhandle) {
  Tree t(SampleBlob());
  EXPECT_EQ(t->FindByPhandle(1), t["/intc@8000000"]);
  EXPECT_EQ(t->FindByPhandle(2), t["/soc/gpio@3000"]);  // linux,phandle
  EXPECT_EQ(t->Phandle(t["/soc/gpio@3000"]), 2u);
  EXPECT_FALSE(t->FindByPhandle(0).valid());
  EXPECT_FALSE(t->FindByPhandle(0xffffffff).valid());
  EXPECT_FALSE(t->FindByPhandle(3).valid());
  EXPECT_EQ(t->Phandle(t["/soc"]), 0u);
}

// --- Properties -----------------------------------------------------------

TEST(Properties, ValuesAndStringLists) {
  Tree t(SampleBlob());
  const fdt::Node root = t->Root();
  const fdt::Property compat = t->FindProperty(root, "compatible");
  ASSERT_TRUE(compat.valid());
  EXPECT_EQ(compat.StringCount(), 2u);
  const char* s = nullptr;
  ASSERT_TRUE(compat.StringAt(1, &s));
  EXPECT_STREQ(s, "mica,generic");
  EXPECT_FALSE(compat.StringAt(2, &s));
  EXPECT_EQ(compat.StringIndex("mica,generic"), 1);
  EXPECT_EQ(compat.StringIndex("mica"), -1);
  EXPECT_FALSE(compat.GetString(&s));  // two strings, not one
  std::vector<std::string> all;
  for (const char* str : fdt::StringList(compat))
    all.push_back(str);
  EXPECT_EQ(all, (std::vector<std::string>{"mica,sample", "mica,generic"}));
  EXPECT_EQ(t->CompatibleIndex(root, "mica,generic"), 1);
  EXPECT_TRUE(t->IsCompatible(root, "mica,sample"));
  EXPECT_FALSE(t->IsCompatible(root, "mica,sampl"));

  const char* model = nullptr;
  ASSERT_EQ(t->GetString(root, "model", &model), Status::kOk);
  EXPECT_STREQ(model, "Mica sample");
  EXPECT_EQ(t->GetString(root, "nope", &model), Status::kNotFound);
  uint32_t v = 0;
  ASSERT_EQ(t->GetU32(root, "#address-cells", &v), Status::kOk);
  EXPECT_EQ(v, 2u);
  EXPECT_EQ(t->GetU32(root, "model", &v), Status::kBadValue);

  const fdt::Property reg = t->FindProperty(t["/memory"], "reg");
  uint64_t x = 0;
  ASSERT_TRUE(reg.ReadU64(0, &x));
  EXPECT_EQ(x, 0x40000000u);
  ASSERT_TRUE(reg.ReadCells(2, 2, &x));
  EXPECT_EQ(x, 0x20000000u);
  ASSERT_TRUE(reg.ReadCells(1, 1, &x));
  EXPECT_EQ(x, 0x40000000u);
  ASSERT_TRUE(reg.ReadCells(4, 0, &x));
  EXPECT_EQ(x, 0u);
  EXPECT_FALSE(reg.ReadCells(3, 2, &x));
  EXPECT_FALSE(reg.ReadCells(0, 3, &x));
  EXPECT_FALSE(reg.ReadU32(4, &v));
  EXPECT_EQ(reg.CellCount(), 4u);

  // Iteration sees every property once, in order.
  std::vector<std::string> names;
  for (fdt::Property p = t->FirstProperty(root); p.valid(); p = t->NextProperty(p)) {
    names.push_back(p.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"#address-cells", "#size-cells", "compatible", "model",
                                             "interrupt-parent"}));
}

TEST(Properties, EmptyAndMalformedStrings) {
  BlobBuilder b;
  b.Begin("")
      .Empty("empty")
      .Prop("unterminated", {'a', 'b'})
      .Prop("embedded", {'a', 0, 'b', 0})
      .Prop("emptystrs", {0, 0, 'x', 0})
      .Str("status", "ok");
  b.Begin("a").Str("status", "okay").End();
  b.Begin("b").Str("status", "disabled").End();
  b.Begin("c").Prop("status", {'o', 'k'}).End();
  b.Begin("d").Str("status", "fail").End();
  Tree t(b.Finish());
  const fdt::Node r = t->Root();
  const char* s = nullptr;
  const fdt::Property empty = t->FindProperty(r, "empty");
  ASSERT_TRUE(empty.valid());
  EXPECT_EQ(empty.len, 0u);
  EXPECT_FALSE(empty.GetString(&s));
  EXPECT_EQ(empty.StringCount(), 0u);
  EXPECT_EQ(t->FindProperty(r, "unterminated").StringCount(), 0u);
  EXPECT_EQ(t->GetString(r, "unterminated", &s), Status::kBadValue);
  EXPECT_EQ(t->GetString(r, "embedded", &s), Status::kBadValue);
  EXPECT_EQ(t->FindProperty(r, "embedded").StringCount(), 2u);
  EXPECT_EQ(t->FindProperty(r, "emptystrs").StringCount(), 3u);
  EXPECT_EQ(t->FindProperty(r, "emptystrs").StringIndex("x"), 2);
  EXPECT_TRUE(t->IsEnabled(r));
  EXPECT_TRUE(t->IsEnabled(t["/a"]));
  EXPECT_FALSE(t->IsEnabled(t["/b"]));
  EXPECT_FALSE(t->IsEnabled(t["/c"]));
  EXPECT_FALSE(t->IsEnabled(t["/d"]));
  EXPECT_FALSE(t->IsEnabled(fdt::Node{}));
}

// --- /chosen ----------------------------------------------------------------

TEST(Chosen, BootargsStdoutInitrd64) {
  Tree t(SampleBlob());
  const char* args = nullptr;
  ASSERT_EQ(t->Bootargs(&args), Status::kOk);
  EXPECT_STREQ(args, "console=serial0 quiet");
  fdt::StdoutPath sp;
  ASSERT_EQ(t->GetStdoutPath(&sp), Status::kOk);
  EXPECT_EQ(Str(sp.path), "serial0");
  EXPECT_EQ(Str(sp.options), "115200n8");
  EXPECT_EQ(t->StdoutNode(), t["/soc/uart@1000"]);
  uint64_t start = 0, end = 0;
  ASSERT_EQ(t->InitrdRange(&start, &end), Status::kOk);
  EXPECT_EQ(start, 0x48000000u);
  EXPECT_EQ(end, 0x48100000u);
}

std::vector<uint8_t> ChosenBlob(
    const std::vector<std::pair<std::string, std::vector<uint8_t>>>& props) {
  BlobBuilder b;
  b.Begin("");
  b.Begin("aliases").Str("serial0", "/soc/serial@100").End();
  b.Begin("soc");
  b.Begin("serial@100").End();
  b.End();
  b.Begin("chosen");
  for (const auto& [name, value] : props)
    b.Prop(name, value);
  return b.Finish();
}

std::vector<uint8_t> S(const std::string& s) {
  std::vector<uint8_t> v(s.begin(), s.end());
  v.push_back(0);
  return v;
}

TEST(Chosen, StdoutPathForms) {
  {
    Tree t(ChosenBlob({{"stdout-path", S("/soc/serial@100")}}));
    fdt::StdoutPath sp;
    ASSERT_EQ(t->GetStdoutPath(&sp), Status::kOk);
    EXPECT_EQ(Str(sp.path), "/soc/serial@100");
    EXPECT_EQ(Str(sp.options), "");
    EXPECT_EQ(t->StdoutNode(), t["/soc/serial@100"]);
  }
  {
    Tree t(ChosenBlob({{"stdout-path", S("/soc/serial@100:9600n8r")}}));
    fdt::StdoutPath sp;
    ASSERT_EQ(t->GetStdoutPath(&sp), Status::kOk);
    EXPECT_EQ(Str(sp.path), "/soc/serial@100");
    EXPECT_EQ(Str(sp.options), "9600n8r");
    EXPECT_EQ(t->StdoutNode(), t["/soc/serial@100"]);
  }
  {
    Tree t(ChosenBlob({{"stdout-path", S("serial0:")}}));
    fdt::StdoutPath sp;
    ASSERT_EQ(t->GetStdoutPath(&sp), Status::kOk);
    EXPECT_EQ(Str(sp.path), "serial0");
    EXPECT_EQ(Str(sp.options), "");
    EXPECT_EQ(t->StdoutNode(), t["/soc/serial@100"]);
  }
  {
    Tree t(ChosenBlob({{"linux,stdout-path", S("serial0:115200")}}));
    EXPECT_EQ(t->StdoutNode(), t["/soc/serial@100"]);
  }
  {
    Tree t(ChosenBlob({{"stdout-path", S("serial9:115200")}}));
    EXPECT_FALSE(t->StdoutNode().valid());
  }
  {
    Tree t(ChosenBlob({{"stdout-path", {'s', 'e'}}}));
    fdt::StdoutPath sp;
    EXPECT_EQ(t->GetStdoutPath(&sp), Status::kBadValue);
  }
  {
    Tree t(ChosenBlob({}));
    fdt::StdoutPath sp;
    EXPECT_EQ(t->GetStdoutPath(&sp), Status::kNotFound);
    const char* args = nullptr;
    EXPECT_EQ(t->Bootargs(&args), Status::kNotFound);
  }
}

std::vector<uint8_t> Cells32(std::initializer_list<uint32_t> cells) {
  std::vector<uint8_t> v;
  for (uint32_t c : cells) {
    for (int shift = 24; shift >= 0; shift -= 8)
      v.push_back(static_cast<uint8_t>(c >> shift));
  }
  return v;
}

TEST(Chosen, Initrd32And64BitAndErrors) {
  uint64_t s = 0, e = 0;
  {
    Tree t(ChosenBlob({{"linux,initrd-start", Cells32({0x2eff2000})},
                       {"linux,initrd-end", Cells32({0x2f7c7a43})}}));
    ASSERT_EQ(t->InitrdRange(&s, &e), Status::kOk);
    EXPECT_EQ(s, 0x2eff2000u);
    EXPECT_EQ(e, 0x2f7c7a43u);
  }
  {
    Tree t(ChosenBlob({{"linux,initrd-start", Cells32({0x1, 0x00000000})},
                       {"linux,initrd-end", Cells32({0x1, 0x00800000})}}));
    ASSERT_EQ(t->InitrdRange(&s, &e), Status::kOk);
    EXPECT_EQ(s, 0x100000000u);
    EXPECT_EQ(e, 0x100800000u);
  }
  {  // Mixed widths are allowed (each property stands alone).
    Tree t(ChosenBlob({{"linux,initrd-start", Cells32({0x48000000})},
                       {"linux,initrd-end", Cells32({0, 0x48100000})}}));
    ASSERT_EQ(t->InitrdRange(&s, &e), Status::kOk);
    EXPECT_EQ(e, 0x48100000u);
  }
  {
    Tree t(ChosenBlob(
        {{"linux,initrd-start", Cells32({0x2000})}, {"linux,initrd-end", Cells32({0x1000})}}));
    EXPECT_EQ(t->InitrdRange(&s, &e), Status::kBadValue);
  }
  {
    Tree t(ChosenBlob({{"linux,initrd-start", Cells32({0, 0, 0x2000})},
                       {"linux,initrd-end", Cells32({0x3000})}}));
    EXPECT_EQ(t->InitrdRange(&s, &e), Status::kBadValue);
  }
  {
    Tree t(ChosenBlob({{"linux,initrd-start", Cells32({0x2000})}}));
    EXPECT_EQ(t->InitrdRange(&s, &e), Status::kNotFound);
  }
}

// --- Interrupts -------------------------------------------------------------

TEST(Interrupts, ParentWalkAndSpecifiers) {
  Tree t(SampleBlob());
  const fdt::Node gic = t["/intc@8000000"];
  const fdt::Node uart = t["/soc/uart@1000"];
  // uart has no interrupt-parent: soc has none either, the root names the GIC.
  EXPECT_EQ(t->InterruptParent(uart), gic);
  uint32_t ic = 0;
  ASSERT_EQ(t->InterruptCells(gic, &ic), Status::kOk);
  EXPECT_EQ(ic, 3u);
  uint32_t count = 0;
  ASSERT_EQ(t->InterruptCount(uart, &count), Status::kOk);
  EXPECT_EQ(count, 1u);
  fdt::Interrupt irq;
  ASSERT_EQ(t->GetInterrupt(uart, 0, &irq), Status::kOk);
  EXPECT_EQ(irq.controller, gic);
  ASSERT_EQ(irq.num_cells, 3u);
  EXPECT_EQ(irq.cells[0], 0u);
  EXPECT_EQ(irq.cells[1], 5u);
  EXPECT_EQ(irq.cells[2], 4u);
  EXPECT_EQ(t->GetInterrupt(uart, 1, &irq), Status::kOutOfRange);
  EXPECT_EQ(t->InterruptCount(t["/soc/uart@2000"], &count), Status::kNotFound);
}

TEST(Interrupts, InterruptsExtended) {
  Tree t(SampleBlob());
  const fdt::Node dev = t["/soc/bus@80000/dev@1,40"];
  uint32_t count = 0;
  ASSERT_EQ(t->InterruptCount(dev, &count), Status::kOk);
  EXPECT_EQ(count, 2u);
  fdt::Interrupt irq;
  ASSERT_EQ(t->GetInterrupt(dev, 0, &irq), Status::kOk);
  EXPECT_EQ(irq.controller, t["/intc@8000000"]);
  ASSERT_EQ(irq.num_cells, 3u);
  EXPECT_EQ(irq.cells[1], 7u);
  ASSERT_EQ(t->GetInterrupt(dev, 1, &irq), Status::kOk);
  EXPECT_EQ(irq.controller, t["/soc/gpio@3000"]);
  ASSERT_EQ(irq.num_cells, 2u);
  EXPECT_EQ(irq.cells[0], 12u);
  EXPECT_EQ(irq.cells[1], 8u);
  EXPECT_EQ(t->GetInterrupt(dev, 2, &irq), Status::kOutOfRange);
}

TEST(Interrupts, ExplicitParentsCyclesAndErrors) {
  BlobBuilder b;
  b.Begin("");
  b.Begin("ctrl").Cells("#interrupt-cells", {1}).Cells("phandle", {1}).End();
  // A non-controller that redirects to another: walk goes through it.
  b.Begin("redirect").Cells("interrupt-parent", {1}).Cells("phandle", {2}).End();
  b.Begin("dev1").Cells("interrupt-parent", {2}).Cells("interrupts", {4, 5, 6}).End();
  // Two nodes pointing at each other, neither a controller.
  b.Begin("loop-a").Cells("interrupt-parent", {4}).Cells("phandle", {3}).End();
  b.Begin("loop-b").Cells("interrupt-parent", {3}).Cells("phandle", {4}).End();
  b.Begin("dev2").Cells("interrupt-parent", {3}).Cells("interrupts", {1}).End();
  // Dangling phandles.
  b.Begin("dev3").Cells("interrupt-parent", {99}).Cells("interrupts", {1}).End();
  b.Begin("dev4").Cells("interrupts-extended", {1, 5, 99, 1}).End();
  b.Begin("dev5").Cells("interrupts-extended", {1}).End();  // specifier missing
  Tree t(b.Finish());
  EXPECT_EQ(t->InterruptParent(t["/dev1"]), t["/ctrl"]);
  uint32_t count = 0;
  ASSERT_EQ(t->InterruptCount(t["/dev1"], &count), Status::kOk);
  EXPECT_EQ(count, 3u);
  fdt::Interrupt irq;
  ASSERT_EQ(t->GetInterrupt(t["/dev1"], 2, &irq), Status::kOk);
  EXPECT_EQ(irq.cells[0], 6u);
  EXPECT_FALSE(t->InterruptParent(t["/dev2"]).valid());
  EXPECT_EQ(t->InterruptCount(t["/dev2"], &count), Status::kBadValue);
  EXPECT_FALSE(t->InterruptParent(t["/dev3"]).valid());
  EXPECT_EQ(t->InterruptCount(t["/dev4"], &count), Status::kBadValue);
  EXPECT_EQ(t->InterruptCount(t["/dev5"], &count), Status::kBadValue);
  // The root has no interrupt parent.
  EXPECT_FALSE(t->InterruptParent(t->Root()).valid());
}

// --- Memory reservations, iteration, errors --------------------------------

TEST(Misc, MemReserveAndWalk) {
  Tree t(SampleBlob());
  ASSERT_EQ(t->MemReserveCount(), 2u);
  fdt::MemReserve r;
  ASSERT_EQ(t->GetMemReserve(1, &r), Status::kOk);
  EXPECT_EQ(r.address, 0x80000000u);
  EXPECT_EQ(r.size, 0x200000u);
  EXPECT_EQ(t->GetMemReserve(2, &r), Status::kOutOfRange);
  std::vector<std::string> paths;
  t->ForEachNode([&](fdt::Node n, int depth) {
    EXPECT_EQ(t->Depth(n), depth);
    paths.push_back(Path(t, n));
    return paths.size() < 4;  // stops early
  });
  EXPECT_EQ(paths, (std::vector<std::string>{"/", "/aliases", "/chosen", "/memory@40000000"}));
  std::vector<std::string> enabled_uarts;
  for (fdt::Node n = t->FindCompatible(fdt::Node{}, "arm,pl011"); n.valid();
       n = t->FindCompatible(n, "arm,pl011")) {
    if (t->IsEnabled(n))
      enabled_uarts.push_back(t->Name(n));
  }
  EXPECT_EQ(enabled_uarts, std::vector<std::string>{"uart@1000"});
}

TEST(Misc, UninitialisedFdtIsInert) {
  fdt::Fdt dt;
  EXPECT_FALSE(dt.valid());
  EXPECT_EQ(dt.error().status, Status::kNotInitialized);
  EXPECT_FALSE(dt.Root().valid());
  EXPECT_FALSE(dt.FindNode("/").valid());
  EXPECT_EQ(dt.Name(fdt::Node{0}), nullptr);
  const char* s = nullptr;
  EXPECT_EQ(dt.Bootargs(&s), Status::kNotInitialized);
  uint32_t c = 0;
  EXPECT_EQ(dt.InterruptCount(fdt::Node{0}, &c), Status::kNotInitialized);
  fdt::MemReserve r;
  EXPECT_EQ(dt.GetMemReserve(0, &r), Status::kNotInitialized);
  char buf[8];
  EXPECT_EQ(dt.GetPath(fdt::Node{0}, buf, sizeof(buf)), Status::kNotInitialized);
  EXPECT_EQ(fdt::Init(nullptr, 100, &dt), Status::kTruncated);
}

TEST(Misc, StatusStrings) {
  EXPECT_STREQ(fdt::StatusString(Status::kOk), "ok");
  EXPECT_STREQ(fdt::StatusString(Status::kNoTranslation), "no translation");
  EXPECT_STREQ(fdt::StatusString(static_cast<Status>(200)), "unknown status");
}

}  // namespace
}  // namespace fdt_test
