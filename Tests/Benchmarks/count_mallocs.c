// Counts the allocations a program makes, by size: for checking that a training step takes
// its tensors' storage from BufferPool rather than from the allocator. Not part of the build.
//
//   gcc -O2 -shared -fPIC -o /tmp/count_mallocs.so Tests/Benchmarks/count_mallocs.c -ldl
//   PROFILE_STEPS=2  LD_PRELOAD=/tmp/count_mallocs.so .build/release/Benchmarks --only profile-train-char
//   PROFILE_STEPS=12 LD_PRELOAD=/tmp/count_mallocs.so .build/release/Benchmarks --only profile-train-char
//
// Each run prints, when the program exits, how many malloc / posix_memalign calls it made
// and how many of them asked for 4 KB or more, with those sizes; the difference between the
// two runs, divided by 10, is what one more training step allocates.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define SIZES 4096
static atomic_long calls, large;
static size_t sizes[SIZES];
static atomic_long counts[SIZES];

static void count(size_t size) {
    atomic_fetch_add(&calls, 1);
    if (size < 4096) return;
    atomic_fetch_add(&large, 1);
    // A table of distinct sizes, filled in order; good enough for a diagnostic (a race
    // between two threads meeting a new size at once may count it twice).
    for (int i = 0; i < SIZES; i++) {
        if (sizes[i] == size) { atomic_fetch_add(&counts[i], 1); return; }
        if (sizes[i] == 0) { sizes[i] = size; atomic_fetch_add(&counts[i], 1); return; }
    }
}

void *malloc(size_t size) {
    static void *(*next)(size_t);
    if (!next) next = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    count(size);
    return next(size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    static int (*next)(void **, size_t, size_t);
    if (!next) next = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    count(size);
    return next(out, alignment, size);
}

__attribute__((destructor)) static void report(void) {
    fprintf(stderr, "allocations: %ld, of 4 KB or more: %ld\n", (long)calls, (long)large);
    for (int i = 0; i < SIZES && sizes[i]; i++) fprintf(stderr, "  %zu bytes: %ld\n", sizes[i], (long)counts[i]);
}
