/* libFuzzer target: the walkerOS destination config (settings, mapping, data, policy,
 * consent) and the walkerOS event.  Input: config JSON, a NUL byte, event JSON.  Without
 * a NUL the whole input is the event, mapped with a fixed config.  Maps offline only. */
#include "ruddercore.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char FIXED[] =
    "{\"settings\":{\"writeKey\":\"k\",\"dataPlaneUrl\":\"http://127.0.0.1:9\"},"
    "\"mapping\":{\"product\":{\"view\":{\"name\":\"Product Viewed\",\"data\":{\"map\":{\"id\":\"data.id\","
    "\"price\":{\"key\":\"data.price\",\"value\":0}}}},\"*\":{\"ignore\":true}},"
    "\"page\":{\"view\":{\"settings\":{\"page\":true}}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (memmem(data, size, "ersistence", 10)) return 0; /* would create a directory */
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    const char *config = FIXED, *event = text;
    size_t config_len = sizeof FIXED - 1, event_len = size;
    if (nul) {
        config = text;
        config_len = (size_t)(nul - text);
        event = nul + 1;
        event_len = size - config_len - 1;
    }
    char errstr[512];
    rudder_dest_t *d = rudder_dest_new(config, config_len, NULL, errstr, sizeof errstr);
    if (!d && !errstr[0]) abort();
    if (!d && nul) d = rudder_dest_new(FIXED, sizeof FIXED - 1, NULL, errstr, sizeof errstr);
    if (!d) return 0;
    rudder_err_t err;
    char *calls = rudder_dest_map(d, event, event_len, &err, errstr, sizeof errstr);
    rudder_free(calls);
    calls = rudder_dest_map(d, event, event_len, &err, errstr, sizeof errstr); /* dedup state */
    rudder_free(calls);
    rudder_dest_destroy(d);
    return 0;
}
