// The driver manager's table of published services (docs/drivers.md,
// "Services"), pure so the host tests drive it with fake node numbers.
//
// Contract:
// - A service is (class, instance) published by one node, speaking one
//   protocol (`library.Protocol`) in one version. Instances are numbered
//   per class from 0 in publishing order; the same node publishing the same
//   class again (its restarted driver) replaces the entry's protocol and
//   version and keeps its instance. A class keeps at most one entry per
//   node.
// - A node holds at most kMaxServicesPerNode entries; a new class beyond
//   that is refused with MICA_ERR_NO_RESOURCES, as when the table is full.
// - DriverEnded(node): the node's services answer MICA_ERR_UNAVAILABLE
//   (its driver is restarting) until it publishes again. NodeGone(node):
//   they answer MICA_ERR_NOT_FOUND and leave the listing (the node failed
//   or was removed); the instance stays reserved for that node, so a node
//   that comes back (a re-added child) gets the same instance.
// - Resolve decides an Open, in this order: MICA_ERR_INVALID_ARGS (an empty
//   or overlong class or protocol name), MICA_ERR_NOT_FOUND (no such class
//   and instance, or gone), MICA_ERR_WRONG_TYPE (another protocol),
//   MICA_ERR_NOT_SUPPORTED (another version), MICA_ERR_UNAVAILABLE
//   (restarting), MICA_OK with the serving node.
// - Names are NUL-terminated, at most kServiceNameSize - 1 bytes of
//   printable ASCII other than space and '/' (they are printed on console
//   lines and in `<class>/<instance>`); others are refused with
//   MICA_ERR_INVALID_ARGS, never truncated.
#pragma once

#include <mica/types.h>
#include <stdint.h>

namespace driver_manager {

// A name and its NUL; the IDL's MAX_NAME (32) bytes do not all fit: a
// 32-byte name is refused.
inline constexpr uint32_t kServiceNameSize = 32;
inline constexpr uint32_t kMaxServices = 64;
// Entries one node may hold (gone ones included: their instances stay
// reserved), so no driver can fill the table for the others.
inline constexpr uint32_t kMaxServicesPerNode = 8;
inline constexpr uint32_t kNoServiceNode = ~uint32_t{0};

enum class ServiceState : uint8_t {
  kAvailable,
  kRestarting,
  kGone,
};

struct ServiceRecord {
  char service_class[kServiceNameSize] = {};
  uint32_t instance = 0;
  char protocol[kServiceNameSize] = {};
  uint16_t version = 0;
  uint32_t node = kNoServiceNode;
  ServiceState state = ServiceState::kGone;
};

class ServiceTable {
 public:
  // Publishes (or replaces, see above); *instance gets its number.
  // MICA_ERR_INVALID_ARGS for a bad name or version 0,
  // MICA_ERR_NO_RESOURCES when the table is full or the node holds
  // kMaxServicesPerNode entries already.
  mica_status_t Publish(uint32_t node, const char* service_class, const char* protocol,
                        uint16_t version, uint32_t* instance);
  void DriverEnded(uint32_t node);
  void NodeGone(uint32_t node);
  mica_status_t Resolve(const char* service_class, uint32_t instance, const char* protocol,
                        uint16_t version, uint32_t* node) const;

  // The listing: entries not gone, in publishing order.
  uint32_t listed_count() const;
  // The `index`th listed entry, or nullptr past the end.
  const ServiceRecord* listed(uint32_t index) const;

  // Every entry (gone ones too), for the node tree's service column.
  uint32_t count() const { return count_; }
  const ServiceRecord& at(uint32_t i) const { return records_[i]; }

 private:
  ServiceRecord records_[kMaxServices];
  uint32_t count_ = 0;
};

// Whether `name` is a usable service or protocol name: 1..size-1 bytes of
// printable ASCII, no space or '/'.
bool ValidServiceName(const char* name);

}  // namespace driver_manager
