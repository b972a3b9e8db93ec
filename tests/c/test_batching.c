/* Queue bounds in bytes, batch cutting at maxQueueSize, gzip round trip, backoff sequence. */
#include "base/base.h"
#include "wire/wire.h"
#include "check.h"
#include <stdlib.h>
#include <zlib.h>

static qevent_t *ev(size_t len, int i) {
    char *text = malloc(len + 1);
    memset(text, 'x', len);
    text[0] = '{';
    char id[37];
    snprintf(id, sizeof id, "id-%d", i);
    qevent_t *e = qevent_new(text, len, id);
    free(text);
    e->seq = (uint64_t)i;
    return e;
}

static void test_batches_never_exceed_the_byte_limit(void) {
    queue_t q = {0};
    for (int i = 1; i <= 1000; i++) queue_push(&q, ev(300 + (size_t)(i % 97), i));
    size_t max_body = 10000, total = 0;
    rbuf_t body = RBUF_INIT;
    uint64_t expect_seq = 1;
    while (q.count) {
        size_t n;
        qevent_t *b = queue_take_batch(&q, max_body, &n);
        batch_build_body(&body, b, "2026-11-24T05:14:46.123Z");
        CHECK(body.len <= max_body, "body %zu bytes > %zu", body.len, max_body);
        CHECK(n >= 1, "a batch has at least one event");
        for (qevent_t *e = b; e; e = e->next) CHECK(e->seq == expect_seq++, "order kept");
        /* the limit is used: one more event would not have fit */
        if (q.head) CHECK(body.len + q.head->len + EVENT_SUFFIX + 1 > max_body, "batch could have taken more");
        total += n;
        qevent_free_list(b);
    }
    CHECK_EQ_INT(total, 1000);
    CHECK_EQ_INT(q.bytes, 0);
    rbuf_free(&body);
}

static void test_body_is_json_with_sent_at_per_event(void) {
    queue_t q = {0};
    qevent_t *a = qevent_new("{\"type\":\"track\",\"messageId\":\"a\"", 31, "a");
    qevent_t *b = qevent_new("{\"type\":\"track\",\"messageId\":\"b\"", 31, "b");
    queue_push(&q, a);
    queue_push(&q, b);
    size_t n;
    qevent_t *list = queue_take_batch(&q, 100000, &n);
    rbuf_t body = RBUF_INIT;
    batch_build_body(&body, list, "2026-11-24T05:14:46.123Z");
    CHECK_EQ_STR(body.data, "{\"batch\":[{\"type\":\"track\",\"messageId\":\"a\",\"sentAt\":\"2026-11-24T05:14:46.123Z\"},"
                            "{\"type\":\"track\",\"messageId\":\"b\",\"sentAt\":\"2026-11-24T05:14:46.123Z\"}],"
                            "\"sentAt\":\"2026-11-24T05:14:46.123Z\"}");
    char *ids = batch_ids_json(list);
    CHECK_EQ_STR(ids, "[\"a\",\"b\"]");
    free(ids);
    rbuf_free(&body);
    qevent_free_list(list);
}

static void test_gzip_round_trip(void) {
    gzipper_t g;
    CHECK_EQ_INT(gzipper_init(&g, 1), 0);
    rbuf_t in = RBUF_INIT, out = RBUF_INIT;
    for (int i = 0; i < 2000; i++) rbuf_printf(&in, "{\"event\":\"Order Completed\",\"n\":%d},", i);
    for (int round = 0; round < 2; round++) { /* the stream is reused */
        CHECK_EQ_INT(gzipper_compress(&g, in.data, in.len, &out), 0);
        CHECK((unsigned char)out.data[0] == 0x1f && (unsigned char)out.data[1] == 0x8b, "gzip magic");
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        inflateInit2(&zs, 15 + 16);
        char *back = malloc(in.len + 16);
        zs.next_in = (Bytef *)out.data;
        zs.avail_in = (uInt)out.len;
        zs.next_out = (Bytef *)back;
        zs.avail_out = (uInt)in.len + 16;
        CHECK_EQ_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
        CHECK_EQ_INT(zs.total_out, in.len);
        CHECK(memcmp(back, in.data, in.len) == 0, "same bytes back");
        inflateEnd(&zs);
        free(back);
    }
    CHECK(out.len * 5 < in.len, "compresses event JSON well (%zu -> %zu)", in.len, out.len);
    gzipper_end(&g);
    rbuf_free(&in);
    rbuf_free(&out);
}

static void test_backoff_sequence(void) {
    /* no jitter: 200, 400, 800, ... capped at 30 s */
    int64_t want[] = {200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
    for (int n = 1; n <= 10; n++) CHECK_EQ_INT(backoff_delay_ms(n, 200, 30000, -1, 0.0), want[n - 1]);
    /* full jitter adds at most 20 % */
    CHECK_EQ_INT(backoff_delay_ms(1, 200, 30000, -1, 1.0), 240);
    CHECK_EQ_INT(backoff_delay_ms(9, 200, 30000, -1, 1.0), 36000);
    /* Retry-After is a floor, clamped to 300 s */
    CHECK_EQ_INT(backoff_delay_ms(1, 200, 30000, 2000, 0.0), 2000);
    CHECK_EQ_INT(backoff_delay_ms(1, 200, 30000, 900000, 0.0), 300000);
    CHECK_EQ_INT(backoff_parse_retry_after("2", 0), 2000);
    CHECK_EQ_INT(backoff_parse_retry_after(" 7 ", 0), 7000);
    CHECK_EQ_INT(backoff_parse_retry_after("soon", 0), -1);
    int64_t now = 1784000000000LL; /* a date after the one below gives 0 */
    CHECK_EQ_INT(backoff_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
    CHECK_EQ_INT(backoff_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000LL), 10000);
}

int main(void) {
    RUN(test_batches_never_exceed_the_byte_limit);
    RUN(test_body_is_json_with_sent_at_per_event);
    RUN(test_gzip_round_trip);
    RUN(test_backoff_sequence);
    return check_summary();
}
