#include "helpers.h"

#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "vmm/bundle.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(bundle, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static char *
good_text(void)
{
	char *text = th_read(th_fixture("config/good.plist"));

	cr_assert(text, "missing fixture config/good.plist");
	return text;
}

/* Parse good.plist with from replaced by to; return the message. */
static const char *
parse_with(const char *from, const char *to, const char *expect_name)
{
	static char msg[ERR_MSG_MAX];
	char *text = good_text(), *at, *buf;
	struct vm_config c;
	size_t len;

	at = strstr(text, from);
	cr_assert(at, "'%s' not in fixture", from);
	len = strlen(text) - strlen(from) + strlen(to);
	buf = malloc(len + 1);
	snprintf(buf, len + 1, "%.*s%s%s", (int)(at - text), text, to,
		 at + strlen(from));
	cr_assert_eq(vm_config_parse(buf, len, expect_name, &c), -1,
		     "accepted: %s -> %s", from, to);
	cr_assert_eq(path_fmt(msg, sizeof(msg), "%s", err_msg()), 0);
	cr_assert_eq(c.name[0], '\0', "config not cleared after failure");
	free(buf);
	free(text);
	return msg;
}

static void
expect_error(const char *from, const char *to, const char *want)
{
	const char *msg = parse_with(from, to, "lab1");

	cr_expect(strncmp(msg, "config.plist: ", 14) == 0, "%s", msg);
	cr_expect(strstr(msg, want), "%s -> %s: got '%s', want '%s'", from, to,
		  msg, want);
}

Test(bundle, good_fixture_reads_back_every_field)
{
	struct vm_config c;

	cr_assert_eq(
		vm_config_read(th_fixture("config/good.plist"), "lab1", &c), 0,
		"%s", err_msg());
	cr_expect_str_eq(c.name, "lab1");
	cr_expect_str_eq(c.uuid, "74c5b05c-4c73-47c9-a168-bd254e9d9fa7");
	cr_expect_eq(c.family, VM_LINUX);
	cr_expect_eq(c.cpus, 4);
	cr_expect_eq(c.memory_mb, 512);
	cr_expect_eq(c.disk_bytes, 1ULL << 30);
	cr_expect_str_eq(c.kernel, "/boot/vmlinuz");
	cr_expect_str_eq(c.initrd, "/boot/initrd.img");
	cr_expect_str_eq(c.append, "console=ttyS0");
	cr_expect_str_eq(c.firmware, "");
	cr_expect_eq(c.net_mode, VM_NET_VIRTUAL);
	cr_expect_str_eq(c.network, "lab");
	cr_expect_str_eq(c.mac, "52:54:00:fe:4b:91");
	cr_expect_eq(c.router, 0);
	cr_assert_eq(c.nshares, 1);
	cr_expect_str_eq(c.shares[0].path, "/srv/samples");
	cr_expect_str_eq(c.shares[0].tag, "share0");
	cr_expect_eq(c.shares[0].read_only, 1);
	cr_expect_eq(c.shares[0].hidden, VM_HIDE_DOTFILES);
	cr_expect_eq(c.host_channel, 1);
	cr_assert_eq(c.nusb, 2);
	cr_expect_str_eq(c.usb[0], "usb-tablet");
	cr_expect_str_eq(c.usb[1], "1d6b:0002");
	cr_expect_str_eq(c.accel, "tcg");
	cr_expect_str_eq(c.created, "2026-12-03T19:50:55.892091Z");
	cr_expect_str_eq(c.clone_of, "");
}

Test(bundle, write_then_read_is_identity)
{
	struct vm_config a, b;
	char path[4096];

	cr_assert_eq(vm_config_read(th_fixture("config/good.plist"), NULL, &a),
		     0, "%s", err_msg());
	snprintf(a.clone_of, sizeof(a.clone_of), "lab0");
	snprintf(a.cloned_at, sizeof(a.cloned_at), "2026-12-04T00:00:00Z");
	a.router = 1;
	a.shares[0].hidden = VM_HIDE_NONE;
	cr_assert_eq(home_path(path, sizeof(path), "c.plist"), 0);
	cr_assert_eq(vm_config_write(path, &a), 0, "%s", err_msg());
	cr_assert_eq(vm_config_read(path, "lab1", &b), 0, "%s", err_msg());
	cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0);
}

