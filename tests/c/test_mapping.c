/* test_mapping.c — the walkerOS mapping engine beyond what the JSON vectors can say:
 * host callbacks (fn, condition, validate, rule conditions), error containment, paths,
 * policies, include and remove. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "json/json.h"
#include "destination/mapping/mapping.h"

static cJSON *parse(const char *text) {
    rudder_err_t e;
    char msg[128];
    cJSON *v = rj_parse(text, strlen(text), 0, &e, msg, sizeof msg);
    if (!v) fprintf(stderr, "bad test JSON: %s\n", msg);
    return v;
}

/* Result of getMappingValue(event, mapping) as compact JSON ("undefined" for undefined). */
static char *eval(const char *event, const char *mapping, const rudder_conf_t *conf, unsigned *failed) {
    cJSON *ev = parse(event), *m = parse(mapping);
    map_ctx_t c;
    map_ctx_init(&c, ev, NULL, conf);
    cJSON *r = map_value(&c, ev, m, NULL);
    char *out = r ? rj_print(r) : strdup("undefined");
    if (failed) *failed = c.failed;
    cJSON_Delete(r);
    cJSON_Delete(ev);
    cJSON_Delete(m);
    return out;
}

#define CHECK_EVAL(event, mapping, conf, expected)               \
    do {                                                          \
        char *got_ = eval(event, mapping, conf, NULL);            \
        CHECK_EQ_STR(got_, expected);                             \
        free(got_);                                               \
    } while (0)

/* ---- host callbacks ------------------------------------------------------------------- */

static int calls_seen;

/* fn: upper-cases data.email of the input. */
static char *upper_email(const char *value, const char *context, void *opaque, int *failed) {
    calls_seen++;
    cJSON *v = parse(value), *ctx = parse(context);
    CHECK(mv_own(ctx, "event", 5) && mv_own(ctx, "mapping", 7) && mv_own(ctx, "consent", 7),
          "context carries event, mapping and consent: %s", context);
    const cJSON *email = mv_own(mv_own(v, "data", 4), "email", 5);
    char *out = NULL;
    if (cJSON_IsString(email)) {
        size_t n = strlen(email->valuestring);
        out = malloc(n + 3);
        out[0] = '"';
        for (size_t i = 0; i < n; i++) out[i + 1] = (char)toupper((unsigned char)email->valuestring[i]);
        out[n + 1] = '"';
        out[n + 2] = '\0';
    }
    cJSON_Delete(v);
    cJSON_Delete(ctx);
    (void)opaque;
    (void)failed;
    return out;
}

/* condition: data.total > 50. */
static char *high_value(const char *value, const char *context, void *opaque, int *failed) {
    cJSON *v = parse(value);
    const cJSON *t = mv_own(mv_own(v, "data", 4), "total", 5);
    int ok = cJSON_IsNumber(t) && t->valuedouble > 50;
    cJSON_Delete(v);
    return strdup(ok ? "true" : "false");
}

/* validate: a string containing '@'. */
static char *has_at(const char *value, const char *context, void *opaque, int *failed) {
    return strdup(value && value[0] == '"' && strchr(value, '@') ? "true" : "false");
}

static char *always_fails(const char *value, const char *context, void *opaque, int *failed) {
    *failed = 1;
    return NULL;
}

static rudder_conf_t *conf_with_fns(void) {
    rudder_conf_t *conf = rudder_conf_new();
    rudder_conf_set_fn(conf, "upperEmail", upper_email, NULL);
    rudder_conf_set_fn(conf, "highValue", high_value, NULL);
    rudder_conf_set_fn(conf, "hasAt", has_at, NULL);
    rudder_conf_set_fn(conf, "boom", always_fails, NULL);
    return conf;
}

static const char *EVENT =
    "{\"name\":\"order complete\",\"data\":{\"id\":\"o1\",\"total\":555,\"email\":\"a@b.io\",\"bad\":\"nope\"},"
    "\"user\":{\"id\":\"u1\"},\"consent\":{\"functional\":true},"
    "\"nested\":[{\"entity\":\"product\",\"data\":{\"id\":\"p1\",\"tags\":[1,2]}},{\"entity\":\"gift\",\"data\":{}}]}";

