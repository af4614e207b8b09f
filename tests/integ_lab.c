/*
 * Two real guests on a Virtual-mode lab network behind secvf's switch.
 * Traffic stays on loopback: the "outside" address is 192.0.2.1, a
 * documentation address, and the lab has no uplink.
 */
#include "helpers.h"

#include "tests/guest/guest.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
setup(void)
{
	th_fresh_home();
	setenv("SECVF_ACCEL", "tcg", 1);
}

static void
teardown(void)
{
	th_secvf(NULL, NULL, "vm", "stop", "g1", "--force", NULL);
	th_secvf(NULL, NULL, "vm", "stop", "g2", "--force", NULL);
	th_secvf(NULL, NULL, "net", "down", "lab", NULL);
	th_remove_home();
}

TestSuite(integ_lab, .init = setup, .fini = teardown, .timeout = 300);

static struct guest *
guest_on_lab(const char *name, const char *ip)
{
	char kernel[4096], initrd[4096], append[256], serial[4096], log[4096];
	char *err = NULL;
	struct guest *g;

	cr_assert_eq(guest_image(kernel, sizeof(kernel), initrd,
				 sizeof(initrd)),
		     0);
	snprintf(append, sizeof(append),
		 "console=ttyS0 quiet panic=-1 secvf.ip=%s/24", ip);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "create", name, "--kernel",
			      kernel, "--initrd", initrd, "--append", append,
			      "--memory", "128M", "--cpus", "1", "--disk",
			      "16M", "--net", "virtual", "--network", "lab",
			      NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", name, NULL), 0,
		     "%s", err);
	free(err);
	snprintf(serial, sizeof(serial), "%s/run/%s/console.sock",
		 getenv("SECVF_HOME"), name);
	snprintf(log, sizeof(log), "%s/run/%s/console.log",
		 getenv("SECVF_HOME"), name);
	g = guest_attach(serial, log, 120000);
	cr_assert_not_null(g);
	return g;
}

static int
logged(const char *event)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (th_sh("grep -q '\"event\":\"%s\"' "
			  "'%s'/logs/security-*.log 2>/dev/null",
			  event, getenv("SECVF_HOME")) == 0)
			return 1;
		usleep(100000);
	}
	return 0;
}

Test(integ_lab, guests_reach_each_other_and_nothing_else)
{
	struct guest *g1, *g2;
	char *out = NULL, *err = NULL;

	cr_assert_eq(th_secvf(NULL, &err, "net", "create", "lab", "--mode",
			      "virtual", NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "up", "lab", NULL), 0, "%s",
		     err);
	free(err);
	g1 = guest_on_lab("g1", "10.0.100.11");
	g2 = guest_on_lab("g2", "10.0.100.12");

	/* Inside the lab: it works. */
	cr_assert_eq(guest_run(g1, "ping -c 2 -W 5 10.0.100.12", 60000, &out),
		     0, "%s", out);
	free(out);

	/* Out of the lab: the switch drops it and says so. */
	guest_run(g1, "ip route add default via 10.0.100.1 2>/dev/null; "
		      "arp -s 10.0.100.1 02:00:00:00:00:01; "
		      "ping -c 1 -W 2 192.0.2.1",
		  30000, NULL);
	cr_assert(logged("virtual-mode.unexpected-egress"));
	cr_assert_eq(th_sh("grep '\"event\":\"virtual-mode.unexpected-egress\"'"
			   " '%s'/logs/security-*.log | grep -q "
			   "'\"severity\":\"CRITICAL\".*\"dst_ip\":\"192.0.2.1\"'",
			   getenv("SECVF_HOME")),
		     0);

	/* A guest taking the host's MAC is dropped and reported. */
	guest_run(g2, "ip link set eth0 down; ip link set eth0 address "
		      "52:55:0a:00:02:02; ip link set eth0 up; "
		      "ping -c 1 -W 2 10.0.100.11",
		  30000, NULL);
	cr_assert(logged("host-mac.impersonation"));

	guest_kill(g1);
	guest_kill(g2);
}
