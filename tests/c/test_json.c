/* Strict JSON parsing and printing: exact numbers, UTF-8 checks, depth limit, positions. */
#include "check.h"
#include "json.h"
#include <stdlib.h>

static char *roundtrip(const char *in) {
    rudder_err_t e;
    char msg[128];
    cJSON *v = rj_parse(in, strlen(in), 0, &e, msg, sizeof msg);
    if (!v) return NULL;
    char *out = rj_print(v);
    cJSON_Delete(v);
    return out;
}

static rudder_err_t parse_err(const char *in, size_t n, char *msg, size_t size) {
    rudder_err_t e;
    cJSON *v = rj_parse(in, n, 8, &e, msg, size);
    cJSON_Delete(v);
    return e;
}

static void test_numbers_keep_their_text(void) {
    char *s = roundtrip("{\"big\":18446744073709551616,\"neg\":-9007199254740993,\"f\":0.1,\"e\":1E+400,\"z\":-0}");
    CHECK_EQ_STR(s, "{\"big\":18446744073709551616,\"neg\":-9007199254740993,\"f\":0.1,\"e\":1E+400,\"z\":-0}");
    free(s);
}

static void test_created_numbers_print_like_js(void) {
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber(420));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(3.14));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(0.1 + 0.2));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(1700000000000.0));
    char *s = rj_print(a);
    CHECK_EQ_STR(s, "[420,3.14,0.30000000000000004,1700000000000]");
    free(s);
    cJSON_Delete(a);
}

static void test_strings_and_escapes(void) {
    char *s = roundtrip("[\"a\\u00e9\\n\\\"\\\\\\/\", \"\\ud83d\\ude00\", \"\xc3\xa9\"]");
    CHECK_EQ_STR(s, "[\"a\xc3\xa9\\n\\\"\\\\/\",\"\xf0\x9f\x98\x80\",\"\xc3\xa9\"]");
    free(s);
}

static void test_rejects_bad_input_with_position(void) {
    char msg[128];
    CHECK_EQ_INT(parse_err("{\"a\":1,}", 8, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK(strstr(msg, "byte 7") != NULL, "message names the offset: %s", msg);
    CHECK_EQ_INT(parse_err("[1] x", 5, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK_EQ_INT(parse_err("\"\xff\"", 3, msg, sizeof msg), RUDDER_ERR_INVALID_UTF8);
    CHECK_EQ_INT(parse_err("\"\xc0\xaf\"", 4, msg, sizeof msg), RUDDER_ERR_INVALID_UTF8);   /* overlong */
    CHECK_EQ_INT(parse_err("\"\xed\xa0\x80\"", 5, msg, sizeof msg), RUDDER_ERR_INVALID_UTF8); /* surrogate */
    CHECK_EQ_INT(parse_err("\"\\ud800\"", 8, msg, sizeof msg), RUDDER_ERR_INVALID_UTF8);
    CHECK_EQ_INT(parse_err("[[[[[[[[[1]]]]]]]]]", 19, msg, sizeof msg), RUDDER_ERR_TOO_DEEP);
    CHECK_EQ_INT(parse_err("[01]", 4, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK_EQ_INT(parse_err("[1.]", 4, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK_EQ_INT(parse_err("\"a\tb\"", 5, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK_EQ_INT(parse_err("", 0, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK_EQ_INT(parse_err("{\"a\":1}\0", 8, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
    CHECK_EQ_INT(parse_err("nul", 3, msg, sizeof msg), RUDDER_ERR_INVALID_JSON);
}

static void test_key_order_is_kept(void) {
    char *s = roundtrip(" { \"z\" : 1 , \"a\" : [ true , false , null ] , \"m\" : { } } ");
    CHECK_EQ_STR(s, "{\"z\":1,\"a\":[true,false,null],\"m\":{}}");
    free(s);
}

int main(void) {
    RUN(test_numbers_keep_their_text);
    RUN(test_created_numbers_print_like_js);
    RUN(test_strings_and_escapes);
    RUN(test_rejects_bad_input_with_position);
    RUN(test_key_order_is_kept);
    return check_summary();
}
