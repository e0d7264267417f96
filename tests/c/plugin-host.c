/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Loads a module with tracepoints, runs it, unloads it, and goes on: `plugin-host MODULE
 * TIMES SECONDS`. The tracer must not touch the unloaded module's call sites afterwards (a
 * rule change, the end of the recording, a fork), or this program would crash.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACEPOINT_DEFINE
#include "idle-tp.h"

int main(int argc, char *argv[])
{
    if (argc < 4)
        return 2;
    void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    int (*work)(int) = (int (*)(int))dlsym(module, "plugin_work");
    if (!work)
        return 1;
    int done = work(atoi(argv[2]));
    if (dlclose(module) != 0)
        return 1;
    tracepoint(idle, tick, done);
    /* A child forked now re-registers its call sites as a process of its own. */
    pid_t child = fork();
    if (child == 0) {
        tracepoint(idle, tick, -1);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    sleep((unsigned)atoi(argv[3]));
    printf("plugin ran %d times, child %d\n", done, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
