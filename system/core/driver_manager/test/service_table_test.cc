// The manager's service table (service_table.h): publishing, a restarted
// driver replacing its entry, a dead node's services leaving, lookups and
// every refusal, with fake node numbers.
#include <gtest/gtest.h>
#include <string.h>

#include <string>

#include "system/core/driver_manager/service_table.h"

namespace driver_manager {
namespace {

constexpr const char* kBlock = "block.Block";
constexpr const char* kRtc = "rtc.Rtc";

uint32_t MustPublish(ServiceTable& t, uint32_t node, const char* cls, const char* proto,
                     uint16_t version) {
  uint32_t instance = ~0u;
  EXPECT_EQ(t.Publish(node, cls, proto, version, &instance), MICA_OK);
  return instance;
}

mica_status_t Open(const ServiceTable& t, const char* cls, uint32_t instance, const char* proto,
                   uint16_t version, uint32_t* node = nullptr) {
  uint32_t n = kNoServiceNode;
  mica_status_t s = t.Resolve(cls, instance, proto, version, &n);
  if (node != nullptr) {
    *node = n;
  }
  return s;
}

TEST(ServiceTable, InstancesAreNumberedPerClassInPublishingOrder) {
  ServiceTable t;
  EXPECT_EQ(MustPublish(t, 10, "block", kBlock, 1), 0u);
  EXPECT_EQ(MustPublish(t, 11, "rtc", kRtc, 1), 0u);
  EXPECT_EQ(MustPublish(t, 12, "block", kBlock, 1), 1u);
  EXPECT_EQ(MustPublish(t, 13, "block", kBlock, 1), 2u);
  for (uint32_t i = 0; i < 3; i++) {
    uint32_t node = 0;
    EXPECT_EQ(Open(t, "block", i, kBlock, 1, &node), MICA_OK);
    EXPECT_EQ(node, (i == 0 ? 10u : 11u + i));
  }
  uint32_t node = 0;
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1, &node), MICA_OK);
  EXPECT_EQ(node, 11u);
  EXPECT_EQ(t.listed_count(), 4u);
}

TEST(ServiceTable, RestartedDriverKeepsItsInstanceAndReplacesTheProtocol) {
  ServiceTable t;
  MustPublish(t, 1, "block", kBlock, 1);
  MustPublish(t, 2, "block", kBlock, 1);
  t.DriverEnded(1);
  EXPECT_EQ(Open(t, "block", 0, kBlock, 1), MICA_ERR_UNAVAILABLE);
  EXPECT_EQ(Open(t, "block", 1, kBlock, 1), MICA_OK);  // the other node is untouched
  // The restarted driver speaks a newer version: the old one is refused.
  EXPECT_EQ(MustPublish(t, 1, "block", kBlock, 2), 0u);
  EXPECT_EQ(Open(t, "block", 0, kBlock, 2), MICA_OK);
  EXPECT_EQ(Open(t, "block", 0, kBlock, 1), MICA_ERR_NOT_SUPPORTED);
  EXPECT_EQ(t.count(), 2u);  // replaced, not added
}

TEST(ServiceTable, EveryRestartKeepsOneEntry) {
  ServiceTable t;
  for (int round = 0; round < 3 * static_cast<int>(kMaxServices); round++) {
    EXPECT_EQ(MustPublish(t, 7, "rtc", kRtc, 1), 0u);
    t.DriverEnded(7);
    EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1), MICA_ERR_UNAVAILABLE);
  }
  EXPECT_EQ(t.count(), 1u);
}

TEST(ServiceTable, DeadNodeLeavesTheListingAndComesBackWithItsInstance) {
  ServiceTable t;
  MustPublish(t, 1, "block", kBlock, 1);
  MustPublish(t, 2, "block", kBlock, 1);
  t.DriverEnded(1);
  t.NodeGone(1);
  EXPECT_EQ(Open(t, "block", 0, kBlock, 1), MICA_ERR_NOT_FOUND);
  // Even with the wrong protocol: a gone service says nothing about itself.
  EXPECT_EQ(Open(t, "block", 0, kRtc, 1), MICA_ERR_NOT_FOUND);
  ASSERT_EQ(t.listed_count(), 1u);
  EXPECT_EQ(t.listed(0)->node, 2u);
  EXPECT_EQ(t.listed(1), nullptr);
  // A new node of the class does not take the gone node's number...
  EXPECT_EQ(MustPublish(t, 3, "block", kBlock, 1), 2u);
  // ...and the node that comes back (a re-added child) gets it again.
  EXPECT_EQ(MustPublish(t, 1, "block", kBlock, 1), 0u);
  EXPECT_EQ(Open(t, "block", 0, kBlock, 1), MICA_OK);
  EXPECT_EQ(t.listed_count(), 3u);
}

