// TEMPORARY (until m6-write's fat.cc lands; delete this file then): the
// parts of fat.h's write API the service calls, so that it links and serves
// read-only. LookupIn walks the directory as Volume::Lookup does; every
// change answers kReadOnly, so the volume is read-only.
#include "system/core/fs/lib/fat.h"

namespace fat {
namespace {

uint8_t Upper(uint8_t c) {
  return c >= 'a' && c <= 'z' ? static_cast<uint8_t>(c - 32) : c;
}

bool NamesEqual(const char* a, size_t a_length, const char* b, size_t b_length) {
  if (a_length != b_length) {
    return false;
  }
  for (size_t i = 0; i < a_length; ++i) {
    if (Upper(static_cast<uint8_t>(a[i])) != Upper(static_cast<uint8_t>(b[i]))) {
      return false;
    }
  }
  return true;
}

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

}  // namespace

Status Volume::LookupIn(const Entry& dir, const char* name, size_t length, Entry* entry) {
  if (!dir.is_directory()) {
    return Status::kNotADirectory;
  }
  if (length == 0 || length > kMaxNameBytes) {
    return Status::kBadPath;
  }
  DirIterator it;
  if (Status s = OpenDir(dir, &it); s != Status::kOk) {
    return s;
  }
  for (;;) {
    Status s = it.Next(entry);
    if (s == Status::kBadDirEntry) {
      continue;
    }
    if (s != Status::kOk) {
      return s;
    }
    if (NamesEqual(entry->name, entry->name_length, name, length) ||
        NamesEqual(entry->short_name, Length(entry->short_name), name, length)) {
      return Status::kOk;
    }
  }
}

void Volume::SetTime(uint64_t) {}
Status Volume::Create(const Entry&, const char*, size_t, bool, Entry*) {
  return Status::kReadOnly;
}
Status Volume::Write(Entry*, uint64_t, const void*, size_t, size_t* done) {
  *done = 0;
  return Status::kReadOnly;
}
Status Volume::Truncate(Entry*, uint64_t) {
  return Status::kReadOnly;
}
Status Volume::Remove(const Entry&) {
  return Status::kReadOnly;
}
Status Volume::Rename(const Entry&, const Entry&, const char*, size_t, Entry*) {
  return Status::kReadOnly;
}
Status Volume::Sync() {
  return Status::kOk;
}
Status Volume::FreeClusters(uint32_t* count) {
  *count = 0;
  for (uint32_t c = 2; c - 2 < cluster_count_; ++c) {
    uint32_t value = 0;
    if (Status s = FatEntry(c, &value); s != Status::kOk) {
      return s;
    }
    *count += value == 0 ? 1 : 0;
  }
  return Status::kOk;
}
bool Volume::read_only() const {
  return true;
}
const char* Volume::label() const {
  return "";
}

}  // namespace fat
