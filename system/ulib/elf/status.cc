// Status names and error formatting (no libc: a tiny bounded writer).
#include "system/ulib/elf/elf.h"

namespace elf {

const char* StatusString(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kTruncated:
      return "truncated";
    case Status::kBadMagic:
      return "not an ELF file";
    case Status::kBadClass:
      return "not ELF64";
    case Status::kBadEncoding:
      return "not little-endian";
    case Status::kBadVersion:
      return "bad ELF version";
    case Status::kBadMachine:
      return "not AArch64";
    case Status::kNotPie:
      return "not position independent (ET_EXEC)";
    case Status::kBadType:
      return "not an executable";
    case Status::kBadHeader:
      return "bad ELF header";
    case Status::kBadProgramHeaders:
      return "bad program header table";
    case Status::kNoSegments:
      return "no loadable segment";
    case Status::kTooManySegments:
      return "too many loadable segments";
    case Status::kBadSegment:
      return "bad segment";
    case Status::kMisaligned:
      return "misaligned segment";
    case Status::kUnsorted:
      return "segments not sorted";
    case Status::kOverlap:
      return "overlapping segments";
    case Status::kTooLarge:
      return "image too large";
    case Status::kWriteExecute:
      return "W^X violation";
    case Status::kExecutableStack:
      return "executable stack";
    case Status::kInterpreter:
      return "needs an interpreter";
    case Status::kBadEntry:
      return "bad entry point";
    case Status::kBadTls:
      return "bad TLS segment";
    case Status::kBadRelro:
      return "bad RELRO segment";
    case Status::kBadDynamic:
      return "bad dynamic section";
    case Status::kUnsupportedDynamic:
      return "unsupported dynamic linking feature";
    case Status::kBadRelocationTable:
      return "bad relocation table";
    case Status::kUnsupportedRelocation:
      return "unsupported relocation";
    case Status::kBadRelocation:
      return "bad relocation";
    case Status::kBadArgument:
      return "bad argument";
    case Status::kBufferTooSmall:
      return "buffer too small";
  }
  return "unknown status";
}

const char* RelocationTypeName(uint32_t type) {
  // AAELF64 relocation codes: the static data ones a compiler emits for
  // pointers, and every dynamic one.
  switch (type) {
    case 0:
      return "R_AARCH64_NONE";
    case 257:
      return "R_AARCH64_ABS64";
    case 258:
      return "R_AARCH64_ABS32";
    case 259:
      return "R_AARCH64_ABS16";
    case 260:
      return "R_AARCH64_PREL64";
    case 261:
      return "R_AARCH64_PREL32";
    case 1024:
      return "R_AARCH64_COPY";
    case 1025:
      return "R_AARCH64_GLOB_DAT";
    case 1026:
      return "R_AARCH64_JUMP_SLOT";
    case 1027:
      return "R_AARCH64_RELATIVE";
    case 1028:
      return "R_AARCH64_TLS_DTPMOD64";
    case 1029:
      return "R_AARCH64_TLS_DTPREL64";
    case 1030:
      return "R_AARCH64_TLS_TPREL64";
    case 1031:
      return "R_AARCH64_TLSDESC";
    case 1032:
      return "R_AARCH64_IRELATIVE";
    default:
      return nullptr;
  }
}

namespace {

// Appends to a fixed buffer, always NUL-terminated, counting what it would
// have written (snprintf semantics).
class Writer {
 public:
  Writer(char* buf, size_t size) : buf_(buf), size_(size) {
    if (size_ > 0) {
      buf_[0] = '\0';
    }
  }

  void Char(char c) {
    if (buf_ != nullptr && len_ + 1 < size_) {
      buf_[len_] = c;
      buf_[len_ + 1] = '\0';
    }
    ++len_;
  }
  void Str(const char* s) {
    while (s != nullptr && *s != '\0') {
      Char(*s++);
    }
  }
  void Dec(uint64_t v) { Num(v, 10); }
  void Hex(uint64_t v) {
    Str("0x");
    Num(v, 16);
  }
  size_t length() const { return len_; }

 private:
  void Num(uint64_t v, unsigned base) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v != 0);
    while (n > 0) {
      Char(digits[--n]);
    }
  }

  char* buf_;
  size_t size_;
  size_t len_ = 0;
};

const char* WhereName(Where where) {
  switch (where) {
    case Where::kProgramHeader:
      return "program header";
    case Where::kDynamic:
      return "dynamic entry";
    case Where::kRelocation:
      return "relocation";
    case Where::kNone:
      break;
  }
  return "";
}

}  // namespace

size_t FormatError(const Error& error, char* buf, size_t size) {
  Writer w(buf, size);
  w.Str("elf: ");
  w.Str(StatusString(error.status));
  if (error.status == Status::kOk) {
    return w.length();
  }
  if (error.status == Status::kUnsupportedRelocation) {
    const uint32_t type = static_cast<uint32_t>(error.value);
    w.Str(": ");
    const char* name = RelocationTypeName(type);
    w.Str(name != nullptr ? name : "type");
    w.Str(name != nullptr ? " (type " : " ");
    w.Dec(type);
    if (name != nullptr) {
      w.Char(')');
    }
  } else if (error.detail != nullptr && error.detail[0] != '\0') {
    w.Str(": ");
    w.Str(error.detail);
    w.Str(" (value ");
    w.Hex(error.value);
    w.Char(')');
  }
  w.Str(" at offset ");
  w.Hex(error.offset);
  if (error.where != Where::kNone && error.index != kNoIndex) {
    w.Str(", ");
    w.Str(WhereName(error.where));
    w.Char(' ');
    w.Dec(error.index);
  }
  return w.length();
}

}  // namespace elf
