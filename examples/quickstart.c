/* The C quick start: send three events to a data plane and wait until they are delivered.
 *   cc quickstart.c $(pkg-config --cflags --libs ruddercore) -o quickstart
 *   ./quickstart http://127.0.0.1:8080 WRITE_KEY */
#include <ruddercore.h>
#include <stdio.h>
#include <string.h>

static void on_report(const rudder_report_t *r, void *opaque) {
    if (r->kind == RUDDER_REPORT_DELIVERED) printf("delivered %zu events\n", r->count);
    else if (r->kind == RUDDER_REPORT_LOG) printf("log: %s\n", r->message);
    else printf("not delivered (%s): %zu events: %s\n", rudder_err_name(r->err), r->count, r->message);
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080";
    const char *key = argc > 2 ? argv[2] : "demo-write-key";
    char err[512];

    rudder_conf_t *conf = rudder_conf_new();
    if (rudder_conf_set(conf, "writeKey", key, err, sizeof err) != RUDDER_OK ||
        rudder_conf_set(conf, "dataPlaneUrl", url, err, sizeof err) != RUDDER_OK ||
        rudder_conf_set(conf, "flushAt", "50", err, sizeof err) != RUDDER_OK) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    rudder_conf_set_report_cb(conf, on_report, NULL);
    rudder_client_t *client = rudder_client_new(conf, err, sizeof err);
    rudder_conf_destroy(conf);
    if (!client) { fprintf(stderr, "client: %s\n", err); return 1; }

    const char *identify = "{\"userId\":\"user-123\",\"traits\":{\"email\":\"a@example.com\",\"plan\":\"pro\"}}";
    const char *track = "{\"userId\":\"user-123\",\"event\":\"Order Completed\",\"properties\":{\"revenue\":42.5,\"currency\":\"USD\"}}";
    const char *page = "{\"anonymousId\":\"anon-9\",\"name\":\"Pricing\",\"properties\":{\"url\":\"https://example.com/pricing\"}}";
    if (rudder_identify(client, identify, strlen(identify), err, sizeof err) != RUDDER_OK ||
        rudder_track(client, track, strlen(track), err, sizeof err) != RUDDER_OK ||
        rudder_page(client, page, strlen(page), err, sizeof err) != RUDDER_OK)
        fprintf(stderr, "call: %s\n", err);

    /* A call that breaks the spec gets an error that names the field: */
    rudder_err_t e = rudder_track(client, "{\"event\":\"No Identity\"}", 23, err, sizeof err);
    printf("rejected as expected: %s: %s\n", rudder_err_name(e), err);

    size_t left = 0;
    e = rudder_flush(client, 10000, &left);   /* serves the report callback on this thread */
    char *stats = rudder_stats(client);
    printf("flush: %s, %zu left\nstats: %s\n", rudder_err_name(e), left, stats);
    rudder_free(stats);
    rudder_client_destroy(client);            /* closes: delivers or reports what is left */
    return e == RUDDER_OK ? 0 : 1;
}
