/* libFuzzer target: settings.  The input is a JSON object of settings (as users write
 * them), and also "name=value" for rudder_conf_set.  Errors must name something and never
 * echo the write key; a client is never created (that would start I/O). */
#include "conf/conf.h"
#include "ruddercore.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a persistence directory would be created on disk: not a parser question */
    if (memmem(data, size, "ersistence", 10)) return 0;
    /* errors may quote what the caller typed; the key must not leak from its own setting */
    if (memmem(data, size, "FUZZ-SECRET-KEY", 15)) return 0;
    char errstr[512];
    rudder_conf_t *conf = rudder_conf_new();
    if (!conf) return 0;
    rudder_conf_set(conf, "writeKey", "FUZZ-SECRET-KEY", errstr, sizeof errstr);
    rudder_err_t e = rudder_conf_set_json(conf, (const char *)data, size, errstr, sizeof errstr);
    if (e != RUDDER_OK && !errstr[0]) abort();
    if (strstr(errstr, "FUZZ-SECRET-KEY")) abort();
    e = conf_validate_for_client(conf, errstr, sizeof errstr);
    if (strstr(errstr, "FUZZ-SECRET-KEY")) abort();
    size_t n;
    const rudder_property_t *p = rudder_properties(&n);
    for (size_t i = 0; i < n; i++) {
        char *v = rudder_conf_get(conf, p[i].name);
        if (v && strstr(v, "FUZZ-SECRET-KEY")) abort();
        rudder_free(v);
    }
    /* name=value */
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
        char *eq = strchr(text, '=');
        if (eq) {
            *eq = '\0';
            rudder_conf_set(conf, text, eq + 1, errstr, sizeof errstr);
        }
        free(text);
    }
    rudder_conf_destroy(conf);
    return 0;
}
