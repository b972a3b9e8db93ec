/* persistence.h — what persistence/ offers: where accepted events wait when the
 * `persistence` setting is on.  The client reaches it only through its queue-backend
 * table (client/backend.h), whose two implementations include this header.
 *   spool.h       a directory of segment files: append, read back, ack, dead-letter
 *                 (spool.c, spool_read.c; spool_tools.c inspects and replays for the CLI)
 *   redisq.h      a Redis batch queue shared by processes (redisq.c, redisq_opts.c)
 *   redisq_proc.h the thread that takes batches from Redis and posts them
 * persistence/ includes only wire/, conf/, json/ and base/: never the client. */
#ifndef RUDDER_PERSISTENCE_H
#define RUDDER_PERSISTENCE_H
#include "redisq.h"
#include "redisq_proc.h"
#include "spool.h"
#endif
