// malloc-count.c: counts malloc/calloc/realloc/posix_memalign/aligned_alloc of the calling thread
// between podium_malloc_count_start() and podium_malloc_count_stop().
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static __thread int counting;
static __thread unsigned long long count;
static char bootstrap[65536];
static size_t bootstrap_used;
static int resolving;
static void resolve(void) {
    if (real_malloc || resolving) return;
    resolving = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    resolving = 0;
}
void podium_malloc_count_start(void) { count = 0; counting = 1; }
unsigned long long podium_malloc_count_stop(void) { counting = 0; return count; }
void *malloc(size_t n) {
    resolve();
    if (!real_malloc) { void *p = bootstrap + bootstrap_used; bootstrap_used += (n + 15) & ~15UL; return p; }
    if (counting) count++;
    return real_malloc(n);
}
void *calloc(size_t a, size_t b) {
    resolve();
    if (!real_calloc) { void *p = bootstrap + bootstrap_used; bootstrap_used += (a * b + 15) & ~15UL; return p; }
    if (counting) count++;
    return real_calloc(a, b);
}
void *realloc(void *p, size_t n) { resolve(); if (counting) count++; return real_realloc(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { resolve(); if (counting) count++; return real_posix_memalign(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { resolve(); if (counting) count++; return real_aligned_alloc(a, n); }
void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}
