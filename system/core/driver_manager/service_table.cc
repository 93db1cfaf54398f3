// See service_table.h.
#include "system/core/driver_manager/service_table.h"

#include <string.h>

namespace driver_manager {
namespace {

void Copy(char (&dst)[kServiceNameSize], const char* src) {
  size_t n = strlen(src);
  memcpy(dst, src, n + 1);
}

}  // namespace

bool ValidServiceName(const char* name) {
  if (name == nullptr || name[0] == '\0') {
    return false;
  }
  for (uint32_t i = 0; i < kServiceNameSize; i++) {
    char c = name[i];
    if (c == '\0') {
      return true;
    }
    if (c <= ' ' || c > '~' || c == '/') {
      return false;  // a control byte, space, '/', DEL or not ASCII
    }
  }
  return false;
}

mica_status_t ServiceTable::Publish(uint32_t node, const char* service_class, const char* protocol,
                                    uint16_t version, uint32_t* instance) {
  if (!ValidServiceName(service_class) || !ValidServiceName(protocol) || version == 0 ||
      node == kNoServiceNode) {
    return MICA_ERR_INVALID_ARGS;
  }
  ServiceRecord* rec = nullptr;
  uint32_t next = 0;
  uint32_t held = 0;  // entries of this node
  for (uint32_t i = 0; i < count_; i++) {
    ServiceRecord& r = records_[i];
    held += r.node == node ? 1 : 0;
    if (strcmp(r.service_class, service_class) != 0) {
      continue;
    }
    next = r.instance + 1 > next ? r.instance + 1 : next;
    if (r.node == node) {
      rec = &r;
    }
  }
  if (rec == nullptr) {
    if (count_ == kMaxServices || held >= kMaxServicesPerNode) {
      return MICA_ERR_NO_RESOURCES;
    }
    rec = &records_[count_++];
    Copy(rec->service_class, service_class);
    rec->instance = next;
    rec->node = node;
  }
  Copy(rec->protocol, protocol);
  rec->version = version;
  rec->state = ServiceState::kAvailable;
  *instance = rec->instance;
  return MICA_OK;
}

void ServiceTable::DriverEnded(uint32_t node) {
  for (uint32_t i = 0; i < count_; i++) {
    if (records_[i].node == node && records_[i].state == ServiceState::kAvailable) {
      records_[i].state = ServiceState::kRestarting;
    }
  }
}

void ServiceTable::NodeGone(uint32_t node) {
  for (uint32_t i = 0; i < count_; i++) {
    if (records_[i].node == node) {
      records_[i].state = ServiceState::kGone;
    }
  }
}

mica_status_t ServiceTable::Resolve(const char* service_class, uint32_t instance,
                                    const char* protocol, uint16_t version, uint32_t* node) const {
  if (!ValidServiceName(service_class) || !ValidServiceName(protocol)) {
    return MICA_ERR_INVALID_ARGS;
  }
  for (uint32_t i = 0; i < count_; i++) {
    const ServiceRecord& r = records_[i];
    if (r.instance != instance || strcmp(r.service_class, service_class) != 0) {
      continue;
    }
    if (r.state == ServiceState::kGone) {
      return MICA_ERR_NOT_FOUND;
    }
    if (strcmp(r.protocol, protocol) != 0) {
      return MICA_ERR_WRONG_TYPE;
    }
    if (r.version != version) {
      return MICA_ERR_NOT_SUPPORTED;
    }
    if (r.state != ServiceState::kAvailable) {
      return MICA_ERR_UNAVAILABLE;
    }
    *node = r.node;
    return MICA_OK;
  }
  return MICA_ERR_NOT_FOUND;
}

uint32_t ServiceTable::listed_count() const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < count_; i++) {
    n += records_[i].state != ServiceState::kGone ? 1 : 0;
  }
  return n;
}

const ServiceRecord* ServiceTable::listed(uint32_t index) const {
  for (uint32_t i = 0; i < count_; i++) {
    if (records_[i].state == ServiceState::kGone) {
      continue;
    }
    if (index-- == 0) {
      return &records_[i];
    }
  }
  return nullptr;
}

}  // namespace driver_manager
