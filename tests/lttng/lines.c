/* The trace-import test's program: `lines_app:step` fires from two lines with different
 * counts (one of them in a function the compiler may inline), `lines_app:done` from a call
 * written over two lines. Usage: lines N. */
#include <stdlib.h>
#include "lines_tp.h"

static void every_third(int i)
{
    tracepoint(lines_app, step, i, "every third"); /* site: every third */
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    for (int i = 0; i < n; i++) {
        tracepoint(lines_app, step, i, "each"); /* site: each */
        if (i % 3 == 0)
            every_third(i);
    }
    tracepoint(lines_app, done, /* site: done */
               n);
    return 0;
}
