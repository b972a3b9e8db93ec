/* spool_cmd.h — the `spool` subcommand (inspect, replay) shared by ruddercore-spool and the
 * ruddercore CLI.  argv[0] is the program or subcommand name, argv[1] inspect|replay. */
#ifndef RUDDER_SPOOL_CMD_H
#define RUDDER_SPOOL_CMD_H
int cmd_spool(int argc, char **argv);
#endif
