// Validation and load plan. Formats: gABI "Object Files" (ELF header,
// program headers, dynamic section), AAELF64 (EM_AARCH64, relocation codes),
// and the GNU program header extensions.
#include "system/ulib/elf/elf.h"

#include "system/ulib/elf/elf_internal.h"

namespace elf {

using internal::Fail;
using internal::IsPowerOfTwo;
using internal::Load16;
using internal::Load32;
using internal::Load64;
using internal::PageDown;
using internal::PageUp;
using internal::RangeInside;

namespace {

// e_ident indices and values (gABI).
constexpr int kEiClass = 4;
constexpr int kEiData = 5;
constexpr int kEiVersion = 6;
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kEvCurrent = 1;
constexpr uint16_t kPnXnum = 0xffff;

// Dynamic tags (gABI; DT_RELACOUNT is a GNU extension, DT_RELR gABI 2022).
constexpr uint64_t kDtNull = 0;
constexpr uint64_t kDtNeeded = 1;
constexpr uint64_t kDtPltRelSz = 2;
constexpr uint64_t kDtRela = 7;
constexpr uint64_t kDtRelaSz = 8;
constexpr uint64_t kDtRelaEnt = 9;
constexpr uint64_t kDtRel = 17;
constexpr uint64_t kDtRelSz = 18;
constexpr uint64_t kDtTextRel = 22;
constexpr uint64_t kDtJmpRel = 23;
constexpr uint64_t kDtFlags = 30;
constexpr uint64_t kDtRelrSz = 35;
constexpr uint64_t kDtRelr = 36;
constexpr uint64_t kDtRelaCount = 0x6ffffff9;
constexpr uint64_t kDfTextRel = 0x4;

// Highest end address a segment may have: its last page must be
// representable, so PageUp never wraps.
constexpr uint64_t kMaxEnd = ~uint64_t{0} - kPageSize + 1;

// A decoded program header and where it was read.
struct Phdr {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
  uint64_t at;  // file offset of the header itself
  uint32_t index;
};

Phdr ReadPhdr(const uint8_t* image, uint64_t at, uint32_t index) {
  const uint8_t* p = image + at;
  // Elf64_Phdr: p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz,
  // p_memsz, p_align.
  return Phdr{Load32(p),      Load32(p + 4),  Load64(p + 8),  Load64(p + 16),
              Load64(p + 32), Load64(p + 40), Load64(p + 48), at,
              index};
}

// What the program header walk collects besides the PT_LOAD segments.
struct Extras {
  bool has_dynamic = false;
  bool has_tls = false;
  bool has_relro = false;
  Phdr dynamic;
  Phdr tls;
  Phdr relro;
};

// Validation state: the image, the plan being built and the error sink.
class Validator {
 public:
  Validator(const uint8_t* image, uint64_t size, Plan* plan, Error* error)
      : image_(image), size_(size), plan_(plan), error_(error) {}

  Status Run();

 private:
  // A DT_RELA* dynamic entry's value and where it was read.
  struct DynValue {
    bool seen = false;
    uint64_t value = 0;
    uint64_t at = 0;
    uint32_t index = kNoIndex;
  };

  Status Header();
  Status ProgramHeaders();
  Status AddLoad(const Phdr& ph);
  Status Other(const Phdr& ph);
  Status Entry();
  Status TlsTemplate();
  Status Relro();
  Status Dynamic();
  Status DynamicEntry(uint64_t tag, uint64_t value, uint64_t at, uint32_t index);
  Status RelocationTable();
  Status FailDyn(const DynValue& v, Status status, const char* detail);

  // The link-time [vaddr, vaddr + size) must lie inside the file-backed
  // part of one PT_LOAD; returns its index or -1. Sets *file_offset to the
  // file offset of vaddr.
  int FileBacked(uint64_t vaddr, uint64_t size, uint64_t* file_offset) const;

  Status Fail(Status status, const char* detail, uint64_t offset = 0, Where where = Where::kNone,
              uint32_t index = kNoIndex, uint64_t value = 0) {
    return elf::internal::Fail(error_, status, detail, offset, where, index, value);
  }
  Status FailPh(Status status, const char* detail, const Phdr& ph, uint64_t value = 0) {
    return Fail(status, detail, ph.at, Where::kProgramHeader, ph.index, value);
  }

  const uint8_t* image_;
  uint64_t size_;
  Plan* plan_;
  Error* error_;

