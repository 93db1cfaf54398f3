// Mica's freestanding ELF64 loader library: validation, load plan and
// relocation of static position-independent AArch64 executables.
//
// Formats: the System V ABI "Object Files" chapter (ELF64, gABI 4.3), the
// ELF for the Arm 64-bit Architecture (AAELF64) supplement for EM_AARCH64
// and its relocation codes, and the GNU extensions PT_GNU_STACK,
// PT_GNU_RELRO and DT_RELACOUNT.
//
// The library is used by the kernel's userboot path (freestanding: no libc,
// no heap, no exceptions, no RTTI) and by user-space process launchers and
// host tools, so it includes only <stddef.h> and <stdint.h> and keeps all of
// its state in caller-owned values.
//
// Supported subset (everything else is rejected with a Status naming it):
// ELF64, little-endian, EM_AARCH64, ET_DYN (a static PIE: ld.lld
// `-pie --no-dynamic-linker`), no PT_INTERP, no DT_NEEDED, relocations only
// through DT_RELA and only R_AARCH64_RELATIVE / R_AARCH64_NONE, no text
// relocations, W^X for every segment and a non-executable stack.
//
// Usage:
//
//   elf::Plan plan;
//   elf::Error err;
//   if (elf::Validate(image, image_size, &plan, &err) != elf::Status::kOk) {
//     char msg[160];
//     elf::FormatError(err, msg, sizeof(msg));   // "elf: ... phdr 3 ..."
//     ...
//   }
//   // Reserve plan.span_size bytes of address space at a random,
//   // page-aligned `base`; zero it; for every plan.segments[i] copy
//   // image[file_offset, file_offset + file_size) to span + vaddr_offset.
//   elf::ApplyRelocations(plan, span, plan.span_size, base, &err);
//   // Map each segment's [page_offset, page_offset + page_size) with its
//   // flags, make plan.relro read-only, start at base + plan.entry_offset.
//
// Safety contract: Validate reads only inside [image, image + image_size),
// whatever the bytes are, and accepts an image only if every structure the
// loader uses lies inside it. ApplyRelocations reads the relocation table
// from the span and writes only inside [span, span + span_size) and only
// inside writable segments; it re-checks every entry, so a span whose
// contents changed after validation yields an error, never a stray write.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace elf {

// The loader's page size: segment layout and the span are in these units.
inline constexpr uint64_t kPageSize = 4096;
// Largest span (lowest to highest loaded page) an image may ask for.
inline constexpr uint64_t kMaxSpan = uint64_t{1} << 30;
// Most program headers an image may have, and most PT_LOAD segments.
inline constexpr uint32_t kMaxProgramHeaders = 64;
inline constexpr uint32_t kMaxSegments = 8;
// Largest PT_TLS alignment the runtime supports.
inline constexpr uint64_t kMaxTlsAlign = kPageSize;
// Error::index when no program header or relocation is involved.
inline constexpr uint32_t kNoIndex = 0xffffffffu;

// ELF constants this library checks (gABI; AAELF64 for the AArch64 ones).
inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEtDyn = 3;
inline constexpr uint16_t kEmAarch64 = 183;
inline constexpr uint32_t kPtNull = 0;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtDynamic = 2;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtTls = 7;
inline constexpr uint32_t kPtGnuStack = 0x6474e551;
inline constexpr uint32_t kPtGnuRelro = 0x6474e552;
inline constexpr uint32_t kPfX = 1;
inline constexpr uint32_t kPfW = 2;
inline constexpr uint32_t kPfR = 4;
inline constexpr uint32_t kRAarch64None = 0;
inline constexpr uint32_t kRAarch64Relative = 1027;
// Sizes of the on-disk structures (Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn,
// Elf64_Rela).
inline constexpr uint32_t kEhdrSize = 64;
inline constexpr uint32_t kPhdrSize = 56;
inline constexpr uint32_t kDynSize = 16;
inline constexpr uint32_t kRelaSize = 24;