Test(bundle, fixture_files_fail_with_named_field)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
		{"bad-cpus.plist",
		 "config.plist: 'cpus' must be an integer from 1 to 64"},
		{"bad-mac.plist", "config.plist: 'network.mac' must be a "
				  "unicast MAC address"},
		{"bad-mode.plist", "config.plist: 'network.mode' must be one "
				   "of nat, virtual, router, fakenet"},
		{"not-plist.plist", "config.plist: not a property list"},
		{"unknown-key.plist", "config.plist: unknown key 'autostart'"},
	};
	struct vm_config c;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "config/%s", cases[i].file);
		cr_expect_eq(vm_config_read(th_fixture(name), "lab1", &c), -1,
			     "%s accepted", cases[i].file);
		cr_expect(strstr(err_msg(), cases[i].want), "%s: got '%s'",
			  cases[i].file, err_msg());
	}
}

Test(bundle, every_field_is_validated)
{
	expect_error("<integer>4</integer>", "<integer>0</integer>",
		     "'cpus' must be an integer from 1 to 64");
	expect_error("<integer>4</integer>", "<string>4</string>",
		     "'cpus' must be an integer from 1 to 64");
	expect_error("<integer>512</integer>", "<integer>63</integer>",
		     "'memory_mb' must be an integer from 64 to 1048576");
	expect_error("<integer>1073741824</integer>",
		     "<integer>1048575</integer>",
		     "'disk_bytes' must be an integer from 1048576 to "
		     "17592186044416");
	expect_error("<integer>1</integer>", "<integer>2</integer>",
		     "'version' must be 1");
	expect_error("<string>lab1</string>", "<string>../x</string>",
		     "'name' must be a valid VM name");
	expect_error("74c5b05c-4c73", "74c5b05c_4c73", "'uuid' must be a UUID");
	expect_error("<string>linux</string>", "<string>windows</string>",
		     "'family' must be linux or macos");
	expect_error("/boot/vmlinuz", "vmlinuz",
		     "'boot.kernel' must be an absolute path");
	expect_error("<key>kernel</key>",
		     "<key>firmware</key><string>/f/OVMF_CODE.fd</string>"
		     "<key>kernel</key>",
		     "'boot.firmware' and 'boot.kernel' exclude each other");
	expect_error("<key>kernel</key>\n\t\t<string>/boot/vmlinuz</string>",
		     "", "'boot.initrd' and 'boot.append' need 'boot.kernel'");
	expect_error("<string>lab</string>", "<string>.lab</string>",
		     "'network.lab' must be a valid network name");
	expect_error("52:54:00", "53:54:00",
		     "'network.mac' must be a unicast MAC address");
	expect_error("<key>mac</key>\n\t\t<string>52:54:00:fe:4b:91</string>",
		     "", "'network.mac' is missing");
	expect_error("<false/>", "<string>no</string>",
		     "'network.router' must be true or false");
	expect_error("<key>router</key>",
		     "<key>vlan</key><integer>3</integer><key>router</key>",
		     "unknown key 'network.vlan'");
	expect_error("/srv/samples", "srv",
		     "'shares.path' must be an absolute path");
	expect_error("<string>share0</string>", "<string>share 0</string>",
		     "'shares.tag' must be 1 to 31 letters");
	expect_error("<string>dotfiles</string>", "<string>all</string>",
		     "'shares.hidden' must be dotfiles or none");
	expect_error("<string>usb-tablet</string>",
		     "<string>usb tablet;</string>", "'usb' entries must be");
	expect_error("<string>usb-tablet</string>", "<integer>1</integer>",
		     "'usb' entries must be strings");
	expect_error("<string>tcg</string>", "<string>hvf</string>",
		     "'accel' must be kvm, tcg or empty");
	expect_error("2026-12-03T19:50:55.892091Z", "yesterday",
		     "'created' must be an ISO-8601 UTC time");
	expect_error("<key>host_channel</key>\n\t<true/>",
		     "<key>host_channel</key>\n\t<integer>1</integer>",
		     "'host_channel' must be true or false");
	expect_error("<key>accel</key>",
		     "<key>clone_of</key><string>lab0</string><key>accel</key>",
		     "'clone_of' and 'cloned_at' go together");
	expect_error("<key>shares</key>\n\t<array>",
		     "<key>shares</key>\n\t<array><string>x</string>",
		     "'shares' entries must be dictionaries");
}

