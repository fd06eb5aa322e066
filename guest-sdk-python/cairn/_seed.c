/* Fixes the randomness a componentize-py build sees, so that the hash seed
 * CPython draws while the component is pre-initialised (and bakes into it)
 * is the same in every build of the same source.
 *
 * componentize-py runs CPython's start-up inside its own wasmtime at build
 * time and snapshots the result; the interpreter's string-hash secret comes
 * from WASI random, which comes from the host's getrandom(2). This library,
 * loaded with LD_PRELOAD into the build process only, answers getrandom(2),
 * getentropy(3) and syscall(SYS_getrandom) from a SplitMix64 stream seeded
 * by CAIRN_BUILD_SEED. Every call restarts the stream, so what each caller
 * gets does not depend on the order threads ask in. The built component's
 * run-time randomness is the host's (cairn seeds a body from its run id and
 * gives a step real randomness); only the build is fixed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seed;
static int ready;

static uint64_t next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill(void *buf, size_t len) {
    pthread_mutex_lock(&lock);
    if (!ready) {
        const char *s = getenv("CAIRN_BUILD_SEED");
        seed = s ? strtoull(s, NULL, 10) : 0;
        ready = 1;
    }
    uint64_t state = seed;
    unsigned char *p = buf;
    while (len) {
        uint64_t v = next(&state);
        size_t n = len < 8 ? len : 8;
        memcpy(p, &v, n);
        p += n; len -= n;
    }
    pthread_mutex_unlock(&lock);
}

ssize_t getrandom(void *buf, size_t len, unsigned flags) { (void)flags; fill(buf, len); return (ssize_t)len; }
int getentropy(void *buf, size_t len) { fill(buf, len); return 0; }

long syscall(long n, ...) {
    va_list ap; va_start(ap, n);
    long a[6]; for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_getrandom) { fill((void *)a[0], (size_t)a[1]); return a[1]; }
    static long (*real)(long, ...);
    if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
