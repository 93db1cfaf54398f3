// See mounts.h.
#include "system/core/fs/service/mounts.h"

#include <string.h>

namespace fs {
namespace {

void CopyText(char* to, size_t capacity, const char* from) {
  size_t n = strlen(from);
  n = n < capacity - 1 ? n : capacity - 1;
  memcpy(to, from, n);
  to[n] = '\0';
}

MountRecord* FirstUnnamed(MountRecord* records, size_t count, bool (*fits)(const MountRecord&)) {
  for (size_t i = 0; i < count; ++i) {
    if (records[i].mounted && records[i].name[0] == '\0' && fits(records[i])) {
      return &records[i];
    }
  }
  return nullptr;
}

}  // namespace

void AssignNames(MountRecord* records, size_t count) {
  if (FindByName(records, count, "boot") == nullptr) {
    if (MountRecord* r =
            FirstUnnamed(records, count, [](const MountRecord& m) { return m.boot_files; })) {
      CopyText(r->name, sizeof(r->name), "boot");
    }
  }
  if (FindByName(records, count, "data") == nullptr) {
    MountRecord* r = FirstUnnamed(
        records, count, [](const MountRecord& m) { return strcmp(m.label, "MICADATA") == 0; });
    if (r == nullptr) {
      r = FirstUnnamed(records, count, [](const MountRecord&) { return true; });
    }
    if (r != nullptr) {
      CopyText(r->name, sizeof(r->name), "data");
    }
  }
}

MountRecord* FindByName(MountRecord* records, size_t count, const char* name) {
  for (size_t i = 0; i < count; ++i) {
    if (strcmp(records[i].name, name) == 0) {
      return &records[i];
    }
  }
  return nullptr;
}

bool HasBootFiles(fat::Volume& volume) {
  static constexpr const char* kFiles[] = {"boot.scr", "Image"};
  const fat::Entry root = volume.Root();
  for (const char* file : kFiles) {
    fat::Entry e;
    if (volume.LookupIn(root, file, strlen(file), &e) == fat::Status::kOk && !e.is_directory()) {
      return true;
    }
  }
  return false;
}

void ToMount(const MountRecord& record, idl::fs::Mount* out) {
  out->name.SetLossy(record.name, strlen(record.name));
  out->device.SetLossy(record.device, strlen(record.device));
  out->partition = record.partition;
  out->partition_type = record.part.type;
  out->offset = record.part.offset;
  out->size = record.part.size;
  out->state = record.mounted ? idl::fs::MountState::MOUNTED : idl::fs::MountState::FAILED;
  out->detail.SetLossy(record.detail, strlen(record.detail));
}

void SetDetail(MountRecord* record, const char* text) {
  CopyText(record->detail, sizeof(record->detail), text);
}

}  // namespace fs
