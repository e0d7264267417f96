/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The instrumented program: one event fired from three places. */
#include <stdio.h>

#include "hello-tp.h"

int main(int argc, char *argv[])
{
    int i;

    tracepoint(hello_world, my_first_tracepoint, argc, "starting");
    for (i = 0; i < argc; i++) {
        printf("hello, %s\n", argv[i]);
        tracepoint(hello_world, my_first_tracepoint, i, argv[i]);
    }
    tracepoint(hello_world, my_first_tracepoint, i * i, "done");
    return 0;
}