  uint64_t entry_ = 0;
  uint64_t phoff_ = 0;
  uint32_t phnum_ = 0;
  // Link-time p_vaddr of each PT_LOAD (plan_->segments has the
  // span-relative view).
  uint64_t load_vaddr_[kMaxSegments] = {};
  uint64_t load_end_ = 0;  // end (p_vaddr + p_memsz) of the last PT_LOAD
  Extras extras_;

  // The DT_RELA* entries and where they were read.
  DynValue rela_;
  DynValue relasz_;
  DynValue relaent_;
  DynValue relacount_;
};

// Field by field: a whole-struct assignment of this size becomes a memset
// call, which the kernel build of the library must not need.
void ResetPlan(Plan* plan) {
  plan->span_size = 0;
  plan->link_base = 0;
  plan->max_align = kPageSize;
  plan->entry_offset = 0;
  plan->segment_count = 0;
  for (Segment& s : plan->segments) {
    s = Segment{};
  }
  plan->tls = Tls{};
  plan->rela_offset = 0;
  plan->rela_count = 0;
  plan->relative_count = 0;
  plan->relro_offset = 0;
  plan->relro_size = 0;
  plan->stack_size = 0;
}

Status Validator::Run() {
  ResetPlan(plan_);
  Status st;
  if ((st = Header()) != Status::kOk || (st = ProgramHeaders()) != Status::kOk ||
      (st = Entry()) != Status::kOk || (st = TlsTemplate()) != Status::kOk ||
      (st = Relro()) != Status::kOk || (st = Dynamic()) != Status::kOk ||
      (st = RelocationTable()) != Status::kOk) {
    return st;
  }
  if (error_ != nullptr) {
    *error_ = Error{};
  }
  return Status::kOk;
}

Status Validator::Header() {
  if (size_ < kEhdrSize) {
    return Fail(Status::kTruncated, "shorter than the ELF header", size_);
  }
  const uint8_t* h = image_;
  if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') {
    return Fail(Status::kBadMagic, "e_ident magic is not \\x7fELF", 0, Where::kNone, kNoIndex,
                Load32(h));
  }
  if (h[kEiClass] != kElfClass64) {
    return Fail(Status::kBadClass, "EI_CLASS is not ELFCLASS64", kEiClass, Where::kNone, kNoIndex,
                h[kEiClass]);
  }
  if (h[kEiData] != kElfData2Lsb) {
    return Fail(Status::kBadEncoding, "EI_DATA is not ELFDATA2LSB", kEiData, Where::kNone, kNoIndex,
                h[kEiData]);
  }
  if (h[kEiVersion] != kEvCurrent) {
    return Fail(Status::kBadVersion, "EI_VERSION is not EV_CURRENT", kEiVersion, Where::kNone,
                kNoIndex, h[kEiVersion]);
  }
  // Elf64_Ehdr: e_type@16, e_machine@18, e_version@20, e_entry@24,
  // e_phoff@32, e_ehsize@52, e_phentsize@54, e_phnum@56.
  const uint16_t type = Load16(h + 16);
  const uint16_t machine = Load16(h + 18);
  const uint32_t version = Load32(h + 20);
  if (machine != kEmAarch64) {
    return Fail(Status::kBadMachine, "e_machine is not EM_AARCH64", 18, Where::kNone, kNoIndex,
                machine);
  }
  if (version != kEvCurrent) {
    return Fail(Status::kBadVersion, "e_version is not EV_CURRENT", 20, Where::kNone, kNoIndex,
                version);
  }
  if (type == kEtExec) {
    return Fail(Status::kNotPie, "ET_EXEC; link with -pie", 16, Where::kNone, kNoIndex, type);
  }
  if (type != kEtDyn) {
    return Fail(Status::kBadType, "e_type is not ET_DYN", 16, Where::kNone, kNoIndex, type);
  }
  const uint16_t ehsize = Load16(h + 52);
  if (ehsize != kEhdrSize) {
    return Fail(Status::kBadHeader, "e_ehsize is not 64", 52, Where::kNone, kNoIndex, ehsize);
  }
  entry_ = Load64(h + 24);
  phoff_ = Load64(h + 32);
  const uint16_t phentsize = Load16(h + 54);
  const uint16_t phnum = Load16(h + 56);
  if (phentsize != kPhdrSize) {
    return Fail(Status::kBadProgramHeaders, "e_phentsize is not 56", 54, Where::kNone, kNoIndex,
                phentsize);
  }
  if (phnum == 0 || phnum == kPnXnum || phnum > kMaxProgramHeaders) {
    return Fail(Status::kBadProgramHeaders, "e_phnum is 0, PN_XNUM or above 64", 56, Where::kNone,
                kNoIndex, phnum);
  }
  phnum_ = phnum;
  if (phoff_ < kEhdrSize) {
    return Fail(Status::kBadProgramHeaders, "e_phoff overlaps the ELF header", 32, Where::kNone,
                kNoIndex, phoff_);
  }
  // phnum * 56 is at most 3584: only phoff can overflow.
  if (phoff_ > ~uint64_t{0} - uint64_t{phnum_} * kPhdrSize) {
    return Fail(Status::kBadProgramHeaders, "e_phoff + e_phnum * 56 overflows", 32, Where::kNone,
                kNoIndex, phoff_);
  }
  if (!RangeInside(phoff_, uint64_t{phnum_} * kPhdrSize, size_)) {
    return Fail(Status::kTruncated, "program header table runs past the end", phoff_);
  }
  return Status::kOk;
}

Status Validator::ProgramHeaders() {
  for (uint32_t i = 0; i < phnum_; ++i) {
    const Phdr ph = ReadPhdr(image_, phoff_ + uint64_t{i} * kPhdrSize, i);
    const Status st = ph.type == kPtLoad ? AddLoad(ph) : Other(ph);
    if (st != Status::kOk) {
      return st;
    }
  }
  if (plan_->segment_count == 0) {
    return Fail(Status::kNoSegments, "no PT_LOAD segment");
  }
  // Sorted and bounded by AddLoad: the span runs from the first segment's
  // page to the last segment's last page.
  plan_->span_size = PageUp(load_end_) - plan_->link_base;
  if (plan_->span_size > kMaxSpan) {
    return Fail(Status::kTooLarge, "PT_LOAD span exceeds 1 GiB", 0, Where::kNone, kNoIndex,
                plan_->span_size);
  }
  return Status::kOk;
}

Status Validator::AddLoad(const Phdr& ph) {
  if (ph.memsz == 0) {
    return FailPh(Status::kBadSegment, "PT_LOAD with p_memsz 0", ph);
  }
  if (ph.filesz > ph.memsz) {
    return FailPh(Status::kBadSegment, "p_filesz > p_memsz", ph, ph.filesz);
  }
  if (ph.vaddr > kMaxEnd || ph.memsz > kMaxEnd - ph.vaddr) {
    return FailPh(Status::kBadSegment, "p_vaddr + p_memsz overflows", ph, ph.vaddr);
  }
  if (ph.filesz != 0) {
    if (ph.offset > ~uint64_t{0} - ph.filesz) {
      return FailPh(Status::kBadSegment, "p_offset + p_filesz overflows", ph, ph.offset);
    }
    if (ph.offset + ph.filesz > size_) {
      return FailPh(Status::kTruncated, "segment file data runs past the end", ph, ph.offset);
    }
  }
  if (ph.align > 1 && !IsPowerOfTwo(ph.align)) {
    return FailPh(Status::kMisaligned, "p_align is not a power of two", ph, ph.align);
  }
  if (ph.vaddr % kPageSize != ph.offset % kPageSize) {
    return FailPh(Status::kMisaligned, "p_vaddr and p_offset differ modulo the page size", ph,
                  ph.vaddr);
  }
  if ((ph.flags & kPfW) != 0 && (ph.flags & kPfX) != 0) {
    return FailPh(Status::kWriteExecute, "segment is writable and executable", ph, ph.flags);
  }
  const uint32_t n = plan_->segment_count;
  if (n > 0) {
    const uint64_t prev_vaddr = load_vaddr_[n - 1];
    if (ph.vaddr < prev_vaddr) {
      return FailPh(Status::kUnsorted, "PT_LOAD p_vaddr below the previous one", ph, ph.vaddr);
    }
    // One page has one set of permissions: segments may not share pages.
    if (PageDown(ph.vaddr) < PageUp(load_end_)) {
      return FailPh(Status::kOverlap, "PT_LOAD shares a page with the previous one", ph, ph.vaddr);
    }
  } else {
    plan_->link_base = PageDown(ph.vaddr);
  }
  if (n == kMaxSegments) {
    return FailPh(Status::kTooManySegments, "more than 8 PT_LOAD segments", ph);
  }
  // Checked per segment as well as at the end, so that every span-relative
  // value below stays small.
  const uint64_t end = ph.vaddr + ph.memsz;
  if (PageUp(end) - plan_->link_base > kMaxSpan) {
    return FailPh(Status::kTooLarge, "PT_LOAD span exceeds 1 GiB", ph, end);
  }
  Segment& s = plan_->segments[n];
  s.vaddr_offset = ph.vaddr - plan_->link_base;
  s.page_offset = PageDown(s.vaddr_offset);
  s.page_size = PageUp(s.vaddr_offset + ph.memsz) - s.page_offset;
  s.file_offset = ph.offset;
  s.file_size = ph.filesz;
  s.mem_size = ph.memsz;
  s.flags = ph.flags & (kRead | kWrite | kExecute);
  if (ph.align > plan_->max_align) {
    plan_->max_align = ph.align;
  }
  load_vaddr_[n] = ph.vaddr;
  load_end_ = end;
  plan_->segment_count = n + 1;
  return Status::kOk;
}

Status Validator::Other(const Phdr& ph) {
  switch (ph.type) {
    case kPtInterp:
      return FailPh(Status::kInterpreter, "PT_INTERP: no dynamic linker", ph);
    case kPtGnuStack:
      if ((ph.flags & kPfX) != 0) {
        return FailPh(Status::kExecutableStack, "PT_GNU_STACK is executable", ph, ph.flags);
      }
      plan_->stack_size = ph.memsz;
      return Status::kOk;
    case kPtTls:
      if (extras_.has_tls) {
        return FailPh(Status::kBadTls, "more than one PT_TLS", ph);
      }
      extras_.has_tls = true;
      extras_.tls = ph;
      return Status::kOk;
    case kPtDynamic:
      if (extras_.has_dynamic) {
        return FailPh(Status::kBadDynamic, "more than one PT_DYNAMIC", ph);
      }
      extras_.has_dynamic = true;
      extras_.dynamic = ph;
      return Status::kOk;
    case kPtGnuRelro:
      if (extras_.has_relro) {
        return FailPh(Status::kBadRelro, "more than one PT_GNU_RELRO", ph);
      }
      extras_.has_relro = true;
      extras_.relro = ph;
      return Status::kOk;
    default:
      // PT_NULL, PT_PHDR, PT_NOTE, PT_GNU_EH_FRAME, PT_GNU_PROPERTY and
      // anything unknown carry nothing the loader needs (gABI: a loader
      // ignores segment types it does not know).
      return Status::kOk;
  }
}

int Validator::FileBacked(uint64_t vaddr, uint64_t size, uint64_t* file_offset) const {
  for (uint32_t i = 0; i < plan_->segment_count; ++i) {
    const uint64_t start = load_vaddr_[i];
    const Segment& s = plan_->segments[i];
    if (vaddr >= start && RangeInside(vaddr - start, size, s.file_size)) {
      *file_offset = s.file_offset + (vaddr - start);
      return static_cast<int>(i);
    }
  }
  return -1;
}

Status Validator::Entry() {
  for (uint32_t i = 0; i < plan_->segment_count; ++i) {
    const Segment& s = plan_->segments[i];
    if ((s.flags & kExecute) != 0 && entry_ >= load_vaddr_[i] &&
        entry_ - load_vaddr_[i] < s.file_size) {
      if (entry_ % 4 != 0) {
        return Fail(Status::kBadEntry, "e_entry is not 4-byte aligned", 24, Where::kNone, kNoIndex,
                    entry_);
      }
      plan_->entry_offset = entry_ - plan_->link_base;
      return Status::kOk;
    }
  }
  return Fail(Status::kBadEntry, "e_entry is not in an executable segment's file data", 24,
              Where::kNone, kNoIndex, entry_);
}

Status Validator::TlsTemplate() {
  if (!extras_.has_tls) {
    return Status::kOk;
  }
  const Phdr& ph = extras_.tls;
  if (ph.filesz > ph.memsz) {
    return FailPh(Status::kBadTls, "PT_TLS p_filesz > p_memsz", ph, ph.filesz);
  }
  if (ph.memsz > kMaxSpan) {
    return FailPh(Status::kBadTls, "PT_TLS p_memsz exceeds 1 GiB", ph, ph.memsz);
  }
  const uint64_t align = ph.align == 0 ? 1 : ph.align;
  if (!IsPowerOfTwo(align) || align > kMaxTlsAlign) {
    return FailPh(Status::kBadTls, "PT_TLS p_align not a power of two up to 4096", ph, ph.align);
  }
  // The template is read from the loaded image, so it must be loaded file
  // data, and the header's two views of it (file offset, address) agree.
  uint64_t file_offset = 0;
  if (FileBacked(ph.vaddr, ph.filesz, &file_offset) < 0 ||
      (ph.filesz != 0 && file_offset != ph.offset)) {
    return FailPh(Status::kBadTls, "PT_TLS template is not loaded file data", ph, ph.vaddr);
  }
  Tls& tls = plan_->tls;
  tls.present = true;
  tls.vaddr_offset = ph.vaddr - plan_->link_base;
  tls.file_size = ph.filesz;
  tls.mem_size = ph.memsz;
  tls.align = align;
  return Status::kOk;
}

Status Validator::Relro() {
  if (!extras_.has_relro) {
    return Status::kOk;
  }
  const Phdr& ph = extras_.relro;
  for (uint32_t i = 0; i < plan_->segment_count; ++i) {
    const Segment& s = plan_->segments[i];
    if ((s.flags & kWrite) != 0 && ph.vaddr >= load_vaddr_[i] &&
        RangeInside(ph.vaddr - load_vaddr_[i], ph.memsz, s.mem_size)) {
      // The whole pages inside the range, rounded down at both ends like
      // glibc's _dl_protect_relro: linkers pad RELRO to end on a page.
      const uint64_t begin = PageDown(ph.vaddr - plan_->link_base);
      const uint64_t end = PageDown(ph.vaddr + ph.memsz - plan_->link_base);
      plan_->relro_offset = begin;
      plan_->relro_size = end - begin;
      return Status::kOk;
    }
  }
  return FailPh(Status::kBadRelro, "PT_GNU_RELRO is not inside one writable PT_LOAD", ph, ph.vaddr);
}

Status Validator::Dynamic() {
  if (!extras_.has_dynamic) {
    return Status::kOk;
  }
  const Phdr& ph = extras_.dynamic;
  uint64_t file_offset = 0;
  if (FileBacked(ph.vaddr, ph.filesz, &file_offset) < 0 || file_offset != ph.offset) {
    return FailPh(Status::kBadDynamic, "PT_DYNAMIC is not loaded file data", ph, ph.vaddr);
  }
  // FileBacked proved [offset, offset + filesz) is inside the image.
  const uint64_t count = ph.filesz / kDynSize;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = ph.offset + i * kDynSize;
    const uint64_t tag = Load64(image_ + at);
    if (tag == kDtNull) {
      return Status::kOk;
    }
    const Status st = DynamicEntry(tag, Load64(image_ + at + 8), at, static_cast<uint32_t>(i));
    if (st != Status::kOk) {
      return st;
    }
  }
  return FailPh(Status::kBadDynamic, "PT_DYNAMIC has no DT_NULL", ph);
}

