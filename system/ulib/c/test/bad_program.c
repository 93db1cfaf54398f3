// The negative fixtures of check_user_elf.py: linked without the runtime,
// in ways the check must reject (system/ulib/c/test/BUILD.gn says which).
void _start(void) {
  for (;;) {
    __asm__ volatile("wfe");
  }
}
