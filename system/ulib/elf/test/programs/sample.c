// A tiny freestanding AArch64 program that the ELF library's tests load. It
// is never run; it exists to give the linker something realistic to lay out:
// read-only data, code, RELRO data, data, BSS, TLS (initialised and zero),
// and globals holding pointers, which in a PIE become R_AARCH64_RELATIVE
// relocations (9 of them: the test checks each value).

static int counter = 5;
static const char message[] = "hello, loader";
int table[4] = {1, 2, 3, 4};
// Constant pointers: .data.rel.ro, inside PT_GNU_RELRO.
int* const pointers_ro[3] = {&table[0], &table[2], &counter};
// Writable pointers: .data.
int* pointers_rw[2] = {&counter, &table[3]};
const char* messages[2] = {message, message + 7};
static char zeroes[8192];
char* zeroes_ptr = zeroes + 100;
_Thread_local int tls_value = 42;
_Thread_local char tls_zero[64];

static int add_counter(int x) {
  return x + counter;
}
int (*fn_ptr)(int) = add_counter;

void _start(void) {
  volatile int sink = 0;
  for (int i = 0; i < 3; i++) {
    sink += *pointers_ro[i];
  }
  for (int i = 0; i < 2; i++) {
    sink += *pointers_rw[i];
  }
  sink += messages[1][0] + zeroes_ptr[0] + fn_ptr(tls_value) + tls_zero[3];
  for (;;) {
    __asm__ volatile("wfe");
  }
}
