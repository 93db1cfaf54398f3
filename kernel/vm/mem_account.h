// MemAccount: what a job's kernel memory costs, and the limit on it
// (docs/kernel.md "Job memory limits"). Pure logic: it builds in the kernel
// and on the host (kernel/vm/test/mem_account_test.cc).
//
// An account counts the bytes charged to it and to every account below it.
// Charge(n) adds n to the account and to each ancestor, and fails, with
// nothing charged anywhere, if any of them would go past its limit; the
// account whose limit refused counts the failure. Uncharge(n) takes n back
// off the same chain. A limit may be changed at any time; lowering it below
// what is used makes later charges fail, takes nothing back.
//
// Lifetime. An account is open while its owner (a job) holds it; Close()
// gives that up. It stays alive after that for as long as anything is
// charged to it. An account with a parent must itself be charged to the
// parent (its own size, by whoever makes it), so a parent never dies
// before its children, and one Uncharge walk ends at most one account. The
// account never frees itself: Uncharge() and Close() return the account that
// has just died (closed, nothing charged), and the caller frees it and
// uncharges its size from its parent, which may end the parent in turn
// (kmem does this in a loop, so no chain of accounts is ever freed by
// recursion).
//
// Charges are only made to open accounts (a job's threads run only while
// the job is alive, and a job keeps its parent alive), so a Charge's roll
// back never ends an account.
//
// Thread safety: lock-free; any CPUs may charge and uncharge at once, with
// interrupts on or off. An account never holds more than its limit, not even
// for a moment; a charge refused by an ancestor is backed out of the accounts
// below it, so one racing it there may be refused for bytes that do not
// stay.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/atomic.h"

namespace mica {

class MemAccount {
 public:
  static constexpr uint64_t kUnlimited = ~uint64_t{0};
  // The largest single charge (keeps the sums far from overflow).
  static constexpr uint64_t kMaxCharge = uint64_t{1} << 48;

  // An open account below `parent` (nullptr: at the top), with no limit.
  explicit MemAccount(MemAccount* parent) : parent_(parent) {}
  MemAccount(const MemAccount&) = delete;
  MemAccount& operator=(const MemAccount&) = delete;

  MemAccount* parent() const { return parent_; }

  // Adds `bytes` to this account and every ancestor. False (nothing
  // charged) if one of them would go past its limit or `bytes` >
  // kMaxCharge. Requires the account open (see above).
  [[nodiscard]] bool Charge(uint64_t bytes);
  // Takes `bytes` off this account and every ancestor (a charge of the
  // same size must be there). Returns the account that died, or nullptr.
  [[nodiscard]] MemAccount* Uncharge(uint64_t bytes);
  // The owner gives the account up. Returns this account if it died now
  // (nothing charged), else nullptr. Once only.
  [[nodiscard]] MemAccount* Close();

  void SetLimit(uint64_t limit) { limit_.store(limit, mica::kRelaxed); }
  uint64_t limit() const { return limit_.load(mica::kRelaxed); }
  // Bytes charged now (this account and those below it).
  uint64_t used() const { return state_.load(mica::kRelaxed) & kUsedMask; }
  // The most ever charged at once.
  uint64_t peak() const { return peak_.load(mica::kRelaxed); }
  // Charges refused by this account's limit.
  uint64_t failures() const { return failures_.load(mica::kRelaxed); }
  bool open() const { return (state_.load(mica::kRelaxed) & kOpen) != 0; }

 private:
  static constexpr uint64_t kOpen = uint64_t{1} << 63;
  static constexpr uint64_t kUsedMask = kOpen - 1;

  MemAccount* const parent_;
  mica::Atomic<uint64_t> state_{kOpen};  // kOpen while the owner holds it, plus the bytes used
  mica::Atomic<uint64_t> limit_{kUnlimited};
  mica::Atomic<uint64_t> peak_;
  mica::Atomic<uint64_t> failures_;
};

}  // namespace mica
