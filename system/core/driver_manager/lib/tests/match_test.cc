// Matching: compatible order (most specific wins), property conditions,
// deterministic ties independent of load order, published child nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "devicetree/tests/test_util.h"
#include "system/core/driver_manager/lib/match.h"
#include "system/core/driver_manager/lib/resources.h"
#include "system/core/driver_manager/lib/tests/manifest_writer.h"

namespace {

using dm::ConditionKind;
using dm_test::BindSpec;
using dm_test::CondSpec;
using dm_test::ManifestSpec;

// Owns encoded manifests and their parsed views.
struct Set {
  std::vector<std::vector<uint8_t>> blobs;
  std::vector<dm::Manifest> parsed;

  explicit Set(const std::vector<ManifestSpec>& specs) {
    for (const ManifestSpec& s : specs) {
      blobs.push_back(dm_test::Encode(s));
    }
    parsed.resize(blobs.size());
    for (size_t i = 0; i < blobs.size(); ++i) {
      dm::Error err;
      EXPECT_EQ(dm::ParseManifest(blobs[i].data(), blobs[i].size(), &parsed[i], &err),
                dm::Status::kOk)
          << err.message;
    }
  }
  // The name of the driver bound to `node`, or "" if unbound.
  std::string Match(const dm::NodeProperties& node, uint32_t* compat_index = nullptr) const {
    dm::MatchResult r;
    if (!dm::MatchNode(parsed.data(), uint32_t(parsed.size()), node, &r)) {
      return "";
    }
    if (compat_index) {
      *compat_index = r.compatible_index;
    }
    return parsed[r.manifest].name();
  }
};

ManifestSpec Driver(const std::string& name, std::vector<BindSpec> binds) {
  ManifestSpec s;
  s.name = name;
  s.binary = "bin/" + name;
  s.binds = std::move(binds);
  return s;
}

std::vector<uint8_t> Cell(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}
std::vector<uint8_t> Strings(std::initializer_list<std::string> list) {
  std::vector<uint8_t> v;
  for (const std::string& s : list) {
    v.insert(v.end(), s.begin(), s.end());
    v.push_back(0);
  }
  return v;
}

// A published child node from owned property values.
struct Child {
  std::vector<std::string> names;
  std::vector<std::vector<uint8_t>> values;
  std::vector<dm::PropertyEntry> entries;
  Child(std::vector<std::pair<std::string, std::vector<uint8_t>>> props) {
    for (auto& [n, v] : props) {
      names.push_back(n);
      values.push_back(v);
    }
    for (size_t i = 0; i < names.size(); ++i) {
      entries.push_back({names[i].c_str(), values[i].data(), uint32_t(values[i].size())});
    }
  }
  dm::PropertyListNode View() const {
    return dm::PropertyListNode(entries.data(), uint32_t(entries.size()));
  }
};

TEST(Match, MostSpecificCompatibleWinsWhateverTheOrder) {
  std::vector<ManifestSpec> specs = {Driver("generic", {{"vendor,generic", {}}}),
                                     Driver("exact", {{"vendor,exact", {}}}),
                                     Driver("other", {{"vendor,other", {}}})};
  const Child node({{"compatible", Strings({"vendor,exact", "vendor,generic"})}});
  const Child generic_only({{"compatible", Strings({"vendor,unknown", "vendor,generic"})}});
  std::sort(specs.begin(), specs.end(),
            [](const ManifestSpec& a, const ManifestSpec& b) { return a.name < b.name; });
  do {
    const Set set(specs);
    uint32_t index = 99;
    EXPECT_EQ(set.Match(node.View(), &index), "exact");
    EXPECT_EQ(index, 0u);
    EXPECT_EQ(set.Match(generic_only.View(), &index), "generic");
    EXPECT_EQ(index, 1u);
  } while (std::next_permutation(specs.begin(), specs.end(),
                                 [](const auto& a, const auto& b) { return a.name < b.name; }));
}

TEST(Match, UnboundNodes) {
  const Set set({Driver("a", {{"vendor,a", {}}})});
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"vendor,b"})}}).View()), "");
  EXPECT_EQ(set.Match(Child({{"reg", Cell(1)}}).View()), "");
  // A malformed (unterminated) compatible has no strings.
  EXPECT_EQ(set.Match(Child({{"compatible", {'v', 'e'}}}).View()), "");
  EXPECT_EQ(Set({}).Match(Child({{"compatible", Strings({"vendor,a"})}}).View()), "");
}