Test(bundle, name_must_match_bundle_and_fit)
{
	char longname[320];

	cr_expect(strstr(parse_with("<string>lab1</string>",
				    "<string>lab1</string>", "other"),
			 "'name' is 'lab1' but the bundle is 'other'"));
	memset(longname, 'a', 300);
	strcpy(longname + 300, "</string>");
	cr_expect(strstr(parse_with("lab1</string>", longname, NULL),
			 "'name' is longer than 255 bytes"));
}

Test(bundle, empty_and_oversized_config_refused)
{
	struct vm_config c;
	char *big = calloc(1, VM_CONFIG_MAX + 2);

	cr_expect_eq(vm_config_parse("", 0, NULL, &c), -1);
	cr_expect(strstr(err_msg(), "not a property list"), "%s", err_msg());
	memset(big, ' ', VM_CONFIG_MAX + 1);
	cr_expect_eq(vm_config_parse(big, VM_CONFIG_MAX + 1, NULL, &c), -1);
	cr_expect(strstr(err_msg(), "larger than"), "%s", err_msg());
	free(big);
}

/*
 * A NUL byte inside a string or a key (raw in XML, or UTF-16 in a
 * binary plist) made libplist's plist_get_string_val() or
 * plist_dict_next_item() abort the process; such a config is refused.
 */
Test(bundle, string_with_nul_byte_refused)
{
	/* {"version": 1, "name": "\u00e9\0b"}, binary */
	static const char bplist[] =
		"\x62\x70\x6c\x69\x73\x74\x30\x30\xd2\x01\x02\x03\x04\x54"
		"\x6e\x61\x6d\x65\x57\x76\x65\x72\x73\x69\x6f\x6e\x63\x00"
		"\xe9\x00\x00\x00\x62\x10\x01\x08\x0d\x12\x1a\x21\x00\x00"
		"\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x05"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x23";
	/* {"nam\u00e9\0": "x", "version": 1}, binary */
	static const char bplist_key[] =
		"\x62\x70\x6c\x69\x73\x74\x30\x30\xd2\x01\x02\x03\x04\x65"
		"\x00\x6e\x00\x61\x00\x6d\x00\xe9\x00\x00\x57\x76\x65\x72"
		"\x73\x69\x6f\x6e\x51\x78\x10\x01\x08\x0d\x18\x20\x22\x00"
		"\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00"
		"\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x24";
	static const char *const fields[] = {
		"<string>lab1</string>",
		"<string>/boot/vmlinuz</string>",
		"<string>1d6b:0002</string>",
	};
	char *text = good_text(), *buf, *at;
	struct vm_config c;
	size_t i, len = strlen(text), pre;

	cr_assert_eq(vm_config_parse(bplist, sizeof(bplist) - 1, NULL, &c),
		     -1);
	cr_expect(strstr(err_msg(), "holds a NUL byte"), "%s", err_msg());
	cr_assert_eq(vm_config_parse(bplist_key, sizeof(bplist_key) - 1, NULL,
				     &c),
		     -1);
	cr_expect(strstr(err_msg(), "holds a NUL byte"), "%s", err_msg());

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		at = strstr(text, fields[i]);
		cr_assert(at, "'%s' not in fixture", fields[i]);
		buf = malloc(len + 1);
		memcpy(buf, text, len + 1);
		pre = (size_t)(strchr(at, '>') - text) + 2;
		buf[pre] = '\0';
		cr_assert_eq(vm_config_parse(buf, len, NULL, &c), -1,
			     "accepted a NUL in %s", fields[i]);
		cr_expect(strstr(err_msg(), "config.plist: ") == err_msg() &&
				  strstr(err_msg(), "holds a NUL byte"),
			  "NUL in %s: got '%s'", fields[i], err_msg());
		cr_expect_eq(c.name[0], '\0');
		free(buf);
	}
	free(text);
}

