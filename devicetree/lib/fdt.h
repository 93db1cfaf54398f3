// Mica's freestanding flattened-devicetree (FDT / DTB) parser.
//
// The format is the one of the Devicetree Specification v0.4, chapter 5
// ("Flattened Devicetree (DTB) Format"). The library is used by the kernel
// (freestanding: no libc, no heap, no exceptions, no RTTI) and by host tools
// and user space, so it includes only <stddef.h> and <stdint.h> and keeps all
// of its state in the caller's `Fdt` value.
//
// Usage:
//
//   fdt::Fdt dt;
//   if (fdt::Init(blob, blob_size, &dt) != fdt::Status::kOk) {
//     char msg[128];
//     dt.FormatError(msg, sizeof(msg));   // "bad token at offset 0x1a4: ..."
//     ...
//   }
//   fdt::Node uart = dt.FindNode("/soc/serial@7e215040");
//   uint64_t base, size;
//   if (dt.RegTranslated(uart, 0, &base, &size) == fdt::Status::kOk) ...
//
// Safety contract: `Init` validates the whole blob (header, every block, the
// complete structure-block walk). After a successful `Init` no accessor reads
// outside [blob, blob + totalsize), whatever arguments it is given: node and
// property handles are re-checked on every use, so a forged handle yields an
// invalid result, never an out-of-bounds read. Every `const char*` the
// library returns points into the blob and is NUL-terminated inside it.
// The blob must stay mapped and unchanged while the `Fdt` is used.
//
// Node handles are the offsets of their FDT_BEGIN_NODE tokens relative to
// the start of the structure block: the same numbers libfdt uses as node
// offsets.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace fdt {

// Header magic (DT spec v0.4 §5.2), stored big-endian.
inline constexpr uint32_t kMagic = 0xd00dfeed;
// Oldest header layout this parser reads, and the newest it is compatible
// with (DT spec v0.4 §5.2: version 17, last_comp_version 16).
inline constexpr uint32_t kMinVersion = 16;
inline constexpr uint32_t kMaxLastCompVersion = 17;
// Deepest allowed nesting: the root has depth 0, so nodes have depth
// 0 .. kMaxDepth - 1.
inline constexpr int kMaxDepth = 64;
// Largest #address-cells / #size-cells the accessors decode. (The spec
// allows more in principle; no binding uses more than 3 address cells.)
inline constexpr uint32_t kMaxAddressCells = 4;
inline constexpr uint32_t kMaxSizeCells = 2;
// Largest #interrupt-cells an `Interrupt` holds.
inline constexpr uint32_t kMaxInterruptCells = 8;
// Marks an invalid node or property handle.
inline constexpr uint32_t kInvalidOffset = 0xffffffffu;

// Result of validation and of the accessors.
enum class Status : uint8_t {
  kOk = 0,
  // --- Init: the blob is malformed ---
  kTruncated,        // buffer shorter than the header or than totalsize
  kBadMagic,         // magic is not 0xd00dfeed
  kBadVersion,       // version < 16 or last_comp_version > 17
  kBadHeader,        // header fields inconsistent (sizes, header too small)
  kBadBlock,         // a block lies (partly) outside totalsize / overflows
  kMisaligned,       // a block or token offset is not aligned as required
  kOverlap,          // two blocks (or a block and the header) overlap
  kBadMemReserve,    // memory reservation list not terminated in bounds
  kBadToken,         // unknown token, or a token runs past the block
  kBadName,          // node name unterminated, empty, or contains '/'
  kBadProperty,      // property length runs past the structure block
  kBadStringOffset,  // property nameoff outside strings / unterminated
  kBadStructure,     // unbalanced nesting, not exactly one root, property
                     // after a child node or outside any node
  kTooDeep,          // nesting deeper than kMaxDepth
  kNoEnd,            // FDT_END missing or not at the end of the block
  // --- Accessors ---
  kNotInitialized,  // the Fdt has not been successfully initialised
  kNotFound,        // no such node / property / entry
  kBadValue,        // a property exists but its value is malformed
  kOutOfRange,      // index past the last element
  kBufferTooSmall,  // caller's buffer too small (output is truncated)
  kNoTranslation,   // an ancestor bus has no `ranges`: not translatable
  kUnsupported,     // cell counts larger than this library decodes
};

// A constant English name for `status`, e.g. "bad token".
const char* StatusString(Status status);

