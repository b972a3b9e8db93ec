/* ruddercore-spool — inspect a persistence directory and replay its dead letters.
 *   ruddercore-spool inspect DIR
 *   ruddercore-spool replay DIR --config settings.json */
#include "spool_cmd.h"

int main(int argc, char **argv) { return cmd_spool(argc, argv); }
