// linux_block.c: /init's block mode (bin/blockbench's Linux counterpart).
#pragma once

// Runs the block benchmark described by `spec` ("<random>:<sequential>:<runs>");
// prints `bench:` lines. 0, or -1 after printing `bench: error ...`.
int block_bench(const char* spec);
