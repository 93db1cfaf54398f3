#include "system/core/log_service/pid_map.h"

#include <stdlib.h>
#include <string.h>

namespace log_service {

PidMonikers::PidMonikers(size_t capacity) {
  if (capacity == 0) {
    return;
  }
  entries_ = static_cast<Entry*>(calloc(capacity, sizeof(Entry)));
  capacity_ = entries_ != nullptr ? capacity : 0;
}

PidMonikers::~PidMonikers() {
  free(entries_);
}

size_t PidMonikers::size() const {
  size_t n = 0;
  for (size_t i = 0; i < capacity_; i++) {
    n += entries_[i].pid != 0 ? 1 : 0;
  }
  return n;
}

PidMonikers::Entry* PidMonikers::Lookup(uint64_t pid) const {
  for (size_t i = 0; pid != 0 && i < capacity_; i++) {
    if (entries_[i].pid == pid) {
      return &entries_[i];
    }
  }
  return nullptr;
}

bool PidMonikers::Attach(uint64_t pid, std::string_view moniker) {
  if (pid == 0 || moniker.empty()) {
    return false;
  }
  Entry* e = Lookup(pid);
  if (e == nullptr) {
    // A free entry, else the one retired longest ago; never a live one.
    for (size_t i = 0; i < capacity_; i++) {
      Entry& x = entries_[i];
      if (x.pid == 0) {
        e = &x;
        break;
      }
      if (x.live == 0 && (e == nullptr || x.retired < e->retired)) {
        e = &x;
      }
    }
    if (e == nullptr) {
      return false;
    }
    e->pid = pid;
    e->live = 0;
  }
  e->live++;
  e->moniker_len =
      static_cast<uint8_t>(moniker.size() < kMaxMoniker ? moniker.size() : kMaxMoniker);
  memcpy(e->moniker, moniker.data(), e->moniker_len);
  return true;
}

void PidMonikers::Detach(uint64_t pid) {
  Entry* e = Lookup(pid);
  if (e == nullptr || e->live == 0) {
    return;
  }
  if (--e->live == 0) {
    e->retired = ++retire_clock_;
  }
}

std::string_view PidMonikers::Find(uint64_t pid) const {
  const Entry* e = Lookup(pid);
  return e != nullptr ? std::string_view(e->moniker, e->moniker_len) : std::string_view();
}

uint32_t PidMonikers::live(uint64_t pid) const {
  const Entry* e = Lookup(pid);
  return e != nullptr ? e->live : 0;
}

std::string_view KernelRecordMoniker(uint64_t pid, const PidMonikers& pids) {
  if (pid == 0) {
    return "kernel";
  }
  std::string_view m = pids.Find(pid);
  return m.empty() ? std::string_view("debuglog") : m;
}

}  // namespace log_service
