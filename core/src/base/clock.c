/* clock.c — time helpers. */
#include "clock.h"
#include <string.h>
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

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days):
 * gmtime_r costs ten times more and this runs for every call's timestamps. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                     /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                   /* [0, 11] */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS" of secs since the epoch (19 bytes, no NUL). */
static void iso_seconds(int64_t secs, char *out) {
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) { rem += 86400; days -= 1; }
    int64_t y;
    int mon, mday;
    civil_from_days(days, &y, &mon, &mday);
    int year = y < 0 ? 0 : y > 9999 ? 9999 : (int)y;
    char *p = out;
    p = put2(p, year / 100); p = put2(p, year % 100); *p++ = '-';
    p = put2(p, mon); *p++ = '-';
    p = put2(p, mday); *p++ = 'T';
    p = put2(p, (int)(rem / 3600)); *p++ = ':';
    p = put2(p, (int)(rem / 60 % 60)); *p++ = ':';
    put2(p, (int)(rem % 60));
}

/* Each envelope writes two times (the event's and now), mostly within the same second as
 * the envelope before: the thread keeps the last two seconds' text. */
static _Thread_local struct { int64_t secs; char text[19]; int valid; } recent[2];
static _Thread_local int recent_next;

void clock_iso(int64_t ms, char *out) {
    int64_t secs = ms / 1000;
    int milli = (int)(ms % 1000);
    if (milli < 0) { milli += 1000; secs -= 1; }
    int hit = recent[0].valid && recent[0].secs == secs ? 0 : recent[1].valid && recent[1].secs == secs ? 1 : -1;
    if (hit < 0) {
        hit = recent_next;
        recent_next ^= 1;
        iso_seconds(secs, recent[hit].text);
        recent[hit].secs = secs;
        recent[hit].valid = 1;
    }
    memcpy(out, recent[hit].text, 19);
    char *p = out + 19;
    *p++ = '.';
    *p++ = (char)('0' + milli / 100); p = put2(p, milli % 100);
    *p++ = 'Z';
    *p = '\0';
}

void clock_mono_timespec(int64_t mono_ms, struct timespec *ts) {
    ts->tv_sec = mono_ms / 1000;
    ts->tv_nsec = (long)(mono_ms % 1000) * 1000000L;
}
