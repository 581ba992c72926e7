/*
 * clock.h — monotonic and wall clocks, and sleeping.
 */
#ifndef WR_CLOCK_H
#define WR_CLOCK_H

#include <stdint.h>

int64_t wr_clock_mono_ns(void); /* monotonic, for intervals and deadlines */
int64_t wr_clock_wall_ms(void); /* milliseconds since the epoch (processing time) */
void wr_clock_sleep_ns(int64_t ns);

#endif