// A light handle to a node: the offset of its FDT_BEGIN_NODE token in the
// structure block. Default-constructed handles are invalid.
struct Node {
  uint32_t offset = kInvalidOffset;

  // True unless this is the invalid handle. (A valid-looking handle may
  // still be rejected by the accessors if it does not name a node.)
  constexpr bool valid() const { return offset != kInvalidOffset; }
  constexpr explicit operator bool() const { return valid(); }
  constexpr bool operator==(const Node& other) const = default;
};

// A property as stored in the blob. `name` is NUL-terminated, `data` points
// at `len` bytes of big-endian value (data may be non-null with len 0 for
// empty properties). `offset` is the FDT_PROP token's offset in the
// structure block (the handle used to iterate); invalid if not found.
struct Property {
  const char* name = nullptr;
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  uint32_t offset = kInvalidOffset;

  // True if this names a property found in the blob.
  constexpr bool valid() const { return offset != kInvalidOffset; }
  constexpr explicit operator bool() const { return valid(); }

  // The big-endian 32-bit cell `index` of the value; false if the value is
  // too short.
  bool ReadU32(uint32_t index, uint32_t* out) const;
  // The big-endian 64-bit value at cell `cell_index` (two cells); false if
  // the value is too short.
  bool ReadU64(uint32_t cell_index, uint64_t* out) const;
  // `num_cells` (0..2) big-endian cells starting at cell `cell_index`
  // combined into one number (0 cells gives 0); false if out of range or
  // num_cells > 2.
  bool ReadCells(uint32_t cell_index, uint32_t num_cells, uint64_t* out) const;
  // Number of whole 32-bit cells in the value.
  uint32_t CellCount() const { return len / 4; }
  // The value as one string: true if it is non-empty and its last byte is
  // its only NUL (the DT spec `<string>` type).
  bool GetString(const char** out) const;
  // Number of strings in a `<stringlist>` value; 0 if the value is empty or
  // not a NUL-terminated list.
  uint32_t StringCount() const;
  // The string at `index` of a `<stringlist>`; false if none.
  bool StringAt(uint32_t index, const char** out) const;
  // Index of `str` in a `<stringlist>`, or -1 if absent or malformed.
  int StringIndex(const char* str) const;
};

// Iterates the strings of a `<stringlist>` property value:
//   for (const char* s : fdt::StringList(prop)) ...
// A malformed (not NUL-terminated) value yields no strings.
class StringList {
 public:
  explicit StringList(const Property& prop);
  class Iterator {
   public:
    const char* operator*() const { return cur_; }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return cur_ != other.cur_; }

   private:
    friend class StringList;
    Iterator(const char* cur, const char* end) : cur_(cur), end_(end) {}
    const char* cur_;
    const char* end_;
  };
  Iterator begin() const { return Iterator(begin_, end_); }
  Iterator end() const { return Iterator(end_, end_); }

 private:
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
};

// One entry of the memory reservation block (DT spec v0.4 §5.3).
struct MemReserve {
  uint64_t address = 0;
  uint64_t size = 0;
};

// One interrupt specifier: the controller it is sent to (the node with
// #interrupt-cells found by interrupt-parent resolution, or named by
// interrupts-extended) and its cells. Nexus nodes (`interrupt-map`) are not
// followed: if the resolved parent is a nexus, `controller` is the nexus.
struct Interrupt {
  Node controller;
  uint32_t num_cells = 0;
  uint32_t cells[kMaxInterruptCells] = {};
};

// A string inside the blob that is not necessarily NUL-terminated at `size`
// (e.g. the path part of "serial0:115200n8").
struct StringRef {
  const char* data = nullptr;
  size_t size = 0;
};

// /chosen/stdout-path split at the first ':' (DT spec v0.4 §3.6): `path` is
// a path or alias (with optional "/rest"), `options` what follows ':' (empty
// if there is no ':').
struct StdoutPath {
  StringRef path;
  StringRef options;
};

// Error detail recorded by Init: what was wrong and where (a byte offset
// from the start of the blob).
struct Error {
  Status status = Status::kNotInitialized;
  uint32_t offset = 0;
  const char* detail = "not initialized";
};

class Fdt;
class ChildRange;
class PropertyRange;

