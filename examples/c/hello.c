/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The C example: one event fired from two lines, and a class with two instances. */
#include <stdio.h>

#define TRACEPOINT_DEFINE
#include "hello-tp.h"

static double do_work(unsigned long id)
{
    tracepoint(hello, work_start, id, 0.0);
    double cost = (double)(id % 7) * 1.5;
    tracepoint(hello, work_done, id, cost);
    return cost;
}

int main(int argc, char *argv[])
{
    const char *name = argc > 1 ? argv[1] : "world";
    double total = 0.0;

    tracepoint(hello, greeting, 0, name);
    for (int i = 1; i <= 10; i++) {
        total += do_work((unsigned long)i);
        if (i % 2 == 0)
            tracepoint(hello, greeting, i, name);
    }
    printf("hello %s: total cost %.1f\n", name, total);
    return 0;
}
