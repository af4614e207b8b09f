/*
 * netlab: lab network definitions and the switch's control socket.
 */
#include "netlab.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONFIG_MAX (64 * 1024)
#define REQUEST_TIMEOUT_MS 5000

int
netlab_check_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) >= NETLAB_NAME_MAX || name[0] == '.')
		return err_set("'%s' is not a lab network name "
			       "(1 to 63 of A-Z a-z 0-9 _ . -)",
			       name);
	for (p = name; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("_.-", *p))
			return err_set("'%s' is not a lab network name "
				       "(1 to 63 of A-Z a-z 0-9 _ . -)",
				       name);
	}
	return 0;
}

int
netlab_init(struct netlab *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	if (netlab_check_name(name) < 0)
		return -1;
	strcpy(l->name, name);
	nd_config_init(&l->nd);
	l->queue_bytes = 256 * 1024;
	l->capture_max_bytes = 64 << 20;
	l->capture_files = 8;
	return 0;
}

int
netlab_validate(const struct netlab *l)
{
	const struct nd_config *c = &l->nd;

	if (netlab_check_name(l->name) < 0)
		return -1;
	if ((c->gateway & c->mask) != c->subnet || c->gateway == c->subnet ||
	    c->gateway == (c->subnet | ~c->mask))
		return err_set("the gateway must be a host address of the "
			       "subnet");
	if (c->mtu < 576 || c->mtu > 9000)
		return err_set("'mtu' must be from 576 to 9000");
	if (c->mode != ND_VIRTUAL && !l->router[0])
		return err_set("a %s network needs a router VM (--router VM)",
			       nd_mode_name(c->mode));
	if (l->router[0] && path_check_name(l->router) < 0)
		return err_prefix("router");
	if (c->mac_max < 16 || c->mac_max > 1 << 20 || !c->mac_age ||
	    !c->flap_window || !c->event_interval || !c->drop_interval ||
	    !c->gateway_pps)
		return err_set("a threshold is out of range");
	if (l->queue_bytes < 16384 || l->queue_bytes > 64 << 20)
		return err_set("'queue_bytes' must be from 16384 to 64 MiB");
	if (l->capture_max_bytes < 4096 || !l->capture_files ||
	    l->capture_files > 1000)
		return err_set("capture limits are out of range");
	return 0;
}

json_t *
netlab_to_json(const struct netlab *l)
{
	const struct nd_config *c = &l->nd;
	char subnet[40], gw[16], mac[18];
	json_t *ports = json_array();
	size_t i;
	int bits = __builtin_popcount(c->mask);

	nd_format_ipv4(c->subnet, gw);
	snprintf(subnet, sizeof(subnet), "%s/%d", gw, bits);
	nd_format_ipv4(c->gateway, gw);
	nd_format_mac(c->host_mac, mac);
	for (i = 0; i < c->nmgmt; i++)
		json_array_append_new(ports, json_integer(c->mgmt_ports[i]));

	return json_pack(
		"{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:{s:i,s:i,s:i,s:i,s:i,s:i,"
		"s:i,s:i,s:o,s:I,s:I,s:i}}",
		"name", l->name, "mode", nd_mode_name(c->mode), "subnet",
		subnet, "gateway", gw, "mtu", (int)c->mtu, "router", l->router,
		"host_mac", mac, "thresholds", "mac_max", (int)c->mac_max,
		"mac_age", (int)c->mac_age, "flap_moves", (int)c->flap_moves,
		"flap_window", (int)c->flap_window, "event_interval",
		(int)c->event_interval, "drop_interval", (int)c->drop_interval,
		"drop_sustained", (int)c->drop_sustained, "gateway_pps",
		(int)c->gateway_pps, "management_ports", ports, "queue_bytes",
		(json_int_t)l->queue_bytes, "capture_max_bytes",
		(json_int_t)l->capture_max_bytes, "capture_files",
		(int)l->capture_files);
}

