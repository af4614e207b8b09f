/*
 * cli: the secvf command.  Only code in this directory prints to the
 * terminal or chooses an exit code.
 */
#ifndef SECVF_CLI_H
#define SECVF_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes, documented in secvf(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* the command failed */
	EXIT_USAGE = 2,     /* bad arguments or options */
	EXIT_NOT_FOUND = 3, /* the named VM, case, bundle or file is absent */
	EXIT_VERIFY = 4,    /* a check ran and failed: tampering, a broken
			       chain, a failed baseline check */
	EXIT_BUSY = 5,      /* locked or in use by another secvf process */
	EXIT_STATE = 6,     /* the VM is in the wrong state for this */
	EXIT_MISSING = 7,   /* a required program or facility is absent */
	EXIT_PARTIAL = 8,   /* done in part: the evidence is safe, a later
			       step failed (triage: sealed, not recorded) */
};

/* Options given before the command; shared by every command. */
struct cli_global {
	int json;  /* --json: print data as JSON for scripts */
	int color; /* colour on stdout (a terminal and NO_COLOR unset) */
	int tty;   /* stdout is a terminal */
};

extern struct cli_global cli;

/* A command or subcommand: argv[0] is its own name. */
struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full help text, printed by --help */
};

/*
 * Run the subcommand named by argv[1] from the table (ended by a NULL
 * name), for a command such as "vm" whose help is usage.
 */
int cli_dispatch(const char *prefix, const struct cli_cmd *table,
		 const char *usage, int argc, char **argv);

/* Print "secvf PREFIX: message" and a hint at help; returns EXIT_USAGE. */
int cli_usage_error(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "secvf: message" on stderr; returns code. */
int cli_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print err_msg() as "secvf: what: detail"; returns code. */
int cli_fail_err(int code, const char *what);

/*
 * Reset getopt and parse the common per-command options: --json, -h.
 * Commands call getopt_long themselves; these are helpers for the
 * options every command shares.
 */
void cli_getopt_reset(void);

/*
 * Parse a subcommand that takes only --json and -h/--help besides its
 * operands, which getopt moves to argv[optind..].  Returns -1 to go
 * on, EXIT_OK after printing usage for --help, or EXIT_USAGE (with the
 * message printed) for a bad option.
 */
int cli_json_options(const char *prefix, const char *usage, int argc,
		     char **argv);

/* Print a JSON value as one compact line on stdout; steals the ref. */
void cli_print_json(json_t *value);

/* Colour escape for a severity name, or "" when colour is off. */
const char *cli_sev_color(const char *severity);
const char *cli_reset(void);
const char *cli_bold(void);

/*
 * The signing-key passphrase: the first line of file, or else
 * $SECVF_KEY_PASSPHRASE.  *have says whether there is one; the caller
 * wipes buf with OPENSSL_cleanse after use.
 */
int cli_passphrase(const char *file, char *buf, size_t size, int *have);

/* Command entry points, one per top-level command. */
int cmd_events(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_key(int argc, char **argv);
/* Helpers for the case database commands (cmd_case.c). */
struct casedb;
#define CLI_ACTOR_MAX 320

/* Parse a case id (a positive integer); EXIT_OK or a usage error. */
int cli_parse_case_id(const char *prefix, const char *text, int64_t *id);

/* Open the case database; EXIT_OK, or the failure printed. */
int cli_open_casedb(struct casedb **db);

/* As cli_open_casedb(), then EXIT_NOT_FOUND for an unknown case. */
int cli_open_case(int64_t case_id, struct casedb **db);

/* "user@host" of the one running secvf, for custody and notes. */
void cli_actor(char *buf, size_t size);

int cmd_case(int argc, char **argv);
int cmd_custody(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
extern const char doctor_usage[];
int cmd_triage(int argc, char **argv);
extern const char triage_usage[];
int cmd_net(int argc, char **argv);
int cmd_sigma(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_watch(int argc, char **argv);
extern const char watch_usage[];

/* secvf vm start | pause | resume | stop | console (cli/cmd_vmrun.c). */
int cmd_vm_start(int argc, char **argv);
int cmd_vm_pause(int argc, char **argv);
int cmd_vm_resume(int argc, char **argv);
int cmd_vm_stop(int argc, char **argv);
int cmd_vm_console(int argc, char **argv);
extern const char vm_start_usage[], vm_pause_usage[], vm_resume_usage[],
	vm_stop_usage[], vm_console_usage[];

/* Usage texts of the commands that keep them in their own file. */
extern const char cmd_events_usage[];
extern const char cmd_image_usage[];
extern const char cmd_log_usage[];
extern const char cmd_net_usage[];

/* Help texts of commands defined beside their code. */
extern const char advise_usage[];
extern const char baseline_usage[];
extern const char cmd_sigma_usage[];

#endif
