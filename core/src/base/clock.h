/* clock.h — wall and monotonic time, and the one timestamp format we send. */
#ifndef RUDDER_CLOCK_H
#define RUDDER_CLOCK_H
#include <stdint.h>

#define RUDDER_ISO_LEN 24 /* "2026-11-24T05:14:46.123Z" */

int64_t clock_wall_ms(void);   /* epoch ms */
int64_t clock_mono_ms(void);   /* monotonic ms */
/* Formats epoch ms as YYYY-MM-DDTHH:MM:SS.mmmZ into out (>= 25 bytes). */
void clock_iso(int64_t epoch_ms, char *out);
/* Monotonic ms as the timespec of a pthread_cond_timedwait on a CLOCK_MONOTONIC condvar. */
struct timespec;
void clock_mono_timespec(int64_t mono_ms, struct timespec *ts);
#endif