TEST(ServiceTable, NodeGoneWithoutEndingFirstAndUnknownNodesChangeNothingElse) {
  ServiceTable t;
  MustPublish(t, 1, "rtc", kRtc, 1);
  MustPublish(t, 2, "block", kBlock, 1);
  t.NodeGone(99);
  t.DriverEnded(98);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1), MICA_OK);
  t.NodeGone(1);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1), MICA_ERR_NOT_FOUND);
  EXPECT_EQ(Open(t, "block", 0, kBlock, 1), MICA_OK);
  t.DriverEnded(1);  // a gone node's services do not become "restarting"
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1), MICA_ERR_NOT_FOUND);
}

TEST(ServiceTable, RefusalsAreDistinctAndInOrder) {
  ServiceTable t;
  MustPublish(t, 1, "rtc", kRtc, 1);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1), MICA_OK);
  EXPECT_EQ(Open(t, "rtc", 1, kRtc, 1), MICA_ERR_NOT_FOUND);
  EXPECT_EQ(Open(t, "clock", 0, kRtc, 1), MICA_ERR_NOT_FOUND);
  EXPECT_EQ(Open(t, "rtc", 0, kBlock, 1), MICA_ERR_WRONG_TYPE);
  EXPECT_EQ(Open(t, "rtc", 0, "rtc.Rtc2", 1), MICA_ERR_WRONG_TYPE);
  EXPECT_EQ(Open(t, "rtc", 0, "rtc.Rt", 1), MICA_ERR_WRONG_TYPE);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 2), MICA_ERR_NOT_SUPPORTED);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 0), MICA_ERR_NOT_SUPPORTED);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 0xFFFF), MICA_ERR_NOT_SUPPORTED);
  // A protocol mismatch is reported before the version, and both before
  // "restarting": a client retrying UNAVAILABLE would otherwise wait for
  // a service it can never use.
  t.DriverEnded(1);
  EXPECT_EQ(Open(t, "rtc", 0, kBlock, 7), MICA_ERR_WRONG_TYPE);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 7), MICA_ERR_NOT_SUPPORTED);
  EXPECT_EQ(Open(t, "rtc", 0, kRtc, 1), MICA_ERR_UNAVAILABLE);
  EXPECT_EQ(Open(t, "rtc", 1, kRtc, 1), MICA_ERR_NOT_FOUND);
}

TEST(ServiceTable, EveryVersionButThePublishedOneIsRefused) {
  ServiceTable t;
  MustPublish(t, 1, "rtc", kRtc, 3);
  for (uint32_t v = 0; v <= 0xFFFF; v++) {
    EXPECT_EQ(Open(t, "rtc", 0, kRtc, static_cast<uint16_t>(v)),
              v == 3 ? MICA_OK : MICA_ERR_NOT_SUPPORTED)
        << v;
  }
}

