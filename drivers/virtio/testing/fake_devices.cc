// The fake device personalities; see fake_devices.h.
#include "drivers/virtio/testing/fake_devices.h"

#include <string.h>

namespace mica::virtio::testing {

namespace {
void PutLe(std::vector<uint8_t>& config, size_t offset, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; i++) {
    config[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  }
}
}  // namespace

FakeBlockDevice::FakeBlockDevice(FakeDma& memory, uint32_t version, uint64_t features,
                                 uint64_t sectors, uint32_t queue_num_max, uint32_t blk_size)
    : FakeVirtioDevice(memory, version, kDeviceIdBlock, features, 1, queue_num_max),
      disk(sectors * 512) {
  config.assign(60, 0);  // §5.2.4 up to and including the topology fields
  PutLe(config, 0, sectors, 8);
  PutLe(config, 8, 1u << 20, 4);  // size_max
  PutLe(config, 12, 126, 4);      // seg_max
  PutLe(config, 20, blk_size, 4);
}

uint32_t FakeBlockDevice::ConfigU32(size_t offset) const {
  uint32_t v;
  memcpy(&v, config.data() + offset, 4);
  return v;
}

void FakeBlockDevice::SetConfigU32(size_t offset, uint32_t value) {
  PutLe(config, offset, value, 4);
}

void FakeBlockDevice::OnChain(uint32_t, Chain chain) {
  requests++;
  if (defer) {
    held_.push_back(std::move(chain));
    return;
  }
  Serve(chain);
}

void FakeBlockDevice::Release(const std::vector<size_t>& order) {
  std::vector<Chain> held;
  held.swap(held_);
  for (size_t i : order) {
    Serve(held[i]);
  }
}

void FakeBlockDevice::ReleaseOne(size_t i) {
  if (i < held_.size()) {
    Chain chain = std::move(held_[i]);
    held_.erase(held_.begin() + static_cast<long>(i));
    Serve(chain);
  }
}

void FakeBlockDevice::Serve(const Chain& chain) {
  // §5.2.6: header (16 readable bytes), data, one writable status byte last.
  const uint64_t writable = chain.writable_bytes();
  if (chain.readable.size() < 16 || writable < 1) {
    driver_errors_++;
    return;
  }
  // §5.2.4: at most seg_max data segments, each at most size_max bytes.
  const size_t data_segments = chain.lengths.size() - 2;
  // A zero seg_max reads as 1 and a zero size_max as none (what the driver assumes).
  const uint32_t seg_max = ConfigU32(12) == 0 ? 1 : ConfigU32(12);
  if (negotiated(1ull << 2) && data_segments > seg_max) {
    driver_errors_++;
  }
  const bool size_max = negotiated(1ull << 1) && ConfigU32(8) != 0;
  for (size_t i = 1; i + 1 < chain.lengths.size() && size_max; i++) {
    if (chain.lengths[i] > ConfigU32(8)) {
      driver_errors_++;
    }
  }
  uint32_t type;
  uint64_t sector;
  memcpy(&type, chain.readable.data(), 4);
  memcpy(&sector, chain.readable.data() + 8, 8);
  const uint64_t in_len = writable - 1;
  const uint64_t out_len = chain.readable.size() - 16;
  uint8_t status = 0;
  uint32_t written = 1;
  const uint64_t sectors = disk.size() / 512;
  if (type == 0) {  // VIRTIO_BLK_T_IN
    if (in_len % 512 != 0 || sector > sectors || in_len / 512 > sectors - sector) {
      status = 1;
    } else {
      WriteChain(chain, 0, disk.data() + sector * 512, in_len);
      written += static_cast<uint32_t>(in_len);
    }
  } else if (type == 1) {  // VIRTIO_BLK_T_OUT
    const bool ro = negotiated(1ull << 5);
    if (out_len % 512 != 0 || sector > sectors || out_len / 512 > sectors - sector || ro) {
      status = 1;
    } else {
      memcpy(disk.data() + sector * 512, chain.readable.data() + 16, out_len);
    }
  } else if (type == 4) {  // VIRTIO_BLK_T_FLUSH
    flushes++;
  } else {
    status = 2;
  }
  if (forced_status != 0xff) {
    status = forced_status;
    forced_status = 0xff;
  }
  if (skip_status_write) {
    skip_status_write = false;
  } else {
    WriteChain(chain, in_len, &status, 1);
  }
  Complete(0, chain, written);
}

FakeRngDevice::FakeRngDevice(FakeDma& memory, uint32_t version, uint32_t queue_num_max)
    : FakeVirtioDevice(memory, version, kDeviceIdEntropy, 0, 1, queue_num_max) {}

void FakeRngDevice::OnChain(uint32_t, Chain chain) {
  if (!chain.readable.empty()) {
    driver_errors_++;  // §5.4.6.1: requests are device-writable only
    return;
  }
  if (defer) {
    held_.push_back(std::move(chain));
    return;
  }
  Serve(chain);
}

void FakeRngDevice::Release() {
  std::deque<Chain> held;
  held.swap(held_);
  for (const Chain& c : held) {
    Serve(c);
  }
}

void FakeRngDevice::Serve(const Chain& chain) {
  uint64_t n = chain.writable_bytes();
  if (n > max_fill) {
    n = max_fill;
  }
  std::vector<uint8_t> bytes(n);
  for (uint64_t i = 0; i < n; i++) {
    bytes[i] = StreamByte(produced + i);
  }
  produced += n;
  WriteChain(chain, 0, bytes.data(), n);
  Complete(0, chain, static_cast<uint32_t>(n));
}

FakeNetDevice::FakeNetDevice(FakeDma& memory, uint32_t version, uint64_t features,
                             const uint8_t mac[6], uint32_t queue_num_max)
    : FakeVirtioDevice(memory, version, kDeviceIdNet, features, 2, queue_num_max) {
  config.assign(12, 0);  // §5.1.4: mac, status, max_virtqueue_pairs, mtu
  memcpy(config.data(), mac, 6);
}

size_t FakeNetDevice::header_size() const {
  // §5.1.6: num_buffers is there with VERSION_1 (or MRG_RXBUF).
  return negotiated(kFeatureVersion1) || negotiated(1ull << 15) ? 12 : 10;
}

void FakeNetDevice::OnReset() {
  rx_buffers_.clear();
  pending_.clear();
}

void FakeNetDevice::OnChain(uint32_t queue, Chain chain) {
  if (queue == 0) {
    if (!chain.readable.empty() || chain.writable_bytes() < 1526) {
      driver_errors_++;  // §5.1.6.3.1: writable, at least 1526 bytes
      return;
    }
    rx_buffers_.push_back(std::move(chain));
    Deliver();
    return;
  }
  // Transmit: header then frame, all device-readable.
  if (!chain.writable.empty() || chain.readable.size() < header_size()) {
    driver_errors_++;
    return;
  }
  for (size_t i = 0; i < header_size(); i++) {
    if (chain.readable[i] != 0) {
      driver_errors_++;  // we negotiated no offloads: the header is all zero
    }
  }
  std::vector<uint8_t> frame(chain.readable.begin() + static_cast<long>(header_size()),
                             chain.readable.end());
  sent.push_back(frame);
  Complete(1, chain, 0);
  if (loopback) {
    Inject(frame);
  }
}

void FakeNetDevice::Inject(const std::vector<uint8_t>& frame) {
  pending_.push_back(frame);
  Deliver();
}

void FakeNetDevice::Deliver() {
  if ((status() & kStatusDriverOk) == 0) {
    return;
  }
  while (!pending_.empty() && !rx_buffers_.empty()) {
    Chain chain = std::move(rx_buffers_.front());
    rx_buffers_.pop_front();
    std::vector<uint8_t> packet(header_size(), 0);
    if (header_size() == 12) {
      packet[10] = 1;  // num_buffers = 1
    }
    packet.insert(packet.end(), pending_.front().begin(), pending_.front().end());
    pending_.pop_front();
    if (packet.size() > chain.writable_bytes()) {
      continue;  // too big for the buffer: a real device drops it too
    }
    WriteChain(chain, 0, packet.data(), packet.size());
    const size_t reported = next_short ? header_size() - 1 : packet.size();
    next_short = false;
    Complete(0, chain, static_cast<uint32_t>(reported));
  }
}

}  // namespace mica::virtio::testing
