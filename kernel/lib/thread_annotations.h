// Clang thread-safety analysis annotations (-Wthread-safety).
// See https://clang.llvm.org/docs/ThreadSafetyAnalysis.html for the meaning
// of each attribute. Conventions (DESIGN.md §4): a method that needs a lock
// held is annotated REQUIRES(lock) and its name ends in `Locked`.
#pragma once

#if defined(__clang__)
#define MICA_TSA(x) __attribute__((x))
#else
#define MICA_TSA(x)
#endif

// A class that acts as a lock (a "capability" in clang's terms).
#define CAPABILITY(name) MICA_TSA(capability(name))
// An RAII class that acquires a capability in its constructor.
#define SCOPED_CAPABILITY MICA_TSA(scoped_lockable)
// A data member protected by the given lock.
#define GUARDED_BY(x) MICA_TSA(guarded_by(x))
// A pointer member whose pointee is protected by the given lock.
#define PT_GUARDED_BY(x) MICA_TSA(pt_guarded_by(x))
// Lock ordering.
#define ACQUIRED_BEFORE(...) MICA_TSA(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) MICA_TSA(acquired_after(__VA_ARGS__))
// The caller must hold (exclusively / shared) the given locks.
#define REQUIRES(...) MICA_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) MICA_TSA(requires_shared_capability(__VA_ARGS__))
// The function acquires / releases the given locks (or `this` if none given).
#define ACQUIRE(...) MICA_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) MICA_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) MICA_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) MICA_TSA(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) MICA_TSA(release_generic_capability(__VA_ARGS__))
// The function acquires the lock when it returns `ret` (e.g. true).
#define TRY_ACQUIRE(...) MICA_TSA(try_acquire_capability(__VA_ARGS__))
#define TRY_ACQUIRE_SHARED(...) MICA_TSA(try_acquire_shared_capability(__VA_ARGS__))
// The caller must NOT hold the given locks.
#define EXCLUDES(...) MICA_TSA(locks_excluded(__VA_ARGS__))
// The function checks (at run time) that the lock is held.
#define ASSERT_CAPABILITY(x) MICA_TSA(assert_capability(x))
#define ASSERT_SHARED_CAPABILITY(x) MICA_TSA(assert_shared_capability(x))
// The function returns a reference to the given lock.
#define RETURN_CAPABILITY(x) MICA_TSA(lock_returned(x))
// Turns the analysis off for one function (say why next to each use).
#define NO_THREAD_SAFETY_ANALYSIS MICA_TSA(no_thread_safety_analysis)