// Validates `blob` (the first `buffer_size` bytes the caller may read) and
// on success makes `*out` usable. On failure `*out` stays unusable (every
// accessor returns an invalid result or kNotInitialized) and `out->error()`
// says what and where. `blob` may have any alignment.
Status Init(const void* blob, size_t buffer_size, Fdt* out);

// A validated devicetree blob. Cheap to copy; holds no pointers besides the
// blob itself. All methods are const and re-entrant.
class Fdt {
 public:
  Fdt() = default;

  // True after a successful Init.
  bool valid() const { return valid_; }
  // What Init found wrong (status kOk after success).
  const Error& error() const { return error_; }
  // Writes "<status> at offset 0x<off>: <detail>" (NUL-terminated,
  // truncated to fit) into `buf`; returns the untruncated length.
  size_t FormatError(char* buf, size_t size) const;

  // --- Header ---
  // The blob's base address and total size (header `totalsize`).
  const uint8_t* blob() const { return blob_; }
  uint32_t total_size() const { return total_size_; }
  // Header `version` and `boot_cpuid_phys`.
  uint32_t version() const { return version_; }
  uint32_t boot_cpuid_phys() const { return boot_cpuid_; }

  // --- Memory reservation block ---
  // Number of entries (the terminating all-zero entry not counted).
  uint32_t MemReserveCount() const { return num_memrsv_; }
  // Entry `index`; kOutOfRange past the end.
  Status GetMemReserve(uint32_t index, MemReserve* out) const;

  // --- Nodes ---
  // The root node ("/").
  Node Root() const;
  // The node at `path`: an absolute path ("/soc/serial@7e215040"), or an
  // alias from /aliases optionally followed by "/rest" ("serial0",
  // "mmc0/card@0"). A component without '@' also matches the first node
  // whose name before '@' equals it (as libfdt does). Repeated and trailing
  // '/' are ignored. Invalid handle if not found.
  Node FindNode(const char* path) const;
  // As above for the `len` bytes at `path` (need not be NUL-terminated).
  Node FindNode(const char* path, size_t len) const;
  // The direct child of `parent` named `name` (same matching rule).
  Node FindChild(Node parent, const char* name, size_t len) const;
  Node FindChild(Node parent, const char* name) const;
  // Resolves alias `name` in /aliases to its path string; nullptr if absent
  // or not a valid absolute path string.
  const char* GetAlias(const char* name, size_t len) const;
  const char* GetAlias(const char* name) const;
  // The node whose `phandle` (or, if absent, `linux,phandle`) is `phandle`.
  // Invalid for 0 and 0xffffffff.
  Node FindByPhandle(uint32_t phandle) const;
  // The node's phandle (`phandle`, else `linux,phandle`), 0 if none.
  uint32_t Phandle(Node node) const;

  // The parent node; invalid for the root and for non-nodes. O(size).
  Node Parent(Node node) const;
  // The first child node, or invalid.
  Node FirstChild(Node node) const;
  // The next node with the same parent, or invalid.
  Node NextSibling(Node node) const;
  // The next node in depth-first document order after `node`, or invalid at
  // the end. If `depth` is non-null it is adjusted by the change in depth
  // (+1 into a child, 0 to a sibling, negative back up), like libfdt's
  // fdt_next_node.
  Node NextNode(Node node, int* depth) const;
  // The node's name with unit address ("serial@7e215040"; "" for the root);
  // nullptr for an invalid handle.
  const char* Name(Node node) const;
  // Depth of the node (root 0), or -1 for an invalid handle. O(size).
  int Depth(Node node) const;
  // Writes the node's full path ("/" for the root) into `buf` with a NUL.
  // kBufferTooSmall if it does not fit (then *len, if given, is the length
  // needed without NUL). O(size).
  Status GetPath(Node node, char* buf, size_t size, size_t* len = nullptr) const;

  // Calls `fn(Node node, int depth)` for every node in depth-first order,
  // starting with the root (depth 0). Stops early when `fn` returns false.
  template <typename Fn>
  void ForEachNode(Fn&& fn) const {
    int depth = 0;
    for (Node n = Root(); n.valid(); n = NextNode(n, &depth)) {
      if (depth < 0) {
        return;
      }
      if (!fn(n, depth)) {
        return;
      }
    }
  }
  // Range-for over the direct children of `node`:
  //   for (fdt::Node child : dt.Children(node)) ...
  ChildRange Children(Node node) const;
  // Range-for over the properties of `node`, in blob order.
  PropertyRange Properties(Node node) const;
  // The next node after `from` (or from the root if `from` is invalid,
  // root included) that is compatible with `compatible`.
  Node FindCompatible(Node from, const char* compatible) const;

