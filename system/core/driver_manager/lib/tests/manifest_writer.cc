#include "system/core/driver_manager/lib/tests/manifest_writer.h"

namespace dm_test {

void Put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[off + i] = uint8_t(v >> (8 * i));
  }
}

void Put64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  Put32(b, off, uint32_t(v));
  Put32(b, off + 4, uint32_t(v >> 32));
}

namespace {

uint32_t AddString(std::vector<uint8_t>& strings, const std::string& s) {
  const uint32_t off = uint32_t(strings.size());
  strings.insert(strings.end(), s.begin(), s.end());
  strings.push_back(0);
  return off;
}

}  // namespace

std::vector<uint8_t> Encode(const ManifestSpec& spec) {
  std::vector<uint8_t> strings;
  std::vector<uint8_t> binds;
  std::vector<uint8_t> conds;
  const uint32_t name = AddString(strings, spec.name);
  const uint32_t binary = AddString(strings, spec.binary);
  const uint32_t argument = spec.has_argument ? AddString(strings, spec.argument) : 0;
  uint32_t cond_index = 0;
  for (const BindSpec& b : spec.binds) {
    const size_t at = binds.size();
    binds.resize(at + dm::kBindEntrySize);
    Put32(binds, at, AddString(strings, b.compatible));
    Put32(binds, at + 4, cond_index);
    Put32(binds, at + 8, uint32_t(b.conditions.size()));
    for (const CondSpec& c : b.conditions) {
      const size_t cat = conds.size();
      conds.resize(cat + dm::kConditionEntrySize);
      Put32(conds, cat, AddString(strings, c.property));
      Put32(conds, cat + 4, uint32_t(c.kind));
      Put32(conds, cat + 8,
            c.kind == dm::ConditionKind::kString ? AddString(strings, c.string) : c.u32);
      ++cond_index;
    }
  }
  std::vector<uint8_t> out(dm::kManifestHeaderSize);
  const uint32_t binds_off = dm::kManifestHeaderSize;
  const uint32_t conds_off = binds_off + uint32_t(binds.size());
  const uint32_t strings_off = conds_off + uint32_t(conds.size());
  Put32(out, 0, dm::kManifestMagic);
  out[4] = dm::kManifestVersion;
  out[6] = uint8_t(dm::kManifestHeaderSize);
  Put32(out, 8, strings_off + uint32_t(strings.size()));
  Put32(out, 12, spec.has_argument ? dm::kManifestHasArgument : 0);
  Put32(out, 52, argument);
  Put32(out, 16, name);
  Put32(out, 20, binary);
  Put32(out, 24, binds_off);
  Put32(out, 28, uint32_t(spec.binds.size()));
  Put32(out, 32, conds_off);
  Put32(out, 36, cond_index);
  Put32(out, 40, strings_off);
  Put32(out, 44, uint32_t(strings.size()));
  Put32(out, 48, spec.restart.max_restarts);
  Put64(out, 56, spec.restart.window_ns);
  Put64(out, 64, spec.restart.backoff_initial_ns);
  Put64(out, 72, spec.restart.backoff_max_ns);
  Put64(out, 80, spec.restart.stable_ns);
  Put64(out, 88, spec.liveness_ns);
  out.insert(out.end(), binds.begin(), binds.end());
  out.insert(out.end(), conds.begin(), conds.end());
  out.insert(out.end(), strings.begin(), strings.end());
  return out;
}

}  // namespace dm_test