static void test_fn_computes_a_value(void) {
    rudder_conf_t *conf = conf_with_fns();
    calls_seen = 0;
    CHECK_EVAL(EVENT, "{\"fn\":\"$fn:upperEmail\"}", conf, "\"A@B.IO\"");
    CHECK_EVAL(EVENT, "{\"fn\":\"upperEmail\"}", conf, "\"A@B.IO\"");
    CHECK_EQ_INT(calls_seen, 2);
    /* key overrides fn (walkerOS order: fn, then key) */
    CHECK_EVAL(EVENT, "{\"fn\":\"upperEmail\",\"key\":\"data.id\"}", conf, "\"o1\"");
    rudder_conf_destroy(conf);
}

static void test_failing_fn_falls_back_to_value(void) {
    rudder_conf_t *conf = conf_with_fns();
    unsigned failed = 0;
    char *got = eval(EVENT, "{\"fn\":\"boom\",\"value\":\"fallback\"}", conf, &failed);
    CHECK_EQ_STR(got, "\"fallback\"");
    CHECK_EQ_INT(failed, 1);
    free(got);
    got = eval(EVENT, "{\"fn\":\"boom\"}", conf, &failed);
    CHECK_EQ_STR(got, "undefined");
    free(got);
    /* an unregistered name at run time behaves like a throwing function */
    got = eval(EVENT, "{\"fn\":\"nobody\",\"value\":1}", conf, &failed);
    CHECK_EQ_STR(got, "1");
    CHECK_EQ_INT(failed, 1);
    free(got);
    rudder_conf_destroy(conf);
}

static void test_condition_gates_without_static_value(void) {
    rudder_conf_t *conf = conf_with_fns();
    CHECK_EVAL(EVENT, "{\"condition\":\"highValue\",\"key\":\"data.id\",\"value\":\"x\"}", conf, "\"o1\"");
    const char *small = "{\"name\":\"order complete\",\"data\":{\"id\":\"o2\",\"total\":5}}";
    CHECK_EVAL(small, "{\"condition\":\"highValue\",\"key\":\"data.id\",\"value\":\"x\"}", conf, "undefined");
    CHECK_EVAL(small, "{\"condition\":\"boom\",\"value\":\"x\"}", conf, "undefined");
    rudder_conf_destroy(conf);
}

static void test_validate_filters_results(void) {
    rudder_conf_t *conf = conf_with_fns();
    CHECK_EVAL(EVENT, "{\"key\":\"data.email\",\"validate\":\"hasAt\"}", conf, "\"a@b.io\"");
    CHECK_EVAL(EVENT, "{\"key\":\"data.bad\",\"validate\":\"hasAt\"}", conf, "undefined");
    CHECK_EVAL(EVENT, "{\"key\":\"data.bad\",\"validate\":\"hasAt\",\"value\":\"n/a\"}", conf, "\"n/a\"");
    rudder_conf_destroy(conf);
}

static void test_rule_condition_selects_rule(void) {
    rudder_conf_t *conf = conf_with_fns();
    cJSON *rules = parse("{\"order\":{\"complete\":[{\"condition\":\"highValue\",\"name\":\"High\"},{\"name\":\"Low\"}]}}");
    cJSON *big = parse(EVENT);
    cJSON *small = parse("{\"name\":\"order complete\",\"data\":{\"total\":5}}");
    map_ctx_t c;
    map_ctx_init(&c, big, NULL, conf);
    const cJSON *rule = NULL;
    char key[64];
    CHECK_EQ_INT(map_lookup_rule(&c, rules, big, &rule, key, sizeof key), 0);
    CHECK_EQ_STR(cJSON_GetStringValue(mv_own(rule, "name", 4)), "High");
    CHECK_EQ_STR(key, "order complete");
    CHECK_EQ_INT(map_lookup_rule(&c, rules, small, &rule, key, sizeof key), 0);
    CHECK_EQ_STR(cJSON_GetStringValue(mv_own(rule, "name", 4)), "Low");
    /* a failing rule condition fails the lookup (walkerOS: the push throws) */
    cJSON *failing = parse("{\"order\":{\"complete\":{\"condition\":\"boom\"}}}");
    CHECK_EQ_INT(map_lookup_rule(&c, failing, big, &rule, key, sizeof key), -1);
    CHECK(strstr(c.error, "boom") != NULL, "error names the callback: %s", c.error);
    cJSON_Delete(failing);
    cJSON_Delete(rules);
    cJSON_Delete(big);
    cJSON_Delete(small);
    rudder_conf_destroy(conf);
}