Test(bundle, sizes_parse)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
		{"0", 0},
		{"1048576", 1048576},
		{"512M", 512ULL << 20},
		{"4G", 4ULL << 30},
		{"16GiB", 16ULL << 30},
		{"1T", 1ULL << 40},
		{"64k", 64ULL << 10},
		{"2GB", 2ULL << 30},
		{"100B", 100},
	};
	static const char *const bad[] = {"",
					  "G",
					  "-1",
					  "4X",
					  "4GG",
					  "4 G",
					  "1.5G",
					  "4Gi",
					  "0x10",
					  "99999999999999999999",
					  "17179869184T"};
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(size_parse(good[i].text, &n), 0, "%s: %s",
			     good[i].text, err_msg());
		cr_expect_eq(n, good[i].bytes, "%s", good[i].text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(size_parse(bad[i], &n), -1, "'%s' accepted",
			     bad[i]);
	size_parse("4X", &n);
	cr_expect(strstr(err_msg(), "invalid size '4X'"), "%s", err_msg());
	size_parse("17179869184T", &n);
	cr_expect(strstr(err_msg(), "too large"), "%s", err_msg());
}

Test(bundle, sizes_format)
{
	char buf[32];

	size_format(16ULL << 30, buf, sizeof(buf));
	cr_expect_str_eq(buf, "16 GiB");
	size_format(1536ULL << 20, buf, sizeof(buf));
	cr_expect_str_eq(buf, "1.5 GiB");
	size_format(300, buf, sizeof(buf));
	cr_expect_str_eq(buf, "300 B");
}

Test(bundle, known_files)
{
	cr_expect(bundle_is_known_file("config.plist"));
	cr_expect(bundle_is_known_file("Disk.img"));
	cr_expect(bundle_is_known_file("NVRAM"));
	cr_expect(bundle_is_known_file("MachineIdentifier"));
	cr_expect(bundle_is_known_file("config.plist.tmp.12345"));
	cr_expect(!bundle_is_known_file("config.plist.tmp."));
	cr_expect(!bundle_is_known_file("config.plist.tmp.1x"));
	cr_expect(!bundle_is_known_file("dropper.sh"));
	cr_expect(!bundle_is_known_file("disk.img"));
	cr_expect(!bundle_is_known_file(".config.plist"));
}

Test(bundle, bad_names_refused)
{
	static const char *const bad[] = {"", ".hidden", "a/b", "a..b", ".."};
	char path[4096], longname[300];
	struct vm_config c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(bundle_path(bad[i], VM_LINUX, path, sizeof(path)),
			     -1, "'%s' accepted", bad[i]);
		cr_expect(strstr(err_msg(), "invalid VM name"), "%s",
			  err_msg());
		cr_expect_eq(bundle_find(bad[i], path, sizeof(path), NULL), -1);
		cr_expect_eq(vm_config_init(&c, bad[i]), -1);
	}
	memset(longname, 'x', 250);
	longname[250] = '\0';
	cr_expect_eq(bundle_path(longname, VM_LINUX, path, sizeof(path)), -1);
	cr_expect(strstr(err_msg(), "longer than"), "%s", err_msg());
}

static void
make_vm(const char *name, enum vm_family f)
{
	struct vm_config c;

	cr_assert_eq(vm_config_init(&c, name), 0, "%s", err_msg());
	c.family = f;
	c.disk_bytes = 64ULL << 20;
	cr_assert_eq(bundle_create(&c, NULL, 0), 0, "%s", err_msg());
}

static mode_t
mode_of(const char *dir, const char *file)
{
	char path[4096];
	struct stat st;

	cr_assert_eq(path_fmt(path, sizeof(path), "%s/%s", dir, file), 0);
	cr_assert_eq(lstat(path, &st), 0, "missing %s", path);
	return st.st_mode & 07777;
}