Status Validator::DynamicEntry(uint64_t tag, uint64_t value, uint64_t at, uint32_t index) {
  auto fail = [&](Status status, const char* detail) {
    return Fail(status, detail, at, Where::kDynamic, index, tag);
  };
  auto set = [&](DynValue* field) {
    if (field->seen) {
      return fail(Status::kBadDynamic, "duplicate DT_RELA* entry");
    }
    *field = DynValue{true, value, at, index};
    return Status::kOk;
  };
  switch (tag) {
    case kDtNeeded:
      return fail(Status::kUnsupportedDynamic, "DT_NEEDED: shared libraries are not supported");
    case kDtRel:
      return fail(Status::kUnsupportedDynamic, "DT_REL: AArch64 uses RELA relocations");
    case kDtRelSz:
    case kDtRelrSz:
    case kDtPltRelSz:
      if (value != 0) {
        return fail(Status::kUnsupportedDynamic, "DT_RELSZ/DT_RELRSZ/DT_PLTRELSZ is not 0");
      }
      return Status::kOk;
    case kDtRelr:
      return fail(Status::kUnsupportedDynamic, "DT_RELR: packed relocations are not supported");
    case kDtJmpRel:
      return fail(Status::kUnsupportedDynamic, "DT_JMPREL: PLT relocations are not supported");
    case kDtTextRel:
      return fail(Status::kUnsupportedDynamic, "DT_TEXTREL: text relocations are not supported");
    case kDtFlags:
      if ((value & kDfTextRel) != 0) {
        return fail(Status::kUnsupportedDynamic, "DF_TEXTREL: text relocations are not supported");
      }
      return Status::kOk;
    case kDtRela:
      return set(&rela_);
    case kDtRelaSz:
      return set(&relasz_);
    case kDtRelaEnt:
      return set(&relaent_);
    case kDtRelaCount:
      return set(&relacount_);
    default:
      // Symbol and hash tables, DT_DEBUG, DT_FLAGS_1, init/fini arrays ...:
      // a static PIE's own start-up code handles what it needs.
      return Status::kOk;
  }
}

