/* backoff.c — exponential backoff with jitter; Retry-After as a floor. */
#include "backoff.h"
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>

int64_t backoff_delay_ms(int n, int64_t base_ms, int64_t cap_ms, int64_t retry_after_ms, double jitter01) {
    if (n < 1) n = 1;
    int64_t d = base_ms;
    for (int i = 1; i < n && d < cap_ms; i++) d *= 2;
    if (d > cap_ms) d = cap_ms;
    if (jitter01 < 0) jitter01 = 0;
    if (jitter01 > 1) jitter01 = 1;
    d += (int64_t)((double)d * 0.2 * jitter01);
    if (retry_after_ms > 0) {
        if (retry_after_ms > RETRY_AFTER_CAP_MS) retry_after_ms = RETRY_AFTER_CAP_MS;
        if (retry_after_ms > d) d = retry_after_ms;
    }
    return d;
}

int64_t backoff_parse_retry_after(const char *v, int64_t now_epoch_ms) {
    if (!v) return -1;
    while (isspace((unsigned char)*v)) v++;
    if (!*v) return -1;
    if (isdigit((unsigned char)*v)) {
        char *end;
        long long secs = strtoll(v, &end, 10);
        while (isspace((unsigned char)*end)) end++;
        if (*end || secs < 0) return -1;
        return secs > RETRY_AFTER_CAP_MS / 1000 ? RETRY_AFTER_CAP_MS : secs * 1000;
    }
    time_t t = curl_getdate(v, NULL);
    if (t < 0) return -1;
    int64_t ms = (int64_t)t * 1000 - now_epoch_ms;
    return ms < 0 ? 0 : ms;
}
