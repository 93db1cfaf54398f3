// Validation (fdt::Init), token decoding and error reports. Node navigation
// is in fdt_nodes.cc, property access in fdt_props.cc.
// Format: Devicetree Specification v0.4, chapter 5.
#include "devicetree/lib/fdt.h"

#include "devicetree/lib/fdt_internal.h"

namespace fdt {

const char* StatusString(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kTruncated:
      return "truncated";
    case Status::kBadMagic:
      return "bad magic";
    case Status::kBadVersion:
      return "bad version";
    case Status::kBadHeader:
      return "bad header";
    case Status::kBadBlock:
      return "block out of bounds";
    case Status::kMisaligned:
      return "misaligned";
    case Status::kOverlap:
      return "overlapping blocks";
    case Status::kBadMemReserve:
      return "bad memory reservation block";
    case Status::kBadToken:
      return "bad token";
    case Status::kBadName:
      return "bad node name";
    case Status::kBadProperty:
      return "bad property";
    case Status::kBadStringOffset:
      return "bad string offset";
    case Status::kBadStructure:
      return "bad structure";
    case Status::kTooDeep:
      return "nesting too deep";
    case Status::kNoEnd:
      return "missing FDT_END";
    case Status::kNotInitialized:
      return "not initialized";
    case Status::kNotFound:
      return "not found";
    case Status::kBadValue:
      return "bad value";
    case Status::kOutOfRange:
      return "out of range";
    case Status::kBufferTooSmall:
      return "buffer too small";
    case Status::kNoTranslation:
      return "no translation";
    case Status::kUnsupported:
      return "unsupported";
  }
  return "unknown status";
}

// ---------------------------------------------------------------------------
// Validation

Status Fdt::Fail(Status status, uint32_t offset, const char* detail) {
  error_.status = status;
  error_.offset = offset;
  error_.detail = detail;
  return status;
}

namespace {

// A half-open byte range [begin, end) of the blob, for the overlap check.
struct Range {
  uint64_t begin;
  uint64_t end;
};

bool Overlaps(const Range& a, const Range& b) {
  if (a.begin == a.end || b.begin == b.end) {
    return false;
  }
  return a.begin < b.end && b.begin < a.end;
}

}  // namespace

// Checks the header, the bounds and alignment of each block and the memory
// reservation list (DT spec v0.4 §5.2, §5.3). The structure block's size is
// taken from the header for version >= 17; for version 16 it is provisional
// (up to the next block) until the structure walk finds FDT_END.
Status Fdt::CheckHeader(size_t buffer_size) {
  if (blob_ == nullptr) {
    return Fail(Status::kTruncated, 0, "null blob");
  }
  if (buffer_size < 4) {
    return Fail(Status::kTruncated, 0, "buffer shorter than the magic");
  }
  if (Be32(blob_ + kHdrMagic) != kMagic) {
    return Fail(Status::kBadMagic, kHdrMagic, "magic is not 0xd00dfeed");
  }
  if (buffer_size < kHeaderSizeV16) {
    return Fail(Status::kTruncated, 0, "buffer shorter than the header");
  }
  version_ = Be32(blob_ + kHdrVersion);
  const uint32_t last_comp = Be32(blob_ + kHdrLastCompVersion);
  if (version_ < kMinVersion) {
    return Fail(Status::kBadVersion, kHdrVersion, "version older than 16");
  }
  if (last_comp > kMaxLastCompVersion) {
    return Fail(Status::kBadVersion, kHdrLastCompVersion, "last_comp_version newer than 17");
  }
  if (last_comp > version_) {
    return Fail(Status::kBadVersion, kHdrLastCompVersion, "last_comp_version above version");
  }
  const uint32_t header_size = version_ >= 17 ? kHeaderSizeV17 : kHeaderSizeV16;
  if (buffer_size < header_size) {
    return Fail(Status::kTruncated, 0, "buffer shorter than the header");
  }
  total_size_ = Be32(blob_ + kHdrTotalSize);
  if (total_size_ < header_size) {
    return Fail(Status::kBadHeader, kHdrTotalSize, "totalsize smaller than the header");
  }
  if (total_size_ > buffer_size) {
    return Fail(Status::kTruncated, kHdrTotalSize, "totalsize exceeds the buffer");
  }
  boot_cpuid_ = Be32(blob_ + kHdrBootCpuid);
  off_struct_ = Be32(blob_ + kHdrOffStruct);
  off_strings_ = Be32(blob_ + kHdrOffStrings);
  off_memrsv_ = Be32(blob_ + kHdrOffMemRsv);
  size_strings_ = Be32(blob_ + kHdrSizeStrings);

  // Each block inside totalsize; 64-bit sums cannot overflow.
  if (off_struct_ > total_size_) {
    return Fail(Status::kBadBlock, kHdrOffStruct, "structure block starts past totalsize");
  }
  if (version_ >= 17) {
    size_struct_ = Be32(blob_ + kHdrSizeStruct);
    if (static_cast<uint64_t>(off_struct_) + size_struct_ > total_size_) {
      return Fail(Status::kBadBlock, kHdrSizeStruct, "structure block ends past totalsize");
    }
  } else {
    size_struct_ = total_size_ - off_struct_;
    if (off_strings_ > off_struct_ && off_strings_ - off_struct_ < size_struct_) {
      size_struct_ = off_strings_ - off_struct_;
    }
  }
  if (static_cast<uint64_t>(off_strings_) + size_strings_ > total_size_) {
    return Fail(Status::kBadBlock, kHdrOffStrings, "strings block ends past totalsize");
  }
  if (off_memrsv_ > total_size_) {
    return Fail(Status::kBadBlock, kHdrOffMemRsv, "memory reservation block past totalsize");
  }
  // §5.3: the memory reservation block is 8-byte aligned; §5.4: the
  // structure block is 4-byte aligned (its tokens are).
  if (off_memrsv_ % 8 != 0) {
    return Fail(Status::kMisaligned, kHdrOffMemRsv, "memory reservation block not 8-aligned");
  }
  if (off_struct_ % 4 != 0) {
    return Fail(Status::kMisaligned, kHdrOffStruct, "structure block not 4-aligned");
  }
  if (version_ >= 17 && size_struct_ % 4 != 0) {
    return Fail(Status::kMisaligned, kHdrSizeStruct, "structure block size not a multiple of 4");
  }
  // The reservation list ends with an all-zero entry (§5.3.2).
  num_memrsv_ = 0;
  for (uint64_t off = off_memrsv_;; off += 16) {
    if (off + 16 > total_size_) {
      return Fail(Status::kBadMemReserve, off_memrsv_,
                  "memory reservation list not terminated within totalsize");
    }
    if (Be64(blob_ + off) == 0 && Be64(blob_ + off + 8) == 0) {
      break;
    }
    ++num_memrsv_;
  }
  return Status::kOk;
}

