// Memory barriers between the driver and a DMA-ing device (virtio 1.2
// §2.7.13: "the driver MUST perform a suitable memory barrier" before
// publishing avail->idx, and before reading the used ring after used->idx).
//
// Contract: on AArch64 these are the outer-shareable DMB forms Linux uses
// for DMA (dma_wmb / dma_rmb / mb): the device is an outer-shareable
// observer, and a Device-nGnRE store (the notify) must not pass the ring
// stores before it (Arm ARM B2.3, B2.8). On the host (tests) they are
// sequentially consistent fences, which is stronger.
#pragma once

namespace mica::virtio {

// Orders earlier stores before later stores as seen by the device.
inline void DmaWriteBarrier() {
#if defined(__aarch64__)
  asm volatile("dmb oshst" ::: "memory");
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

// Orders earlier loads before later loads of device-written memory.
inline void DmaReadBarrier() {
#if defined(__aarch64__)
  asm volatile("dmb oshld" ::: "memory");
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

// Orders all earlier accesses before all later ones (store -> load, as the
// event-index check after publishing needs, §2.7.10).
inline void DmaFullBarrier() {
#if defined(__aarch64__)
  asm volatile("dmb osh" ::: "memory");
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

}  // namespace mica::virtio