  // --- Properties ---
  // The property `name` of `node`; invalid Property if absent.
  Property FindProperty(Node node, const char* name) const;
  Property FindProperty(Node node, const char* name, size_t len) const;
  // First property of `node` / the one after `prop`; invalid at the end.
  Property FirstProperty(Node node) const;
  Property NextProperty(const Property& prop) const;
  // Single-cell u32 property (exactly 4 bytes): kNotFound / kBadValue.
  Status GetU32(Node node, const char* name, uint32_t* out) const;
  // u64 property of one or two cells (4 or 8 bytes).
  Status GetU64(Node node, const char* name, uint64_t* out) const;
  // `<string>` property (see Property::GetString).
  Status GetString(Node node, const char* name, const char** out) const;
  // True if `compatible` is one of the node's `compatible` strings.
  bool IsCompatible(Node node, const char* compatible) const;
  // Index of `compatible` in the node's `compatible` list, -1 if absent.
  int CompatibleIndex(Node node, const char* compatible) const;
  // True if `status` is absent, "okay" or "ok" (DT spec v0.4 §2.3.4).
  bool IsEnabled(Node node) const;

  // --- Addresses (DT spec v0.4 §2.3.5, §2.3.6, §2.3.8) ---
  // `#address-cells` / `#size-cells` of `node` (they describe its
  // children's `reg`); defaults 2 and 1 when absent. Values above
  // kMaxAddressCells / kMaxSizeCells are returned as they are.
  uint32_t AddressCells(Node node) const;
  uint32_t SizeCells(Node node) const;
  // Number of (address, size) entries in `reg`, decoded with the parent's
  // cells. kNotFound without `reg` (or for the root), kBadValue if the
  // length is not a multiple of the entry size, kUnsupported if the parent's
  // #address-cells is 0 or above kMaxAddressCells or #size-cells above 2.
  Status RegCount(Node node, uint32_t* count) const;
  // Entry `index` of `reg` as a bus address of the parent (kOutOfRange past
  // the end). kUnsupported for more than 2 address cells (e.g. PCI: read
  // the cells with FindProperty and translate them with TranslateCells).
  Status Reg(Node node, uint32_t index, uint64_t* address, uint64_t* size) const;
  // Entry `index` of `reg` translated to a CPU physical address.
  Status RegTranslated(Node node, uint32_t index, uint64_t* address, uint64_t* size) const;
  // Translates `address`, expressed in the address space of `node`'s parent
  // (as in `node`'s `reg`), to a CPU physical address by applying the
  // `ranges` of every ancestor bus up to the root, like Linux's
  // of_translate_address: empty `ranges` is an identity map, a missing
  // `ranges` makes the address untranslatable (kNoTranslation), an address
  // outside every range gives kNotFound. Cell counts may differ between
  // levels.
  Status TranslateAddress(Node node, uint64_t address, uint64_t* out) const;
  // As above for an address given as `num_cells` (<= kMaxAddressCells)
  // big-endian-order cells (cells[0] most significant), e.g. a 3-cell PCI
  // address. Above 64 bits the high cells must match a range's exactly,
  // except on a PCI bus (device_type "pci"/"pciex") where only the
  // space code (bits 24-25 of phys.hi) is compared, as Linux does.
  Status TranslateCells(Node node, const uint32_t* cells, uint32_t num_cells, uint64_t* out) const;

  // --- Interrupts (DT spec v0.4 §2.4) ---
  // The interrupt parent of `node`: following `interrupt-parent` phandles
  // and otherwise the tree parent, up to the first node that has
  // `#interrupt-cells`. Invalid if none.
  Node InterruptParent(Node node) const;
  // `#interrupt-cells` of `controller`: kNotFound / kBadValue.
  Status InterruptCells(Node controller, uint32_t* out) const;
  // Number of interrupts of `node`, from `interrupts-extended` if present,
  // else `interrupts` (kNotFound if neither).
  Status InterruptCount(Node node, uint32_t* count) const;
  // Interrupt specifier `index` of `node` with its controller.
  Status GetInterrupt(Node node, uint32_t index, Interrupt* out) const;