TEST(Match, PropertyConditions) {
  const Set set({
      Driver("virtio-blk", {{"virtio,device", {{"virtio,device-id", ConditionKind::kU32, 2, ""}}}}),
      Driver("virtio-rng", {{"virtio,device", {{"virtio,device-id", ConditionKind::kU32, 4, ""}}}}),
      Driver("typed", {{"test,typed", {{"device-type", ConditionKind::kString, 0, "serial"}}}}),
      Driver("flagged", {{"test,flag", {{"test,enable", ConditionKind::kPresent, 0, ""}}}}),
  });
  const auto virtio = [](uint32_t id) {
    return Child({{"compatible", Strings({"virtio,device"})}, {"virtio,device-id", Cell(id)}});
  };
  EXPECT_EQ(set.Match(virtio(2).View()), "virtio-blk");
  EXPECT_EQ(set.Match(virtio(4).View()), "virtio-rng");
  EXPECT_EQ(set.Match(virtio(1).View()), "");
  // A u32 condition needs exactly one cell.
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"virtio,device"})},
                             {"virtio,device-id", {0, 0, 0, 2, 0, 0, 0, 0}}})
                          .View()),
            "");
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"virtio,device"})}}).View()), "");
  // Strings: exactly one equal string.
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"test,typed"})},
                             {"device-type", Strings({"serial"})}})
                          .View()),
            "typed");
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"test,typed"})},
                             {"device-type", Strings({"serial", "x"})}})
                          .View()),
            "");
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"test,typed"})},
                             {"device-type", Strings({"seria"})}})
                          .View()),
            "");
  // Presence.
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"test,flag"})}, {"test,enable", {}}}).View()),
            "flagged");
  EXPECT_EQ(set.Match(Child({{"compatible", Strings({"test,flag"})}}).View()), "");
}

// A failed condition on the specific compatible falls through to the next.
TEST(Match, ConditionFailureFallsThroughToLaterCompatible) {
  const Set set({
      Driver("special", {{"vendor,exact", {{"rev", ConditionKind::kU32, 2, ""}}}}),
      Driver("generic", {{"vendor,generic", {}}}),
  });
  const Child rev1({{"compatible", Strings({"vendor,exact", "vendor,generic"})}, {"rev", Cell(1)}});
  const Child rev2({{"compatible", Strings({"vendor,exact", "vendor,generic"})}, {"rev", Cell(2)}});
  EXPECT_EQ(set.Match(rev1.View()), "generic");
  EXPECT_EQ(set.Match(rev2.View()), "special");
}

TEST(Match, TiesAreDeterministic) {
  std::vector<ManifestSpec> specs = {
      Driver("zeta", {{"vendor,x", {}}}),
      Driver("alpha", {{"vendor,x", {}}}),
      Driver("conditional", {{"vendor,x", {{"rev", ConditionKind::kPresent, 0, ""}}}}),
  };
  const Child plain({{"compatible", Strings({"vendor,x"})}});
  const Child with_rev({{"compatible", Strings({"vendor,x"})}, {"rev", Cell(0)}});
  std::sort(specs.begin(), specs.end(),
            [](const ManifestSpec& a, const ManifestSpec& b) { return a.name < b.name; });
  do {
    const Set set(specs);
    EXPECT_EQ(set.Match(plain.View()), "alpha");           // smaller name
    EXPECT_EQ(set.Match(with_rev.View()), "conditional");  // more conditions
  } while (std::next_permutation(specs.begin(), specs.end(),
                                 [](const auto& a, const auto& b) { return a.name < b.name; }));
}

// Devicetree nodes through FdtNodeProperties: QEMU virt's primecells.
TEST(Match, VirtFixtureNodes) {
  const fdt_test::ExactBuffer buf(fdt_test::ReadFixture("virt-gicv3-smp2-512M.dtb"));
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  const Set set({
      Driver("pl011", {{"arm,pl011", {}}}),
      Driver("primecell", {{"arm,primecell", {}}}),
      Driver("virtio-mmio", {{"virtio,mmio", {}}}),
  });
  const auto match = [&](const char* path) {
    return set.Match(dm::FdtNodeProperties(dt, dt.FindNode(path)));
  };
  EXPECT_EQ(match("/pl011@9000000"), "pl011");
  EXPECT_EQ(match("/pl031@9010000"), "primecell");
  EXPECT_EQ(match("/virtio_mmio@a003e00"), "virtio-mmio");
  EXPECT_EQ(match("/gpio-keys"), "");
  EXPECT_EQ(match("/memory@40000000"), "");
  uint32_t bound = 0;
  dm::ForEachEnabledNode(dt, [&](fdt::Node n, int) {
    bound += set.Match(dm::FdtNodeProperties(dt, n)) != "";
    return true;
  });
  EXPECT_EQ(bound, 1u + 2u + 32u);  // pl011; pl031 and pl061; the transports
}

}  // namespace
