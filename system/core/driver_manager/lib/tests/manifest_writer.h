// Test-side encoder of the binary manifest layout (manifest.h), written
// from the layout comment, independently of sdk/tools/manifestc.py. Lets
// the reader and matcher tests build manifests and then break them field by
// field.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "system/core/driver_manager/lib/manifest.h"

namespace dm_test {

struct CondSpec {
  std::string property;
  dm::ConditionKind kind = dm::ConditionKind::kPresent;
  uint32_t u32 = 0;
  std::string string;
};

struct BindSpec {
  std::string compatible;
  std::vector<CondSpec> conditions;
};

struct ManifestSpec {
  std::string name = "drv";
  std::string binary = "bin/drv";
  bool has_argument = false;
  std::string argument;
  std::vector<BindSpec> binds;
  dm::RestartPolicy restart;
  uint64_t liveness_ns = 0;
};

std::vector<uint8_t> Encode(const ManifestSpec& spec);

// Little-endian patch helpers.
void Put32(std::vector<uint8_t>& b, size_t off, uint32_t v);
void Put64(std::vector<uint8_t>& b, size_t off, uint64_t v);

}  // namespace dm_test
