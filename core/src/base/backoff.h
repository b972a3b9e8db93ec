/* backoff.h — retry delays (spec/rudderstack.md §6.3). */
#ifndef RUDDER_BACKOFF_H
#define RUDDER_BACKOFF_H
#include <stdint.h>

#define RETRY_AFTER_CAP_MS 300000

/* Delay before retry n (n >= 1): base * 2^(n-1), capped at cap, plus jitter01 * 20 %;
 * a Retry-After (ms, <= 0 if none) is a floor, clamped to RETRY_AFTER_CAP_MS. */
int64_t backoff_delay_ms(int n, int64_t base_ms, int64_t cap_ms, int64_t retry_after_ms, double jitter01);

/* Parses a Retry-After header value (delta-seconds or HTTP-date); ms or -1. */
int64_t backoff_parse_retry_after(const char *value, int64_t now_epoch_ms);
#endif