/* An unsigned integer member of o, when present. */
static int
get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return err_set("'%s' must be an integer from 0 to %llu", key,
			       (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_unsigned(json_t *o, const char *key, unsigned *out)
{
	uint64_t v = *out;

	if (get_uint(o, key, UINT_MAX, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
get_string(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return err_set("'%s' must be a string", key);
	*out = json_string_value(v);
	return 1;
}

static int
thresholds_from_json(json_t *t, struct netlab *l)
{
	struct nd_config *c = &l->nd;
	json_t *ports, *v;
	size_t i;

	if (!t)
		return 0;
	if (!json_is_object(t))
		return err_set("'thresholds' must be an object");
	if (get_unsigned(t, "mac_max", &c->mac_max) < 0 ||
	    get_unsigned(t, "mac_age", &c->mac_age) < 0 ||
	    get_unsigned(t, "flap_moves", &c->flap_moves) < 0 ||
	    get_unsigned(t, "flap_window", &c->flap_window) < 0 ||
	    get_unsigned(t, "event_interval", &c->event_interval) < 0 ||
	    get_unsigned(t, "drop_interval", &c->drop_interval) < 0 ||
	    get_unsigned(t, "drop_sustained", &c->drop_sustained) < 0 ||
	    get_unsigned(t, "gateway_pps", &c->gateway_pps) < 0 ||
	    get_uint(t, "queue_bytes", UINT64_MAX, &l->queue_bytes) < 0 ||
	    get_uint(t, "capture_max_bytes", UINT64_MAX,
		     &l->capture_max_bytes) < 0 ||
	    get_unsigned(t, "capture_files", &l->capture_files) < 0)
		return -1;

	ports = json_object_get(t, "management_ports");
	if (!ports)
		return 0;
	if (!json_is_array(ports) || json_array_size(ports) > ND_MGMT_MAX)
		return err_set("'management_ports' must be an array of at "
			       "most %d ports",
			       ND_MGMT_MAX);
	c->nmgmt = 0;
	json_array_foreach(ports, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535)
			return err_set("'management_ports' must hold port "
				       "numbers");
		c->mgmt_ports[c->nmgmt++] = (uint16_t)json_integer_value(v);
	}
	return 0;
}

int
netlab_from_json(json_t *o, struct netlab *l)
{
	const char *name = NULL, *s = NULL;
	int r;

	if (!json_is_object(o) || get_string(o, "name", &name) <= 0)
		return err_set("not a lab network definition");
	if (netlab_init(l, name) < 0)
		return -1;
	if ((r = get_string(o, "mode", &s)) < 0 ||
	    (r && nd_mode_parse(s, &l->nd.mode) < 0))
		return -1;
	if ((r = get_string(o, "subnet", &s)) < 0 ||
	    (r && nd_parse_cidr(s, &l->nd.subnet, &l->nd.mask) < 0))
		return -1;
	if ((r = get_string(o, "gateway", &s)) < 0)
		return -1;
	if (r && nd_parse_ipv4(s, &l->nd.gateway) < 0)
		return -1;
	if (!r)
		l->nd.gateway = l->nd.subnet | 1;
	if ((r = get_string(o, "host_mac", &s)) < 0 ||
	    (r && nd_parse_mac(s, l->nd.host_mac) < 0))
		return -1;
	if ((r = get_string(o, "router", &s)) < 0)
		return -1;
	if (r && strlen(s) >= sizeof(l->router))
		return err_set("'router' is too long");
	if (r)
		strcpy(l->router, s);
	if (get_unsigned(o, "mtu", &l->nd.mtu) < 0)
		return -1;
	if (thresholds_from_json(json_object_get(o, "thresholds"), l) < 0)
		return -1;
	return netlab_validate(l);
}

static int
config_path(const char *name, char *buf, size_t n)
{
	if (netlab_check_name(name) < 0)
		return -1;
	return home_path(buf, n, "networks/%s.json", name);
}

int
netlab_load(const char *name, struct netlab *l)
{
	char path[PATH_BUF], *text;
	json_error_t jerr;
	json_t *o;
	size_t len;
	int r;

	if (config_path(name, path, sizeof(path)) < 0)
		return -1;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return err_set("no lab network '%s'", name);
	if (file_read_all(path, CONFIG_MAX, &text, &len) < 0)
		return -1;
	o = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!o)
		return err_set("'%s': %s (line %d)", path, jerr.text,
			       jerr.line);
	r = netlab_from_json(o, l);
	json_decref(o);
	if (r == 0 && strcmp(l->name, name))
		r = err_set("the name inside differs");
	return r < 0 ? err_prefix("'%s'", path) : 0;
}

int
netlab_save(const struct netlab *l)
{
	char dir[PATH_BUF], path[PATH_BUF], *text;
	json_t *o;
	int r;

	if (netlab_validate(l) < 0 ||
	    home_subdir(dir, sizeof(dir), "networks") < 0 ||
	    config_path(l->name, path, sizeof(path)) < 0)
		return -1;
	o = netlab_to_json(l);
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!text)
		return err_set("out of memory");
	r = file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return r;
}

int
netlab_delete(const char *name)
{
	char path[PATH_BUF];

	if (config_path(name, path, sizeof(path)) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return err_set("no lab network '%s'", name);
	if (netlab_switch_pid(name) > 0)
		return err_set("lab network '%s' is up; run 'secvf net down "
			       "%s' first",
			       name, name);
	if (unlink(path) < 0)
		return err_errno("cannot remove '%s'", path);
	return file_sync_parent(path);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
netlab_names_free(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

int
netlab_list(char ***names, size_t *n)
{
	char dir[PATH_BUF], **list = NULL, **grown;
	struct dirent *de;
	size_t count = 0, len;
	DIR *dp;

	*names = NULL;
	*n = 0;
	if (home_path(dir, sizeof(dir), "networks") < 0)
		return -1;
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : err_errno("cannot open '%s'", dir);
	while ((de = readdir(dp))) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") ||
		    de->d_name[0] == '.')
			continue;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown || !(grown[count] = strndup(de->d_name, len - 5))) {
			list = grown ? grown : list;
			closedir(dp);
			netlab_names_free(list, count);
			return err_set("out of memory");
		}
		list = grown;
		count++;
	}
	closedir(dp);
	qsort(list, count, sizeof(*list), name_cmp);
	*names = list;
	*n = count;
	return 0;
}

int
netlab_run_path(const char *lab, const char *file, char *buf, size_t n)
{
	if (netlab_check_name(lab) < 0)
		return -1;
	if (!file)
		return home_path(buf, n, "run/net-%s", lab);
	return home_path(buf, n, "run/net-%s/%s", lab, file);
}

long
netlab_switch_pid(const char *lab)
{
	char path[PATH_BUF], buf[32];
	long pid = 0;
	ssize_t len;
	int fd;

	if (netlab_run_path(lab, "switch.pid", path, sizeof(path)) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* The switch holds the lock while it runs. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len > 0) {
		buf[len] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	return pid > 0 ? pid : 0;
}

int
netlab_port_path(const char *lab, const char *vm, char *buf, size_t n)
{
	char rel[PATH_BUF];

	if (path_check_name(vm) < 0)
		return err_prefix("VM name");
	if (path_fmt(rel, sizeof(rel), "ports/%s.sock", vm) < 0 ||
	    netlab_run_path(lab, rel, buf, n) < 0)
		return -1;
	if (strlen(buf) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return err_set("socket path '%s' is too long for a unix "
			       "socket; use a shorter SECVF_HOME",
			       buf);
	return 0;
}

static int
ctl_connect(const char *lab)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[PATH_BUF];
	int fd;

	if (netlab_run_path(lab, "ctl.sock", path, sizeof(path)) < 0)
		return -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set("socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno("cannot make a socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		if (errno == ENOENT || errno == ECONNREFUSED)
			return err_set("lab network '%s' is not up", lab);
		return err_errno("cannot connect to '%s'", path);
	}
	return fd;
}

/* Read one line of reply, within the timeout; malloc'd. */
static char *
read_reply(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *grown;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t r;

	while (buf) {
		if (poll(&p, 1, REQUEST_TIMEOUT_MS) <= 0) {
			err_set("the switch did not answer");
			break;
		}
		if (n + 1 >= cap) {
			cap *= 2;
			grown = cap <= NETLAB_REPLY_MAX ? realloc(buf, cap)
							: NULL;
			if (!grown) {
				err_set("the switch's reply is too long");
				break;
			}
			buf = grown;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r <= 0) {
			err_set("the switch closed the connection");
			break;
		}
		n += (size_t)r;
		if (memchr(buf, '\n', n)) {
			*len = n;
			return buf;
		}
	}
	free(buf);
	return NULL;
}

json_t *
netlab_request(const char *lab, json_t *request)
{
	char *text, *reply;
	json_t *o, *error;
	json_error_t jerr;
	size_t len;
	int fd, r;

	fd = ctl_connect(lab);
	if (fd < 0)
		return NULL;
	text = json_dumps(request, JSON_COMPACT);
	r = text ? file_write_full(fd, text, strlen(text)) : -1;
	if (r == 0)
		r = file_write_full(fd, "\n", 1);
	free(text);
	reply = r == 0 ? read_reply(fd, &len) : NULL;
	close(fd);
	if (!reply)
		return NULL;

	o = json_loadb(reply, len, JSON_DISABLE_EOF_CHECK, &jerr);
	free(reply);
	if (!json_is_object(o)) {
		json_decref(o);
		err_set("the switch sent a bad reply");
		return NULL;
	}
	error = json_object_get(o, "error");
	if (json_is_string(error)) {
		err_set("%s", json_string_value(error));
		json_decref(o);
		return NULL;
	}
	return o;
}

int
netlab_port_open(const char *lab, const char *vm, enum netlab_port_kind kind,
		 char *path, size_t n)
{
	json_t *req, *reply, *p;
	int r = -1;

	if (netlab_check_name(lab) < 0 || path_check_name(vm) < 0)
		return -1;
	req = json_pack("{s:s,s:s,s:s}", "op", "port", "vm", vm, "kind",
			kind == NETLAB_PORT_MIRROR ? "mirror" : "vm");
	reply = req ? netlab_request(lab, req) : NULL;
	json_decref(req);
	if (!reply)
		return -1;
	p = json_object_get(reply, "path");
	if (!json_is_string(p))
		err_set("the switch sent no port path");
	else
		r = path_fmt(path, n, "%s", json_string_value(p));
	json_decref(reply);
	return r;
}