  // --- /chosen (DT spec v0.4 §3.6) ---
  // The /chosen node, or invalid.
  Node Chosen() const;
  // /chosen/bootargs as a string.
  Status Bootargs(const char** out) const;
  // /chosen/stdout-path (or, as Linux accepts, linux,stdout-path) split.
  Status GetStdoutPath(StdoutPath* out) const;
  // The node stdout-path names (aliases resolved); invalid if none.
  Node StdoutNode() const;
  // /chosen/linux,initrd-start and linux,initrd-end, each 1 or 2 cells.
  // kBadValue if end < start.
  Status InitrdRange(uint64_t* start, uint64_t* end) const;

 private:
  friend Status Init(const void* blob, size_t buffer_size, Fdt* out);
  struct Token;

  Status Fail(Status status, uint32_t offset, const char* detail);
  Status CheckHeader(size_t buffer_size);
  Status CheckStructure();
  Status DecodeToken(uint32_t offset, Token* tok) const;
  uint32_t SkipNops(uint32_t offset, Token* tok) const;
  bool IsNode(Node node, Token* tok) const;
  int Ancestors(Node node, uint32_t* stack) const;
  const char* StringAt(uint32_t nameoff) const;
  bool NameMatches(const char* node_name, const char* name, size_t len) const;
  Status ReadRegRaw(Node node, uint32_t index, uint32_t* addr_cells, uint32_t* na,
                    uint64_t* size) const;
  Status TranslateWithParents(const uint32_t* stack, int depth, uint32_t* cells, uint32_t num_cells,
                              uint64_t* out) const;
  Status CountSpecifiers(Node node, const Property& ext, uint32_t index, uint32_t* count,
                         Interrupt* out) const;

  const uint8_t* blob_ = nullptr;
  uint32_t total_size_ = 0;
  uint32_t version_ = 0;
  uint32_t boot_cpuid_ = 0;
  uint32_t off_struct_ = 0;
  uint32_t size_struct_ = 0;
  uint32_t off_strings_ = 0;
  uint32_t size_strings_ = 0;
  uint32_t off_memrsv_ = 0;
  uint32_t num_memrsv_ = 0;
  uint32_t root_ = kInvalidOffset;
  uint32_t num_nodes_ = 0;
  bool valid_ = false;
  Error error_;
};

// Iterates the children of a node (see Fdt::Children).
class ChildRange {
 public:
  class Iterator {
   public:
    Node operator*() const { return node_; }
    Iterator& operator++() {
      node_ = dt_->NextSibling(node_);
      return *this;
    }
    bool operator!=(const Iterator& other) const { return node_ != other.node_; }

   private:
    friend class ChildRange;
    Iterator(const Fdt* dt, Node node) : dt_(dt), node_(node) {}
    const Fdt* dt_;
    Node node_;
  };
  ChildRange(const Fdt* dt, Node parent) : dt_(dt), parent_(parent) {}
  Iterator begin() const { return Iterator(dt_, dt_->FirstChild(parent_)); }
  Iterator end() const { return Iterator(dt_, Node{}); }

 private:
  const Fdt* dt_;
  Node parent_;
};

// Iterates the properties of a node (see Fdt::Properties).
class PropertyRange {
 public:
  class Iterator {
   public:
    const Property& operator*() const { return prop_; }
    const Property* operator->() const { return &prop_; }
    Iterator& operator++() {
      prop_ = dt_->NextProperty(prop_);
      return *this;
    }
    bool operator!=(const Iterator& other) const { return prop_.offset != other.prop_.offset; }

   private:
    friend class PropertyRange;
    Iterator(const Fdt* dt, const Property& prop) : dt_(dt), prop_(prop) {}
    const Fdt* dt_;
    Property prop_;
  };
  PropertyRange(const Fdt* dt, Node node) : dt_(dt), node_(node) {}
  Iterator begin() const { return Iterator(dt_, dt_->FirstProperty(node_)); }
  Iterator end() const { return Iterator(dt_, Property{}); }

 private:
  const Fdt* dt_;
  Node node_;
};

inline ChildRange Fdt::Children(Node node) const {
  return ChildRange(this, node);
}
inline PropertyRange Fdt::Properties(Node node) const {
  return PropertyRange(this, node);
}

}  // namespace fdt
