// The first kernel link's symbol table: empty (see scripts/gen_ksyms.py).
.section .ksyms, "a"
.balign 8
.quad 0