enum class Status : uint8_t {
  kOk = 0,
  // --- The file is not an ELF image this loader understands ---
  kTruncated,          // a structure runs past the end of the buffer
  kBadMagic,           // e_ident does not start with "\x7fELF"
  kBadClass,           // not ELFCLASS64
  kBadEncoding,        // not ELFDATA2LSB (little-endian)
  kBadVersion,         // EI_VERSION or e_version is not EV_CURRENT
  kBadMachine,         // e_machine is not EM_AARCH64
  kNotPie,             // ET_EXEC: fixed-address executable, not position independent
  kBadType,            // e_type is neither ET_DYN nor ET_EXEC
  kBadHeader,          // e_ehsize is not 64
  kBadProgramHeaders,  // e_phentsize not 56, e_phnum 0 / > kMaxProgramHeaders
                       // / PN_XNUM, or e_phoff misplaced or overflowing
  // --- Segments ---
  kNoSegments,       // no PT_LOAD segment
  kTooManySegments,  // more than kMaxSegments PT_LOAD segments
  kBadSegment,       // p_filesz > p_memsz, p_memsz 0, or offsets/sizes overflow
  kMisaligned,       // p_vaddr and p_offset not congruent modulo the page size,
                     // or p_align not a power of two
  kUnsorted,         // PT_LOAD segments not in ascending p_vaddr order
  kOverlap,          // two PT_LOAD segments share a page of the address space
  kTooLarge,         // the span exceeds kMaxSpan
  kWriteExecute,     // a segment is both writable and executable (W^X)
  kExecutableStack,  // PT_GNU_STACK asks for an executable stack
  kInterpreter,      // PT_INTERP: needs a dynamic linker Mica does not have
  kBadEntry,         // e_entry not in (the file part of) an executable segment,
                     // or not 4-byte aligned
  kBadTls,           // several PT_TLS, filesz > memsz, bad alignment, or the
                     // template outside the loaded file data
  kBadRelro,         // PT_GNU_RELRO not inside one writable PT_LOAD segment
  // --- Dynamic section and relocations ---
  kBadDynamic,             // PT_DYNAMIC outside the loaded file data, unterminated,
                           // or DT_RELA* inconsistent (missing, RELAENT != 24,
                           // RELASZ not a multiple, RELACOUNT too large)
  kUnsupportedDynamic,     // DT_NEEDED, DT_REL, DT_RELR, PLT relocations
                           // (DT_JMPREL) or text relocations (DT_TEXTREL)
  kBadRelocationTable,     // the DT_RELA table is not inside the file part of a
                           // read-only PT_LOAD segment
  kUnsupportedRelocation,  // a relocation type other than RELATIVE / NONE
                           // (Error::value holds the type)
  kBadRelocation,          // RELATIVE with a symbol, or a target not 8 bytes inside
                           // a writable segment
  // --- ApplyRelocations arguments ---
  kBadArgument,     // null span, or a load base that is not page aligned or
                    // would wrap the address space
  kBufferTooSmall,  // the span buffer is smaller than Plan::span_size
};

// A short, static, human-readable name ("truncated", "W^X violation", ...).
const char* StatusString(Status status);

// The AAELF64 name of an AArch64 relocation type ("R_AARCH64_JUMP_SLOT"), or
// nullptr for a type this library does not know by name.
const char* RelocationTypeName(uint32_t type);

// What Error::index counts.
enum class Where : uint8_t {
  kNone = 0,
  kProgramHeader,  // index of the program header
  kDynamic,        // index of the PT_DYNAMIC entry
  kRelocation,     // index of the DT_RELA entry
};

// Where and why validation or relocation failed.
struct Error {
  Status status = Status::kOk;
  // File offset (Validate) or span offset (ApplyRelocations) of the field
  // or entry at fault.
  uint64_t offset = 0;
  // Program header index, dynamic entry index or relocation index at fault
  // (see `where`); kNoIndex when none applies.
  Where where = Where::kNone;
  uint32_t index = kNoIndex;
  // The offending value where one helps: the relocation type, the p_type,
  // e_type, e_machine, a dynamic tag ...
  uint64_t value = 0;
  // A static phrase saying which check failed ("p_filesz > p_memsz").
  const char* detail = "";
};

