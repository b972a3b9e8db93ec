/* clock.c — time helpers. */
#include "clock.h"
#include <time.h>

int64_t clock_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *put2(char *p, int v) { p[0] = (char)('0' + v / 10); p[1] = (char)('0' + v % 10); return p + 2; }

void clock_iso(int64_t ms, char *out) {
    time_t secs = (time_t)(ms / 1000);
    int milli = (int)(ms % 1000);
    if (milli < 0) { milli += 1000; secs -= 1; }
    struct tm tm;
    gmtime_r(&secs, &tm);
    int year = tm.tm_year + 1900;
    if (year < 0) year = 0;
    if (year > 9999) year = 9999;
    char *p = out;
    p = put2(p, year / 100); p = put2(p, year % 100); *p++ = '-';
    p = put2(p, tm.tm_mon + 1); *p++ = '-';
    p = put2(p, tm.tm_mday); *p++ = 'T';
    p = put2(p, tm.tm_hour); *p++ = ':';
    p = put2(p, tm.tm_min); *p++ = ':';
    p = put2(p, tm.tm_sec); *p++ = '.';
    *p++ = (char)('0' + milli / 100); p = put2(p, milli % 100);
    *p++ = 'Z';
    *p = '\0';
}