/* ---- errors stay contained --------------------------------------------------------------- */

static void test_errors_are_contained(void) {
    unsigned failed = 0;
    char *got = eval(EVENT, "{\"map\":{\"a\":null,\"b\":\"data.id\"}}", NULL, &failed);
    CHECK_EQ_STR(got, "{\"b\":\"o1\"}");
    CHECK_EQ_INT(failed, 1);
    free(got);
    got = eval(EVENT, "[{\"set\":[\"data.id\",null]},\"user.id\"]", NULL, &failed);
    CHECK_EQ_STR(got, "\"u1\""); /* the whole set element failed, the next one answered */
    free(got);
    got = eval(EVENT, "{\"loop\":{}}", NULL, &failed);
    CHECK_EQ_STR(got, "undefined");
    CHECK_EQ_INT(failed, 1);
    free(got);
    /* deep mapping nesting stops with an error, not a stack overflow */
    char deep[4096] = "";
    for (int i = 0; i < 200; i++) strcat(deep, "{\"map\":{\"a\":");
    strcat(deep, "\"data.id\"");
    for (int i = 0; i < 200; i++) strcat(deep, "}}");
    cJSON *ev = parse(EVENT);
    rudder_err_t e;
    char msg[128];
    cJSON *m = rj_parse(deep, strlen(deep), 1000, &e, msg, sizeof msg);
    CHECK(m != NULL, "deep mapping parsed: %s", msg);
    map_ctx_t c;
    map_ctx_init(&c, ev, NULL, NULL);
    cJSON *r = map_value(&c, ev, m, NULL);
    CHECK(c.failed > 0, "deep mapping reported an error");
    cJSON_Delete(r);
    cJSON_Delete(m);
    cJSON_Delete(ev);
}

/* ---- paths, policy, include, remove ------------------------------------------------------ */

static void test_paths(void) {
    CHECK_EVAL(EVENT, "\"nested.*.data.tags.length\"", NULL, "[2,null]"); /* undefined prints as null */
    CHECK_EVAL(EVENT, "\"nested.01.entity\"", NULL, "undefined");
    CHECK_EVAL(EVENT, "\"nested.1.entity\"", NULL, "\"gift\"");
    CHECK_EVAL(EVENT, "\"nested.length\"", NULL, "2");
    CHECK_EVAL("{\"a\":{\"\":{\"b\":1}}}", "\"a..b\"", NULL, "1");
}

static void test_set_and_delete_path(void) {
    cJSON *ev = parse("{\"a\":{\"b\":1},\"s\":\"x\",\"arr\":[{\"k\":1},{\"k\":2}]}");
    map_set_path(ev, "s.t.u", cJSON_CreateNumber(3)); /* non-object intermediate replaced */
    map_set_path(ev, "a.b", NULL);                    /* undefined removes */
    map_set_path(ev, "arr.1.k", cJSON_CreateString("two"));
    char *t = rj_print(ev);
    CHECK_EQ_STR(t, "{\"a\":{},\"s\":{\"t\":{\"u\":3}},\"arr\":[{\"k\":1},{\"k\":\"two\"}]}");
    free(t);
    map_delete_path(ev, "arr.0");
    map_delete_path(ev, "arr.5");
    map_delete_path(ev, "missing.x");
    t = rj_print(ev);
    CHECK_EQ_STR(t, "{\"a\":{},\"s\":{\"t\":{\"u\":3}},\"arr\":[{\"k\":\"two\"}]}");
    free(t);
    cJSON_Delete(ev);
}

