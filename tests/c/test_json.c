/* Strict JSON parsing and printing: exact numbers, UTF-8 checks, depth limit, positions. */
#include "check.h"
#include "base/base.h"
#include "json/json.h"
#include "json/json_build.h"
#include <stdlib.h>
#include <string.h>

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

/* The word-at-a-time scan must find exactly the byte a plain loop finds, wherever the
 * special byte sits in a word and whatever surrounds it (borrows between bytes). */
static void test_word_scan_matches_byte_scan(void) {
    static const unsigned char pool[] = {'a', 'Z', ' ', '"', '\\', 0x1F, 0x00, 0x20, 0x21, 0x7F, 0x80, 0xA0, 0xC3, 0xFF, 0x5B, 0x5D};
    unsigned seed = 12345;
    unsigned char s[40];
    int bad = 0;
    for (int iter = 0; iter < 200000 && !bad; iter++) {
        size_t n = (size_t)(iter % 40);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = (seed >> 16) % 4 ? 'x' : pool[(seed >> 8) % sizeof pool];
        }
        for (int high = 0; high <= 1; high++) {
            size_t want = 0;
            while (want < n && !textscan_special1(s[want], high)) want++;
            size_t got = textscan_plain_prefix((const char *)s, n, high);
            if (got != want) {
                CHECK(0, "length %zu, high %d: word scan %zu, byte scan %zu", n, high, got, want);
                bad = 1;
            }
        }
    }
}

/* Inside an arena scope, parsed trees live in the arena (strings in place), mix with heap
 * values, and everything is gone after the scope without a leak or a double free. */
static void test_arena_trees(void) {
    cJSON *heap = rj_object();
    CHECK(!(heap->type & RJ_IN_ARENA), "outside a scope nodes are heap nodes");
    rj_scope_t scope = rj_scope_open();
    rudder_err_t e;
    const char *text = "{\"a\":\"x\\u00e9y\",\"b\":[1,2.50,\"z\"],\"c\":{\"d\":null}}";
    cJSON *v = rj_parse(text, strlen(text), 0, &e, NULL, 0);
    CHECK(v && (v->type & RJ_IN_ARENA), "parsed in the arena");
    rj_add(v, "h", rj_dup(heap));           /* an arena copy of a heap value */
    rj_scope_t h = rj_scope_heap();
    cJSON *kept = rj_dup(v);                /* a heap copy of the arena tree */
    rj_scope_close(h);
    CHECK(!(kept->type & RJ_IN_ARENA) && !(kept->child->type & RJ_IN_ARENA), "a heap scope copies to the heap");
    cJSON *fresh = rj_string("new");
    rj_set_key(fresh, "a");
    rj_replace(v, v->child, fresh);
    char *out = rj_print(v);
    CHECK_EQ_STR(out, "{\"a\":\"new\",\"b\":[1,2.50,\"z\"],\"c\":{\"d\":null},\"h\":{}}");
    free(out);
    rj_delete(v);
    rj_scope_close(scope);
    out = rj_print(kept);
    CHECK_EQ_STR(out, "{\"a\":\"x\u00e9y\",\"b\":[1,2.50,\"z\"],\"c\":{\"d\":null},\"h\":{}}");
    free(out);
    rj_delete(kept);
    rj_delete(heap);
}

/* A large push does not leave its memory with the thread: after the scope closes the
 * arena keeps at most one standard block. */
static void test_arena_gives_back_big_blocks(void) {
    size_t len = 1 << 20;
    char *text = malloc(len + 3);
    text[0] = '"';
    memset(text + 1, 'x', len);
    text[len + 1] = '"';
    text[len + 2] = '\0';
    for (int round = 0; round < 3; round++) {
        rj_scope_t scope = rj_scope_open();
        cJSON *v = rj_parse(text, len + 2, 0, NULL, NULL, 0);
        CHECK(v && strlen(v->valuestring) == len, "a 1 MB string parsed in the arena");
        CHECK(rj_arena_thread_bytes() >= len, "the arena holds it while the scope is open");
        rj_delete(v);
        rj_scope_close(scope);
        CHECK(rj_arena_thread_bytes() <= 32 * 1024, "round %d: %zu bytes kept after the scope", round, rj_arena_thread_bytes());
    }
    free(text);
}

/* The builder makes the tree rj_parse would make from the same value's text. */
static void build_sample(rj_builder_t *b) {
    rjb_begin(b, 1);
    rjb_key(b, "n", 1); rjb_begin(b, 0);
    const char *nums[] = {"1", "-0", "2.50", "1e+16", "18446744073709551616", "0.1", "-42"};
    for (int i = 0; i < 7; i++) rjb_number(b, nums[i], strlen(nums[i]));
    const long long ints[] = {0, -7, 999999999999999LL, 1000000000000000LL, -9223372036854775807LL - 1};
    for (int i = 0; i < 5; i++) rjb_integer(b, ints[i]);
    rjb_end(b);
    rjb_key(b, "s\"k", 3); rjb_string(b, "tab\tquote\"\xc3\xa9", 12);
    rjb_key(b, "e", 1); rjb_begin(b, 1); rjb_end(b);
    rjb_key(b, "a", 1); rjb_begin(b, 0); rjb_bool(b, 1); rjb_bool(b, 0); rjb_null(b); rjb_end(b);
    rjb_end(b);
}

