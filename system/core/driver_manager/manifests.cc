// See manifests.h.
#include "system/core/driver_manager/manifests.h"

#include <stdio.h>
#include <string.h>

namespace driver_manager {
namespace {

constexpr char kSuffix[] = ".manifest";

bool InDir(const bootfs::File& f, const char* prefix) {
  size_t p = strlen(prefix), s = sizeof(kSuffix) - 1;
  // Directly in the directory: no further '/' after the prefix.
  return f.name_length > p + s && memcmp(f.name, prefix, p) == 0 &&
         memcmp(f.name + f.name_length - s, kSuffix, s) == 0 &&
         memchr(f.name + p, '/', f.name_length - p) == nullptr;
}

}  // namespace

uint32_t ManifestSet::LoadDir(const bootfs::Image& fs, const char* prefix) {
  uint32_t found = 0;
  for (bootfs::File f : fs) {
    if (!InDir(f, prefix)) {
      continue;
    }
    found++;
    if (count_ == kMaxManifests) {
      printf("driver-manager: bad manifest %s: more than %u manifests\n", f.name, kMaxManifests);
      continue;
    }
    dm::Error err;
    if (!fs.CheckFile(f)) {
      printf("driver-manager: bad manifest %s: its checksum does not match\n", f.name);
    } else if (dm::ParseManifest(f.data, f.size, &manifests_[count_], &err) != dm::Status::kOk) {
      printf("driver-manager: bad manifest %s: %s\n", f.name, err.message);
    } else {
      count_++;
    }
  }
  return found;
}

bool ManifestSet::Load(const bootfs::Image& fs, const char* test_set) {
  if (test_set[0] == '\0') {
    LoadDir(fs, "drivers/");
    return true;
  }
  char dir[96];
  snprintf(dir, sizeof(dir), "test/drivers/%s/", test_set);
  if (strchr(test_set, '/') != nullptr || LoadDir(fs, dir) == 0) {
    return false;
  }
  LoadDir(fs, "test/drivers/common/");
  return true;
}

const dm::Manifest* ManifestSet::Match(const dm::NodeProperties& node) const {
  dm::MatchResult r;
  return dm::MatchNode(manifests_, count_, node, &r) ? &manifests_[r.manifest] : nullptr;
}

}  // namespace driver_manager
