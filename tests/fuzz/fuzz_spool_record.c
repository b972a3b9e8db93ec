/* libFuzzer target: the spool's record reader, on bytes as a crash or a bad disk could
 * leave them in a segment file.  Every record must be read or refused, never overread. */
#include "persistence/spool_impl.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char msgid[37];
    size_t len;
    uint32_t crc;
    int64_t wall;
    spool_parse_header((const char *)data, size, msgid, &len, &crc, &wall);
    int fd = memfd_create("segment", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) { close(fd); return 0; }
    rbuf_t buf = RBUF_INIT;
    uint64_t buf_off = 0, off = 0;
    spool_rec_t r;
    while (spool_rec_at(fd, &buf, &buf_off, off, &r) == 1) {
        if (r.size == 0 || off + r.size > size) abort();
        off += r.size;
    }
    rbuf_free(&buf);
    close(fd);
    return 0;
}