static void test_builder_makes_the_parsed_tree(void) {
    const char *text = "{\"n\":[1,-0,2.50,1e+16,18446744073709551616,0.1,-42,0,-7,999999999999999,1000000000000000,-9223372036854775808],\"s\\\"k\":\"tab\\tquote\\\"\xc3\xa9\","
                       "\"e\":{},\"a\":[true,false,null]}";
    for (int in_arena = 0; in_arena < 2; in_arena++) {
        rj_scope_t scope = in_arena ? rj_scope_open() : rj_scope_heap();
        rj_builder_t b;
        rjb_init(&b, 8, 0, 1);
        build_sample(&b);
        cJSON *built = rjb_take(&b);
        cJSON *parsed = rj_parse(text, strlen(text), 0, NULL, NULL, 0);
        CHECK(built && parsed, "both trees made");
        CHECK(!in_arena || (built->child->type & RJ_IN_ARENA), "built in the scope's arena");
        char *a = rj_print(built), *p = rj_print(parsed);
        CHECK_EQ_STR(a, p);
        const cJSON *n = built->child->child;
        CHECK(n->valuestring == NULL && n->valuedouble == 1, "a short integer is a plain value, as parsed");
        CHECK(n->next->valuestring && strcmp(n->next->valuestring, "-0") == 0, "-0 keeps its text, as parsed");
        free(a);
        free(p);
        rj_delete(built);
        rj_delete(parsed);
        rj_scope_close(scope);
    }
}

static void test_builder_limits(void) {
    rj_builder_t b;
    rjb_init(&b, 2, 0, 0);
    rjb_begin(&b, 0);
    rjb_begin(&b, 0);
    CHECK(rjb_begin(&b, 0) == -1 && b.err == RUDDER_ERR_TOO_DEEP, "a third level is refused: %s", b.why);
    CHECK(strstr(b.why, "deeper than 2") != NULL, "and says the limit: %s", b.why);
    CHECK(rjb_null(&b) == -1 && rjb_take(&b) == NULL, "later calls do nothing; the partial tree is freed");

    rjb_init(&b, 8, 40, 0);
    rjb_begin(&b, 0);
    rjb_string(&b, "0123456789", 10);
    CHECK(rjb_string(&b, "0123456789012345678901234567890", 31) == -1 && b.err == RUDDER_ERR_TOO_LARGE,
          "the size limit counts the JSON text: %s", b.why);
    rjb_take(&b);

    rjb_init(&b, 8, 0, 1);
    CHECK(rjb_string(&b, "a\xff", 2) == -1 && b.err == RUDDER_ERR_INVALID_UTF8, "bytes that are not UTF-8: %s", b.why);
    rjb_take(&b);
    rjb_init(&b, 8, 0, 0);
    CHECK(rjb_string(&b, "a\0b", 3) == -1 && b.err == RUDDER_ERR_INVALID_JSON, "a NUL, as \\u0000 in text: %s", b.why);
    rjb_take(&b);
    rjb_init(&b, 8, 0, 0);
    CHECK(rjb_number(&b, "0x10", 4) == -1 && b.err == RUDDER_ERR_INVALID_JSON, "not a JSON number: %s", b.why);
    rjb_take(&b);
    rjb_init(&b, 8, 0, 0);
    rjb_begin(&b, 0);
    CHECK(rjb_take(&b) == NULL, "an unfinished tree is not handed out");
    rjb_init(&b, 8, 1, 0); /* on the heap: a container refused by the size limit is not leaked */
    CHECK(rjb_begin(&b, 1) == -1 && b.err == RUDDER_ERR_TOO_LARGE && rjb_take(&b) == NULL, "refused: %s", b.why);

    /* the size limit counts the text rj_parse would get: short integers by their digits,
     * strings with what escaping adds */
    rjb_init(&b, 8, 1000, 0);
    rjb_begin(&b, 0);
    for (int i = 0; i < 400; i++) rjb_integer(&b, 7); /* "7," 400 times: 800 bytes */
    rjb_end(&b);
    cJSON *ints = rjb_take(&b);
    CHECK(ints != NULL, "800 bytes of small integers fit in 1000: %s", b.why);
    rj_delete(ints);
    rjb_init(&b, 8, 1000, 0);
    char ctl[300];
    memset(ctl, 1, sizeof ctl); /* 300 bytes, 1800 as \u0001 escapes */
    CHECK(rjb_string(&b, ctl, sizeof ctl) == -1 && b.err == RUDDER_ERR_TOO_LARGE, "escapes count: %s", b.why);
    rjb_take(&b);
}

/* Strings the printer copies without a scan (RJ_PLAIN_*) must really need no escaping,
 * and a string or key changed later must be escaped again. */
