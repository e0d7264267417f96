/* Emits N `reader_app:tick` events and one `reader_app:rich` every seventh.
 * Usage: reader_app N */
#include <stdint.h>
#include <stdlib.h>

#include "reader_tp.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    static const char text[] = "abcdefghijklmnop";
    for (int i = 0; i < n; i++) {
        tracepoint(reader_app, tick, i, i % 2 ? "odd" : "even");
        if (i % 7 == 0) {
            uint8_t bytes[4] = { (uint8_t) i, 1, 2, 3 };
            int16_t seq[5] = { (int16_t) -i, 1, -2, 3, -4 };
            /* Never empty: babeltrace2 2.0.4 shows an empty text sequence as the previous
             * event's text, which would fail the comparison for the wrong reader. */
            tracepoint(reader_app, rich, i, bytes, seq, (unsigned int) (1 + i % 5), text);
        }
    }
    return 0;
}