namespace {

// Checks that the header and the three blocks are pairwise disjoint.
Status CheckOverlaps(const Range* ranges, const uint32_t* fields, const char** names, int count,
                     uint32_t* where, const char** detail) {
  for (int i = 0; i < count; ++i) {
    for (int j = i + 1; j < count; ++j) {
      if (Overlaps(ranges[i], ranges[j])) {
        *where = fields[j];
        *detail = names[j];
        return Status::kOverlap;
      }
    }
  }
  return Status::kOk;
}

}  // namespace

// Decodes the token at `offset` with full bounds checks. Used by Init's walk
// and, defensively, by every accessor (so forged handles are harmless).
Status Fdt::DecodeToken(uint32_t offset, Token* tok) const {
  tok->offset = offset;
  if (offset % 4 != 0) {
    tok->detail = "token not 4-aligned";
    return Status::kMisaligned;
  }
  if (size_struct_ < 4 || offset > size_struct_ - 4) {
    tok->detail = "token runs past the structure block";
    return Status::kBadToken;
  }
  const uint8_t* base = blob_ + off_struct_;
  tok->type = Be32(base + offset);
  tok->name = nullptr;
  tok->data = nullptr;
  tok->len = 0;
  switch (tok->type) {
    case kTokenBeginNode: {
      const char* name = reinterpret_cast<const char*>(base + offset + 4);
      const size_t room = size_struct_ - (offset + 4);
      const size_t n = StrNLen(name, room);
      if (n == room) {
        tok->detail = "node name not terminated within the structure block";
        return Status::kBadName;
      }
      tok->name = name;
      tok->next = static_cast<uint32_t>(Align4(offset + 4 + n + 1));
      if (tok->next > size_struct_) {
        tok->detail = "node name padding runs past the structure block";
        return Status::kBadName;
      }
      return Status::kOk;
    }
    case kTokenProp: {
      if (size_struct_ - offset < 12) {
        tok->detail = "property header runs past the structure block";
        return Status::kBadToken;
      }
      const uint32_t len = Be32(base + offset + 4);
      const uint32_t nameoff = Be32(base + offset + 8);
      const uint64_t end = Align4(static_cast<uint64_t>(offset) + 12 + len);
      if (end > size_struct_) {
        tok->detail = "property value runs past the structure block";
        return Status::kBadProperty;
      }
      tok->name = StringAt(nameoff);
      if (tok->name == nullptr) {
        tok->detail = "property name offset outside the strings block or unterminated";
        return Status::kBadStringOffset;
      }
      tok->data = base + offset + 12;
      tok->len = len;
      tok->next = static_cast<uint32_t>(end);
      return Status::kOk;
    }
    case kTokenEndNode:
    case kTokenNop:
    case kTokenEnd:
      tok->next = offset + 4;
      return Status::kOk;
    default:
      tok->detail = "unknown token";
      return Status::kBadToken;
  }
}

const char* Fdt::StringAt(uint32_t nameoff) const {
  if (nameoff >= size_strings_) {
    return nullptr;
  }
  const char* s = reinterpret_cast<const char*>(blob_ + off_strings_ + nameoff);
  const size_t room = size_strings_ - nameoff;
  return StrNLen(s, room) == room ? nullptr : s;
}

