// For the bad_symbolic_reloc fixture: `undefined_elsewhere` is never
// defined, and linked with --unresolved-symbols=ignore-all the pointer to it
// becomes a symbolic dynamic relocation (R_AARCH64_ABS64), which Mica's
// loader cannot resolve.
extern int undefined_elsewhere;
int* volatile pointer_to_undefined = &undefined_elsewhere;