Test(bundle, create_makes_every_file)
{
	struct vm_config c, back;
	char path[4096], file[4096];
	struct stat st;

	cr_assert_eq(vm_config_init(&c, "lab1"), 0);
	c.disk_bytes = 1ULL << 30;
	cr_assert_eq(bundle_create(&c, path, sizeof(path)), 0, "%s", err_msg());
	cr_expect(strstr(path, "/Linux/lab1.bundle"), "%s", path);

	cr_expect_eq(mode_of(path, "."), 0700);
	cr_expect_eq(mode_of(path, "Disk.img"), 0600);
	cr_expect_eq(mode_of(path, "NVRAM"), 0600);
	cr_expect_eq(mode_of(path, "MachineIdentifier"), 0600);
	cr_expect_eq(mode_of(path, "config.plist"), 0600);

	cr_assert_eq(path_fmt(file, sizeof(file), "%s/Disk.img", path), 0);
	cr_assert_eq(stat(file, &st), 0);
	cr_expect_eq(st.st_size, 1LL << 30);
	cr_expect_lt(st.st_blocks, 2048, "Disk.img is not sparse");
	cr_assert_eq(path_fmt(file, sizeof(file), "%s/NVRAM", path), 0);
	cr_assert_eq(stat(file, &st), 0);
	cr_expect_eq(st.st_size, 0, "NVRAM without firmware is empty");

	cr_assert_eq(bundle_load("lab1", &back, NULL, 0), 1, "%s", err_msg());
	cr_expect_eq(memcmp(&c, &back, sizeof(c)), 0);
	cr_expect_eq(th_sh("test $(ls -A '%s' | wc -l) = 4", path), 0,
		     "stray files in the bundle");
}

Test(bundle, uefi_nvram_copies_vars_template)
{
	char dir[4096], fw[4096], path[4096];
	struct vm_config c;

	cr_assert_eq(home_subdir(dir, sizeof(dir), "fw"), 0);
	cr_assert_eq(path_fmt(fw, sizeof(fw), "%s/MY_CODE.fd", dir), 0);
	cr_assert_eq(th_write("fw/MY_CODE.fd", "code"), 0);
	cr_assert_eq(th_write("fw/MY_VARS.fd", "variable store"), 0);
	cr_assert_eq(bundle_vars_template(fw, path, sizeof(path)), 1);
	cr_expect(strstr(path, "fw/MY_VARS.fd"), "%s", path);

	cr_assert_eq(vm_config_init(&c, "uefi"), 0);
	cr_assert_eq(path_fmt(c.firmware, sizeof(c.firmware), "%s", fw), 0);
	cr_assert_eq(bundle_create(&c, path, sizeof(path)), 0, "%s", err_msg());
	cr_expect_eq(th_sh("cmp -s '%s/MY_VARS.fd' '%s/NVRAM'", dir, path), 0);
	cr_expect_eq(bundle_vars_template("/nonexistent/OVMF_CODE.fd", path,
					  sizeof(path)),
		     0);
	cr_expect_eq(bundle_vars_template("/usr/bin/true", path, sizeof(path)),
		     0);
}

Test(bundle, failed_create_leaves_nothing)
{
	char dir[4096], fw[4096];
	struct vm_config c;

	/* A variable template too large to copy fails after Disk.img. */
	cr_assert_eq(home_subdir(dir, sizeof(dir), "fw"), 0);
	cr_assert_eq(path_fmt(fw, sizeof(fw), "%s/BIG_CODE.fd", dir), 0);
	cr_assert_eq(th_write("fw/BIG_CODE.fd", "code"), 0);
	cr_assert_eq(th_sh("truncate -s 65M '%s/BIG_VARS.fd'", dir), 0);

	cr_assert_eq(vm_config_init(&c, "half"), 0);
	cr_assert_eq(path_fmt(c.firmware, sizeof(c.firmware), "%s", fw), 0);
	cr_expect_eq(bundle_create(&c, NULL, 0), -1);
	cr_expect(strstr(err_msg(), "larger than"), "%s", err_msg());
	cr_expect_eq(th_sh("test -z \"$(ls -A \"$SECVF_HOME/Linux\")\""), 0,
		     "half a bundle left behind");
}

Test(bundle, existing_name_refused_in_either_family)
{
	struct vm_config c;

	make_vm("lab1", VM_LINUX);
	cr_assert_eq(vm_config_init(&c, "lab1"), 0);
	cr_expect_eq(bundle_create(&c, NULL, 0), -1);
	cr_expect(strstr(err_msg(), "a VM named 'lab1' already exists"), "%s",
		  err_msg());
	c.family = VM_MACOS;
	cr_expect_eq(bundle_create(&c, NULL, 0), -1);
	cr_expect(strstr(err_msg(), "already exists"), "%s", err_msg());
}