// Walks the whole structure block (§5.4): every token decodes in bounds,
// nesting balances within kMaxDepth, exactly one root, properties precede
// child nodes (§5.4.2), and FDT_END ends the block.
Status Fdt::CheckStructure() {
  uint32_t open = 0;       // nodes currently open
  uint64_t had_child = 0;  // bit d: the open node at depth d has a child
  bool seen_root = false;
  uint32_t off = 0;
  num_nodes_ = 0;
  for (;;) {
    if (off >= size_struct_) {
      return Fail(Status::kNoEnd, off_struct_ + off, "structure block ends without FDT_END");
    }
    Token tok;
    const Status st = DecodeToken(off, &tok);
    if (st != Status::kOk) {
      return Fail(st, off_struct_ + off, tok.detail);
    }
    switch (tok.type) {
      case kTokenBeginNode:
        if (open == 0 && seen_root) {
          return Fail(Status::kBadStructure, off_struct_ + off, "more than one root node");
        }
        if (open >= static_cast<uint32_t>(kMaxDepth)) {
          return Fail(Status::kTooDeep, off_struct_ + off, "nodes nested deeper than 64");
        }
        if (open > 0) {
          const size_t n = StrLen(tok.name);
          if (n == 0) {
            return Fail(Status::kBadName, off_struct_ + off, "empty node name");
          }
          if (MemChr(tok.name, '/', n) != nullptr) {
            return Fail(Status::kBadName, off_struct_ + off, "node name contains '/'");
          }
          had_child |= uint64_t{1} << (open - 1);
        } else {
          seen_root = true;
          root_ = off;
        }
        had_child &= ~(uint64_t{1} << open);
        ++open;
        ++num_nodes_;
        break;
      case kTokenEndNode:
        if (open == 0) {
          return Fail(Status::kBadStructure, off_struct_ + off, "FDT_END_NODE without a node");
        }
        --open;
        break;
      case kTokenProp:
        if (open == 0) {
          return Fail(Status::kBadStructure, off_struct_ + off, "property outside any node");
        }
        if (had_child & (uint64_t{1} << (open - 1))) {
          return Fail(Status::kBadStructure, off_struct_ + off, "property after a child node");
        }
        break;
      case kTokenNop:
        break;
      case kTokenEnd:
        if (open != 0) {
          return Fail(Status::kBadStructure, off_struct_ + off, "FDT_END inside an open node");
        }
        if (!seen_root) {
          return Fail(Status::kBadStructure, off_struct_ + off, "no root node");
        }
        if (version_ < 17) {
          size_struct_ = tok.next;
        } else if (tok.next != size_struct_) {
          return Fail(Status::kNoEnd, off_struct_ + off,
                      "FDT_END is not the last token of the structure block");
        }
        return Status::kOk;
    }
    off = tok.next;
  }
}

Status Init(const void* blob, size_t buffer_size, Fdt* out) {
  Fdt f;
  f.blob_ = static_cast<const uint8_t*>(blob);
  Status st = f.CheckHeader(buffer_size);
  const uint32_t header_size = f.version_ >= 17 ? kHeaderSizeV17 : kHeaderSizeV16;
  const uint32_t fields[4] = {0, kHdrOffMemRsv, kHdrOffStruct, kHdrOffStrings};
  const char* names[4] = {"header", "memory reservation block overlaps",
                          "structure block overlaps another block",
                          "strings block overlaps another block"};
  auto overlap_check = [&]() {
    const Range ranges[4] = {
        {0, header_size},
        {f.off_memrsv_, f.off_memrsv_ + 16 * (static_cast<uint64_t>(f.num_memrsv_) + 1)},
        {f.off_struct_, static_cast<uint64_t>(f.off_struct_) + f.size_struct_},
        {f.off_strings_, static_cast<uint64_t>(f.off_strings_) + f.size_strings_},
    };
    uint32_t where = 0;
    const char* detail = nullptr;
    const Status s = CheckOverlaps(ranges, fields, names, 4, &where, &detail);
    return s == Status::kOk ? s : f.Fail(s, where, detail);
  };
  // With a version >= 17 header all block sizes are known: check overlaps
  // before the walk so that overlapping blocks are reported as such.
  if (st == Status::kOk && f.version_ >= 17) {
    st = overlap_check();
  }
  if (st == Status::kOk) {
    st = f.CheckStructure();
  }
  if (st == Status::kOk && f.version_ < 17) {
    st = overlap_check();
  }
  if (st == Status::kOk) {
    f.valid_ = true;
    f.error_ = Error{Status::kOk, 0, "ok"};
    *out = f;
  } else {
    // Leave nothing half-validated behind: only the error survives.
    Fdt failed;
    failed.error_ = f.error_;
    *out = failed;
  }
  return st;
}

size_t Fdt::FormatError(char* buf, size_t size) const {
  Writer w{buf, size};
  w.Put(StatusString(error_.status));
  w.Put(" at offset ");
  w.Hex(error_.offset);
  w.Put(": ");
  w.Put(error_.detail != nullptr ? error_.detail : "");
  w.Terminate();
  return w.len;
}

}  // namespace fdt
