/* The settings table: defaults, types, ranges, errors that name the setting, no write key leaks. */
#include "check.h"
#include "conf/conf.h"
#include <stdlib.h>

static void test_defaults_are_the_walkeros_ones(void) {
    rudder_conf_t *c = rudder_conf_new();
    CHECK_EQ_INT(conf_int(c, "flushAt"), 20);
    CHECK_EQ_INT(conf_int(c, "flushInterval"), 10000);
    CHECK_EQ_INT(conf_int(c, "maxQueueSize"), 460800);
    CHECK_EQ_INT(conf_int(c, "maxInternalQueueSize"), 20000);
    CHECK_EQ_INT(conf_int(c, "retryCount"), 3);
    CHECK_EQ_INT(conf_int(c, "maxEventBytes"), 32768);
    CHECK(conf_bool(c, "gzip"), "gzip on by default");
    CHECK(conf_bool(c, "enable"), "enable on by default");
    CHECK_EQ_STR(conf_str(c, "logLevel"), "info");
    CHECK_EQ_STR(conf_str(c, "path"), "/v1/batch");
    CHECK_EQ_STR(conf_json(c, "userId"), "\"user.id\"");
    CHECK(conf_json(c, "identify") == NULL, "identify unset");
    rudder_conf_destroy(c);
}

static void test_errors_name_setting_and_range(void) {
    rudder_conf_t *c = rudder_conf_new();
    char err[256];
    CHECK_EQ_INT(rudder_conf_set(c, "flushAt", "0", err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "flushAt") && strstr(err, "1 to 20000"), "%s", err);
    CHECK_EQ_INT(rudder_conf_set(c, "maxQueueSize", "5000000", err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "maxQueueSize") && strstr(err, "4000000"), "%s", err);
    CHECK_EQ_INT(rudder_conf_set(c, "gzip", "maybe", err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "gzip") && strstr(err, "true or false"), "%s", err);
    CHECK_EQ_INT(rudder_conf_set(c, "logLevel", "loud", err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "silly|debug|info|warn|error|off"), "%s", err);
    CHECK_EQ_INT(rudder_conf_set(c, "flushAtt", "3", err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "unknown setting 'flushAtt'"), "%s", err);
    CHECK_EQ_INT(rudder_conf_set(c, "flushAt", "20184467440844674400000.0", err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK_EQ_INT(rudder_conf_set(c, "flushAt", "50.0", err, sizeof err), RUDDER_OK); /* JSON's 50.0 */
    CHECK_EQ_INT(rudder_conf_set(c, "flush_at", "50", err, sizeof err), RUDDER_OK); /* snake_case too */
    CHECK_EQ_INT(conf_int(c, "flushAt"), 50);
    rudder_conf_destroy(c);
}

static void test_json_settings(void) {
    rudder_conf_t *c = rudder_conf_new();
    char err[256];
    const char *j = "{\"writeKey\":\"secret-key-123\",\"dataPlaneUrl\":\"http://127.0.0.1:1\",\"flushAt\":5,"
                    "\"gzip\":false,\"userId\":{\"key\":\"user.id\",\"value\":\"guest\"},\"anonymousId\":null}";
    CHECK_EQ_INT(rudder_conf_set_json(c, j, strlen(j), err, sizeof err), RUDDER_OK);
    CHECK_EQ_INT(conf_int(c, "flushAt"), 5);
    CHECK(!conf_bool(c, "gzip"), "gzip off");
    CHECK_EQ_STR(conf_json(c, "userId"), "{\"key\":\"user.id\",\"value\":\"guest\"}");
    CHECK_EQ_STR(conf_json(c, "anonymousId"), "\"user.session\""); /* null = default, as walkerOS */
    char *wk = rudder_conf_get(c, "writeKey");
    CHECK_EQ_STR(wk, "***");
    free(wk);
    const char *pj = "{\"persistence\":\"{\\\"type\\\":\\\"redis\\\",\\\"password\\\":\\\"top-pw\\\","
                     "\\\"redisOpts\\\":{\\\"password\\\":\\\"nested-pw\\\"}}\"}";
    CHECK_EQ_INT(rudder_conf_set_json(c, pj, strlen(pj), err, sizeof err), RUDDER_OK);
    char *pv = rudder_conf_get(c, "persistence");
    CHECK(pv && !strstr(pv, "top-pw") && !strstr(pv, "nested-pw"), "passwords shown: %s", pv ? pv : "(null)");
    CHECK(pv && strstr(pv, "\"redisOpts\":{\"password\":\"***\"}"), "%s", pv ? pv : "(null)");
    free(pv);
    const char *bad = "{\"flushAt\":\"many\"}";
    CHECK_EQ_INT(rudder_conf_set_json(c, bad, strlen(bad), err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "flushAt"), "%s", err);
    const char *bad2 = "{\"gzip\":1}";
    CHECK_EQ_INT(rudder_conf_set_json(c, bad2, strlen(bad2), err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "'gzip' must be true or false"), "%s", err);
    rudder_conf_destroy(c);
}

static void test_client_needs_key_and_url(void) {
    char err[256];
    rudder_client_t *cl = rudder_client_new_json("{}", 2, err, sizeof err);
    CHECK(cl == NULL && strstr(err, "writeKey"), "%s", err);
    const char *j = "{\"writeKey\":\"secret-key-123\",\"dataPlaneUrl\":\"ftp://x\"}";
    cl = rudder_client_new_json(j, strlen(j), err, sizeof err);
    CHECK(cl == NULL && strstr(err, "dataPlaneUrl") && !strstr(err, "secret-key-123"), "%s", err);
    rudder_client_destroy(NULL);
}

static void test_every_property_is_documented(void) {
    size_t n;
    const rudder_property_t *p = rudder_properties(&n);
    CHECK(n >= 25, "table has %zu rows", n);
    for (size_t i = 0; i < n; i++) {
        CHECK(p[i].doc && strlen(p[i].doc) > 10, "%s has a doc line", p[i].name);
        CHECK(p[i].snake_name && *p[i].snake_name, "%s has a snake_case name", p[i].name);
        if (p[i].type == RUDDER_PROP_INT) CHECK(p[i].min <= p[i].max, "%s range", p[i].name);
    }
}

int main(void) {
    RUN(test_defaults_are_the_walkeros_ones);
    RUN(test_errors_name_setting_and_range);
    RUN(test_json_settings);
    RUN(test_client_needs_key_and_url);
    RUN(test_every_property_is_documented);
    return check_summary();
}