static void test_include_all_sections(void) {
    cJSON *ev = parse("{\"name\":\"p v\",\"entity\":\"p\",\"action\":\"v\",\"id\":\"i1\",\"trigger\":\"t\","
                      "\"data\":{\"a\":1,\"n\":null},\"globals\":{\"meta\":{\"b\":{\"c\":2}}},"
                      "\"context\":{\"shopping\":[\"detail\",0]},\"user\":{\"id\":\"u\"},\"source\":\"str\"}");
    cJSON *sections = parse("[\"all\"]");
    cJSON *inc = map_include(ev, sections);
    char *t = rj_print(inc);
    CHECK_EQ_STR(t, "{\"data_a\":1,\"data_n\":null,\"globals_meta_b_c\":2,\"context_shopping\":\"detail\","
                    "\"user_id\":\"u\",\"event_entity\":\"p\",\"event_action\":\"v\",\"event_id\":\"i1\","
                    "\"event_name\":\"p v\",\"event_trigger\":\"t\"}");
    free(t);
    cJSON_Delete(inc);
    cJSON_Delete(sections);
    cJSON_Delete(ev);
}

static void test_policy_written_in_declaration_order(void) {
    cJSON *ev = parse("{\"name\":\"product view\",\"data\":{\"id\":\"p\"}}");
    cJSON *policy = parse("{\"data\":{\"map\":{\"x\":{\"value\":1}}},\"data.a\":{\"value\":2}}");
    map_config_t cfg = {0};
    cfg.policy = policy;
    map_ctx_t c;
    map_ctx_init(&c, ev, NULL, NULL);
    map_result_t res;
    CHECK_EQ_INT(map_process_event(&c, &cfg, ev, &res), 0);
    char *t = rj_print(mv_own(ev, "data", 4));
    CHECK_EQ_STR(t, "{\"x\":1,\"a\":2}");
    free(t);
    cJSON_Delete(res.data);
    cJSON_Delete(policy);
    cJSON_Delete(ev);
}

static void test_check_names_paths(void) {
    rudder_conf_t *conf = conf_with_fns();
    char err[256];
    cJSON *rules = parse("{\"product\":{\"view\":{\"data\":{\"map\":{\"price\":{\"key\":5}}}}}}");
    CHECK_EQ_INT(map_check_rules(rules, conf, err, sizeof err), RUDDER_ERR_MAPPING);
    CHECK(strstr(err, "mapping.product.view.data.map.price.key") != NULL, "path in: %s", err);
    cJSON_Delete(rules);
    rules = parse("{\"product\":{\"view\":[{\"name\":\"a\"},{\"condition\":\"missingFn\"}]}}");
    CHECK_EQ_INT(map_check_rules(rules, conf, err, sizeof err), RUDDER_ERR_UNKNOWN_FN);
    CHECK(strstr(err, "mapping.product.view[1].condition") && strstr(err, "missingFn"), "message: %s", err);
    cJSON_Delete(rules);
    rules = parse("{\"product\":{\"view\":{\"data\":{\"loop\":[\"nested\"]}}}}");
    CHECK_EQ_INT(map_check_rules(rules, conf, err, sizeof err), RUDDER_ERR_MAPPING);
    CHECK(strstr(err, "data.loop") != NULL, "path in: %s", err);
    cJSON_Delete(rules);
    rules = parse("{\"order\":{\"complete\":[{\"condition\":\"$fn:highValue\",\"settings\":{\"page\":true}}]}}");
    CHECK_EQ_INT(map_check_rules(rules, conf, err, sizeof err), RUDDER_OK);
    cJSON_Delete(rules);
    rudder_conf_destroy(conf);
}

int main(void) {
    RUN(test_fn_computes_a_value);
    RUN(test_failing_fn_falls_back_to_value);
    RUN(test_condition_gates_without_static_value);
    RUN(test_validate_filters_results);
    RUN(test_rule_condition_selects_rule);
    RUN(test_errors_are_contained);
    RUN(test_paths);
    RUN(test_set_and_delete_path);
    RUN(test_include_all_sections);
    RUN(test_policy_written_in_declaration_order);
    RUN(test_check_names_paths);
    return check_summary();
}