Test(bundle, create_refuses_invalid_config)
{
	struct vm_config c;

	cr_assert_eq(vm_config_init(&c, "lab1"), 0);
	c.cpus = 65;
	cr_expect_eq(bundle_create(&c, NULL, 0), -1);
	cr_expect(strstr(err_msg(), "'cpus' must be"), "%s", err_msg());
}

Test(bundle, find_and_list_both_families)
{
	struct bundle_entry *list;
	char path[4096], dir[4096];
	enum vm_family f;
	size_t n;

	make_vm("zeta", VM_LINUX);
	make_vm("alpha", VM_MACOS);
	make_vm("mid", VM_LINUX);
	/* Not bundles: a file, a hidden name, another suffix. */
	cr_assert_eq(home_subdir(dir, sizeof(dir), "Linux/.tmp.bundle"), 0);
	cr_assert_eq(th_write("Linux/file.bundle", "x"), 0);
	cr_assert_eq(th_write("Linux/notes.txt", "x"), 0);

	cr_assert_eq(bundle_list(&list, &n), 0, "%s", err_msg());
	cr_assert_eq(n, 3);
	cr_expect_str_eq(list[0].name, "alpha");
	cr_expect_eq(list[0].family, VM_MACOS);
	cr_expect_str_eq(list[1].name, "mid");
	cr_expect_str_eq(list[2].name, "zeta");
	free(list);

	cr_expect_eq(bundle_find("alpha", path, sizeof(path), &f), 1);
	cr_expect_eq(f, VM_MACOS);
	cr_expect(strstr(path, "/MacOS/alpha.bundle"), "%s", path);
	cr_expect_eq(bundle_find("nope", path, sizeof(path), &f), 0);
	cr_expect_str_eq(err_msg(), "no VM named 'nope'");
}

Test(bundle, list_of_empty_home)
{
	struct bundle_entry *list;
	size_t n;

	cr_assert_eq(bundle_list(&list, &n), 0);
	cr_expect_eq(n, 0);
	cr_expect_null(list);
}

Test(bundle, delete_removes_read_only_bundle)
{
	char path[4096];

	make_vm("lab1", VM_LINUX);
	cr_assert_eq(bundle_find("lab1", path, sizeof(path), NULL), 1);
	cr_assert_eq(th_sh("chmod 0400 '%s'/* && chmod 0500 '%s'", path, path),
		     0);
	cr_expect_eq(bundle_delete("lab1"), 1, "%s", err_msg());
	cr_expect_eq(access(path, F_OK), -1);
	cr_expect_eq(th_sh("test -z \"$(ls -A \"$SECVF_HOME/Linux\")\""), 0);
	cr_expect_eq(bundle_delete("lab1"), 0);
}

Test(bundle, delete_follows_no_symlink)
{
	char path[4096], outside[4096];

	cr_assert_eq(home_subdir(outside, sizeof(outside), "outside"), 0);
	cr_assert_eq(th_write("outside/keep", "precious"), 0);

	/* A symlink inside the bundle: removed, its target kept. */
	make_vm("lab1", VM_LINUX);
	cr_assert_eq(bundle_find("lab1", path, sizeof(path), NULL), 1);
	cr_assert_eq(th_sh("ln -s '%s' '%s/link' && mkdir '%s/sub' && "
			   "ln -s '%s/keep' '%s/sub/l'",
			   outside, path, path, outside, path),
		     0);
	cr_expect_eq(bundle_delete("lab1"), 1, "%s", err_msg());
	cr_expect_eq(th_sh("test -f '%s/keep'", outside), 0);

	/* A bundle that is itself a symlink: refused. */
	cr_assert_eq(home_subdir(path, sizeof(path), "Linux"), 0);
	cr_assert_eq(th_sh("ln -s '%s' '%s/evil.bundle'", outside, path), 0);
	cr_expect_eq(bundle_delete("evil"), -1);
	cr_expect(strstr(err_msg(), "refusing"), "%s", err_msg());
	cr_expect_eq(th_sh("test -f '%s/keep'", outside), 0);
}