static void test_plain_strings_stay_valid_json(void) {
    const char *text = "{\"plain\":\"abc\",\"esc\\\"key\":\"q\\\"uote\",\"nl\":\"a\\nb\",\"u\":\"\xc3\xa9\"}";
    rj_scope_t scope = rj_scope_open();
    cJSON *v = rj_parse(text, strlen(text), 0, NULL, NULL, 0);
    CHECK(v && (v->child->type & RJ_PLAIN_TEXT) && (v->child->type & RJ_PLAIN_KEY), "a string without escapes is plain");
    CHECK(!(v->child->next->type & RJ_PLAIN_TEXT) && !(v->child->next->type & RJ_PLAIN_KEY), "an escaped one is not");
    char *out = rj_print(v);
    CHECK_EQ_STR(out, text);
    free(out);
    rj_set_key(v->child, "new\"key");          /* the plain key is replaced */
    cJSON *c = v->child;
    rj_add_const(v, "also\"const", rj_dup(c)); /* a const key is not trusted either */
    out = rj_print(v);
    CHECK(strstr(out, "\"new\\\"key\":\"abc\"") != NULL && strstr(out, "\"also\\\"const\":\"abc\"") != NULL,
          "changed keys are escaped: %s", out);
    free(out);
    rj_builder_t b;
    rjb_init(&b, 8, 0, 0);
    rjb_begin(&b, 1);
    rjb_key(&b, "k\n", 2);
    rjb_string(&b, "tab\there", 8);
    rjb_key(&b, "ok", 2);
    rjb_string(&b, "fine", 4);
    rjb_end(&b);
    cJSON *t = rjb_take(&b);
    CHECK(t && !(t->child->type & (RJ_PLAIN_TEXT | RJ_PLAIN_KEY)) && (t->child->next->type & RJ_PLAIN_TEXT),
          "the builder's scan marks only plain text");
    out = rj_print(t);
    CHECK_EQ_STR(out, "{\"k\\n\":\"tab\\there\",\"ok\":\"fine\"}");
    free(out);
    /* a plain string's length rides in valueint (the printer's strlen): parsed, built,
     * copied into the arena or the heap, and printed back whole */
    CHECK(v->child->valueint == 3 && t->child->next->valueint == 4, "plain strings carry their length");
    const char *strs = "[\"\",\"0123456789abcdefghij\",\"\xc3\xa9t\xc3\xa9\"]";
    cJSON *u = rj_parse(strs, strlen(strs), 0, NULL, NULL, 0);
    CHECK(u && u->child->valueint == 0 && u->child->next->valueint == 20 && u->child->next->next->valueint == 5,
          "lengths of parsed plain strings (empty, long, UTF-8)");
    rj_scope_t heap = rj_scope_heap();
    cJSON *h = rj_dup(u);
    rj_scope_close(heap);
    out = rj_print(h);
    CHECK_EQ_STR(out, "[\"\",\"0123456789abcdefghij\",\"\xc3\xa9t\xc3\xa9\"]");
    free(out);
    rj_delete(h);
    rj_scope_close(scope);
}

/* rj_format_fixed6 reads back as the same double, or declines. */
static void test_fixed6_floats_read_back(void) {
    char out[RJ_FIXED6_MAX + 1];
    size_t n = rj_format_fixed6(42.5, out);
    out[n] = '\0';
    CHECK_EQ_STR(out, "42.5");
    n = rj_format_fixed6(-3.0, out);
    out[n] = '\0';
    CHECK_EQ_STR(out, "-3.0");
    n = rj_format_fixed6(0.000001, out);
    out[n] = '\0';
    CHECK_EQ_STR(out, "0.000001");
    CHECK(rj_format_fixed6(1e9, out) == 0 && rj_format_fixed6(0.1234567, out) == 0 &&
          rj_format_fixed6(1.0 / 3, out) == 0, "values it cannot write exactly are declined");
    unsigned seed = 99;
    int bad = 0;
    for (int i = 0; i < 200000 && !bad; i++) {
        seed = seed * 1103515245u + 12345u;
        double d = ((double)(seed >> 4) - 134217728.0) / (double)(1u << (seed % 24));
        n = rj_format_fixed6(d, out);
        if (!n) continue;
        out[n] = '\0';
        if (strtod(out, NULL) != d) {
            CHECK(0, "%.17g written as %s", d, out);
            bad = 1;
        }
    }
}

int main(void) {
    RUN(test_numbers_keep_their_text);
    RUN(test_created_numbers_print_like_js);
    RUN(test_strings_and_escapes);
    RUN(test_rejects_bad_input_with_position);
    RUN(test_key_order_is_kept);
    RUN(test_word_scan_matches_byte_scan);
    RUN(test_arena_trees);
    RUN(test_arena_gives_back_big_blocks);
    RUN(test_builder_makes_the_parsed_tree);
    RUN(test_builder_limits);
    RUN(test_plain_strings_stay_valid_json);
    RUN(test_fixed6_floats_read_back);
    return check_summary();
}
