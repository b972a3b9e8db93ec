/* libFuzzer target: the JSON a caller passes to the six calls.  The first byte picks the
 * call type; the rest is the message text.  Builds the envelope (validation, envelope,
 * size limit) and checks that a success is valid JSON once closed with '}'. */
#include "json/json.h"
#include "client/message.h"
#include "ruddercore.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    rudder_call_type_t type = (rudder_call_type_t)(data[0] % 6);
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    rudder_err_t err;
    char errstr[256];
    char *env = rudder_build_message(type, json, len, "", 32768, &err, errstr, sizeof errstr);
    if (env) {
        /* what the library builds must parse */
        rudder_err_t perr;
        cJSON *v = rj_parse(env, strlen(env), 0, &perr, NULL, 0);
        if (!v) abort();
        cJSON_Delete(v);
        rudder_free(env);
    } else if (err == RUDDER_OK || !errstr[0]) {
        abort(); /* a refusal always says why */
    }
    /* the strict parser on its own */
    cJSON *v = rj_parse(json, len, 0, &err, errstr, sizeof errstr);
    cJSON_Delete(v);
    return 0;
}
