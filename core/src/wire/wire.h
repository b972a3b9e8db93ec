/* wire.h — what wire/ offers the client and persistence: an accepted event on its way to
 * the data plane.
 *   queue.h      the queued event (envelope text without sentAt) and the bounded FIFO
 *   batch.h      a batch's request body {"batch":[...],"sentAt":"..."}, its ids and events
 *   transport.h  one libcurl handle per sender: POST a body, keep the connection
 * wire/ includes only base/ and conf/. */
#ifndef RUDDER_WIRE_H
#define RUDDER_WIRE_H
#include "batch.h"
#include "queue.h"
#include "transport.h"
#endif