TEST(ServiceTable, BadNamesAreRefusedNeverTruncated) {
  ServiceTable t;
  std::string longest(kServiceNameSize - 1, 'c');
  std::string too_long(kServiceNameSize, 'c');
  uint32_t instance = 0;
  EXPECT_EQ(t.Publish(1, "", kRtc, 1, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.Publish(1, "rtc", "", 1, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.Publish(1, nullptr, kRtc, 1, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.Publish(1, too_long.c_str(), kRtc, 1, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.Publish(1, "rtc", too_long.c_str(), 1, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.Publish(1, "rtc", kRtc, 0, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.Publish(kNoServiceNode, "rtc", kRtc, 1, &instance), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t.count(), 0u);
  EXPECT_EQ(t.Publish(1, longest.c_str(), longest.c_str(), 1, &instance), MICA_OK);
  EXPECT_EQ(Open(t, longest.c_str(), 0, longest.c_str(), 1), MICA_OK);
  EXPECT_EQ(Open(t, too_long.c_str(), 0, longest.c_str(), 1), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(Open(t, longest.c_str(), 0, too_long.c_str(), 1), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(Open(t, "", 0, kRtc, 1), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(Open(t, "rtc", 0, "", 1), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(Open(t, nullptr, 0, kRtc, 1), MICA_ERR_INVALID_ARGS);
}

TEST(ServiceTable, FullTableRefusesNewEntriesButNotReplacements) {
  ServiceTable t;
  for (uint32_t i = 0; i < kMaxServices; i++) {
    EXPECT_EQ(MustPublish(t, i, "block", kBlock, 1), i);
  }
  uint32_t instance = 0;
  EXPECT_EQ(t.Publish(kMaxServices, "block", kBlock, 1, &instance), MICA_ERR_NO_RESOURCES);
  t.DriverEnded(5);
  EXPECT_EQ(t.Publish(5, "block", kBlock, 1, &instance), MICA_OK);
  EXPECT_EQ(instance, 5u);
  EXPECT_EQ(t.listed_count(), kMaxServices);
}

// One driver publishing class after class (a flood) gets kMaxServicesPerNode
// entries, the rest NO_RESOURCES; the table keeps room for every other node,
// and the flooding node can still replace its own entries.
TEST(ServiceTable, OneNodeCannotFillTheTable) {
  ServiceTable t;
  uint32_t instance = 0;
  for (uint32_t i = 0; i < kMaxServices; i++) {
    std::string cls = "flood" + std::to_string(i);
    mica_status_t want = i < kMaxServicesPerNode ? MICA_OK : MICA_ERR_NO_RESOURCES;
    EXPECT_EQ(t.Publish(7, cls.c_str(), kBlock, 1, &instance), want) << cls;
  }
  EXPECT_EQ(t.count(), kMaxServicesPerNode);
  EXPECT_EQ(t.Publish(7, "flood0", kRtc, 2, &instance), MICA_OK);
  t.NodeGone(7);  // gone entries stay reserved for the node: still bounded
  EXPECT_EQ(t.Publish(7, "another", kBlock, 1, &instance), MICA_ERR_NO_RESOURCES);
  for (uint32_t i = 0; i < kMaxServices - kMaxServicesPerNode; i++) {
    EXPECT_EQ(MustPublish(t, 100 + i, "block", kBlock, 1), i);  // other nodes
  }
  EXPECT_EQ(t.count(), kMaxServices);
}

// Names reach console lines (`driver: published <class>/<n>`) and the
// `<class>/<instance>` form: printable ASCII without space or '/' only, so
// no name can start a line of its own or split that form.
TEST(ServiceTable, NamesWithSpaceSlashOrControlBytesAreRefused) {
  ServiceTable t;
  uint32_t instance = 0;
  for (const char* bad : {"a\nb", "a b", "a/b", "\t", "x\x7f", "\x80", "\rdriver: failed"}) {
    EXPECT_EQ(t.Publish(1, bad, kRtc, 1, &instance), MICA_ERR_INVALID_ARGS) << bad;
    EXPECT_EQ(t.Publish(1, "rtc", bad, 1, &instance), MICA_ERR_INVALID_ARGS) << bad;
    EXPECT_EQ(Open(t, bad, 0, kRtc, 1), MICA_ERR_INVALID_ARGS) << bad;
  }
  EXPECT_EQ(t.count(), 0u);
  EXPECT_EQ(MustPublish(t, 1, "a-b_c.d,e+f#~!", "lib.Proto", 1), 0u);
}

TEST(ServiceTable, ListingShowsRestartingButNotGone) {
  ServiceTable t;
  MustPublish(t, 1, "rtc", kRtc, 1);
  MustPublish(t, 2, "block", kBlock, 1);
  MustPublish(t, 3, "entropy", "entropy.Entropy", 1);
  t.DriverEnded(1);
  t.NodeGone(2);
  ASSERT_EQ(t.listed_count(), 2u);
  EXPECT_STREQ(t.listed(0)->service_class, "rtc");
  EXPECT_EQ(t.listed(0)->state, ServiceState::kRestarting);
  EXPECT_STREQ(t.listed(1)->protocol, "entropy.Entropy");
  EXPECT_EQ(t.listed(1)->state, ServiceState::kAvailable);
  EXPECT_EQ(t.listed(2), nullptr);
}

}  // namespace
}  // namespace driver_manager