// Fails on the DT_RELA* entry `v` (or without a location if it is absent).
Status Validator::FailDyn(const DynValue& v, Status status, const char* detail) {
  return Fail(status, detail, v.at, v.seen ? Where::kDynamic : Where::kNone, v.index, v.value);
}

Status Validator::RelocationTable() {
  if (!rela_.seen && !relasz_.seen) {
    if (relacount_.seen && relacount_.value != 0) {
      return FailDyn(relacount_, Status::kBadDynamic, "DT_RELACOUNT without DT_RELA");
    }
    return Status::kOk;
  }
  if (!rela_.seen || !relasz_.seen) {
    return FailDyn(rela_.seen ? rela_ : relasz_, Status::kBadDynamic,
                   "DT_RELA and DT_RELASZ must come together");
  }
  const uint64_t relasz = relasz_.value;
  if (relasz != 0 && (!relaent_.seen || relaent_.value != kRelaSize)) {
    return FailDyn(relaent_.seen ? relaent_ : relasz_, Status::kBadDynamic,
                   "DT_RELAENT is missing or not 24");
  }
  if (relasz % kRelaSize != 0) {
    return FailDyn(relasz_, Status::kBadDynamic, "DT_RELASZ is not a multiple of 24");
  }
  const uint64_t count = relasz / kRelaSize;
  const uint64_t relacount = relacount_.value;
  if (relacount > count) {
    return FailDyn(relacount_, Status::kBadDynamic,
                   "DT_RELACOUNT exceeds the number of relocations");
  }
  if (count == 0) {
    return Status::kOk;
  }
  // The table is read at relocation time from the span, so it must be
  // loaded file data; and in a read-only segment, so that no relocation
  // (whose targets are in writable segments, which share no page with it)
  // can rewrite the table while it is being applied.
  uint64_t table = 0;
  const int seg = FileBacked(rela_.value, relasz, &table);
  if (seg < 0 || (plan_->segments[seg].flags & kWrite) != 0) {
    return FailDyn(rela_, Status::kBadRelocationTable,
                   "DT_RELA table is not in a read-only segment's file data");
  }
  plan_->rela_offset = rela_.value - plan_->link_base;
  plan_->rela_count = count;
  plan_->relative_count = relacount;
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t* r = image_ + table + i * kRelaSize;
    const uint64_t r_offset = Load64(r);
    const uint64_t info = Load64(r + 8);
    bool apply = false;
    const Status st =
        internal::CheckRelocation(*plan_, info, r_offset - plan_->link_base, table + i * kRelaSize,
                                  static_cast<uint32_t>(i), &apply, error_);
    if (st != Status::kOk) {
      return st;
    }
    // DT_RELACOUNT promises that the first entries are all RELATIVE.
    if (i < relacount && static_cast<uint32_t>(info) != kRAarch64Relative) {
      return Fail(Status::kBadDynamic, "DT_RELACOUNT covers a non-RELATIVE relocation",
                  table + i * kRelaSize, Where::kRelocation, static_cast<uint32_t>(i),
                  static_cast<uint32_t>(info));
    }
  }
  return Status::kOk;
}

}  // namespace

Status Validate(const void* image, size_t image_size, Plan* plan, Error* error) {
  if (plan == nullptr || (image == nullptr && image_size != 0)) {
    return internal::Fail(error, Status::kBadArgument, "null image or plan");
  }
  if (image == nullptr) {
    return internal::Fail(error, Status::kTruncated, "empty image");
  }
  Validator v(static_cast<const uint8_t*>(image), image_size, plan, error);
  return v.Run();
}

}  // namespace elf
