/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A program with a thread that records one event and then waits, while the main thread
 * ticks: `idle [TICKS] [MS]`. A live viewer of its trace only shows the ticks as they happen
 * if it is told that the parked thread's stream has nothing older to come (INACTIVE beacons).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TRACEPOINT_DEFINE
#include "idle-tp.h"

static int wake[2];

static void *parked(void *arg)
{
    char c;
    (void)arg;
    tracepoint(idle, parked, 0);
    if (read(wake[0], &c, 1) != 1)
        return NULL;
    tracepoint(idle, parked, 1);
    return NULL;
}

int main(int argc, char *argv[])
{
    int ticks = argc > 1 ? atoi(argv[1]) : 60;
    int ms = argc > 2 ? atoi(argv[2]) : 50;
    pthread_t t;

    if (pipe(wake) != 0 || pthread_create(&t, NULL, parked, NULL) != 0)
        return 1;
    /* The parked thread's first event goes out before the ticks start. */
    usleep(300 * 1000);
    for (int i = 0; i < ticks; i++) {
        tracepoint(idle, tick, i);
        usleep((useconds_t)ms * 1000);
    }
    if (write(wake[1], "x", 1) != 1)
        return 1;
    pthread_join(t, NULL);
    printf("ticked %d times\n", ticks);
    return 0;
}