// Writes a one-line, NUL-terminated description of `error` into
// buf[0, size) (truncated if needed) and returns the length it wanted to
// write, like snprintf. Example:
//   "elf: unsupported relocation: R_AARCH64_JUMP_SLOT (type 1026) at offset
//    0x2a8, index 3"
size_t FormatError(const Error& error, char* buf, size_t size);

// Segment permission bits (the same values as PF_X / PF_W / PF_R).
inline constexpr uint32_t kExecute = kPfX;
inline constexpr uint32_t kWrite = kPfW;
inline constexpr uint32_t kRead = kPfR;

// One PT_LOAD segment of the plan. All offsets are relative to the start of
// the span (the lowest loaded page), so at run time the byte at span offset
// X is at address base + X.
struct Segment {
  // Where the segment's first byte goes: p_vaddr - Plan::link_base.
  uint64_t vaddr_offset = 0;
  // The pages to map for it: [page_offset, page_offset + page_size), page
  // aligned, covering [vaddr_offset, vaddr_offset + mem_size). The pages of
  // different segments never overlap.
  uint64_t page_offset = 0;
  uint64_t page_size = 0;
  // Bytes of the image to copy to vaddr_offset: [file_offset, file_offset +
  // file_size). The rest of the segment's pages must be zero.
  uint64_t file_offset = 0;
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
  // kRead | kWrite | kExecute; never both kWrite and kExecute.
  uint32_t flags = 0;
};

// The PT_TLS template (the initial image of every thread's TLS block).
struct Tls {
  bool present = false;
  // Span offset of the initialised part (.tdata), inside loaded file data.
  uint64_t vaddr_offset = 0;
  // Initialised bytes; the block is mem_size bytes, zero after file_size.
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
  // Power of two, 1 .. kMaxTlsAlign.
  uint64_t align = 1;
};

// Everything a loader needs, computed by Validate.
struct Plan {
  // Page-aligned size of the address range to reserve.
  uint64_t span_size = 0;
  // The link-time address of span offset 0 (the lowest PT_LOAD p_vaddr
  // rounded down to a page; 0 for ld.lld's PIEs).
  uint64_t link_base = 0;
  // The largest PT_LOAD p_align (at least kPageSize): a base aligned to it
  // keeps every segment as aligned as the linker laid it out. Only page
  // alignment is required.
  uint64_t max_align = kPageSize;
  // Span offset of the entry point.
  uint64_t entry_offset = 0;
  uint32_t segment_count = 0;
  Segment segments[kMaxSegments];
  Tls tls;
  // The RELA table: span offset and number of entries (0 when there is
  // nothing to relocate). `relative_count` is DT_RELACOUNT (0 if absent).
  uint64_t rela_offset = 0;
  uint64_t rela_count = 0;
  uint64_t relative_count = 0;
  // PT_GNU_RELRO, as the pages to make read-only once relocation is done:
  // [relro_offset, relro_offset + relro_size), page aligned (the range of
  // whole pages inside it, rounded like glibc does); size 0 if none.
  uint64_t relro_offset = 0;
  uint64_t relro_size = 0;
  // PT_GNU_STACK's p_memsz: the stack size the program asks for (0: the
  // launcher's default).
  uint64_t stack_size = 0;
};

// Validates the ELF image in image[0, image_size) and computes its load
// plan. On failure returns the status (also stored in *error if non-null,
// with where it happened) and leaves *plan unspecified.
Status Validate(const void* image, size_t image_size, Plan* plan, Error* error = nullptr);

// Applies the image's relocations to its loaded span. `span` is a writable
// view of the span_size bytes that will be mapped at address `load_base`
// (page aligned), already holding the segments' file bytes as described by
// `plan` (which must come from a successful Validate). Each
// R_AARCH64_RELATIVE stores load_base - plan.link_base + r_addend as a
// little-endian 64-bit word at span offset r_offset - plan.link_base.
// Every entry is checked (type, symbol, target inside a writable segment and
// inside the span) before anything is written, and nothing is written unless
// all of them pass; each is checked again as it is applied, so a span that
// changes underneath still gets no write outside a writable segment.
Status ApplyRelocations(const Plan& plan, void* span, size_t span_size, uint64_t load_base,
                        Error* error = nullptr);

}  // namespace elf
