/* fuzz_config: config_load (daemon/config.h), the parleyd.conf parser, on
 * the input as a whole file.  The input goes into a memfd, read back
 * through /proc/self/fd/N, and the fd is closed after each run.  Checked:
 * no crash or leak; a refusal says "PATH:..." or "cannot open PATH" and
 * leaves the struct untouched; an accepted file gives non-NULL strings,
 * differs from itself in nothing (config_reload_changes), and loads again
 * over the loaded config to the same result (exercising the free of the
 * previous strings). */
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "daemon/config.h"

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w, n -= (size_t)w;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, before, again;
	char path[64], err[1024] = "", err2[1024] = "";
	int fd, rc;

	fd = memfd_create("fuzz_config", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	FUZZ_CHECK(write_all(fd, data, size) == 0, "write: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	rc = config_load(path, &c, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == -1, "config_load returned %d", rc);
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 &&
		    err[strlen(path)] == ':', "error does not start with "
		    "\"%s:\": \"%s\"", path, err);
		FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0, "a refused load "
		    "changed the config");
		config_free(&c);
		close(fd);
		return 0;
	}
	FUZZ_CHECK(c.listen_host && c.state_dir && c.admin_socket && c.admin_group &&
	    c.status_socket && c.display_tz, "a string option is NULL");
	FUZZ_CHECK(config_reload_changes(&c, &c, err, sizeof(err)) == 0,
	    "a config differs from itself: %s", err);

	config_defaults(&again);
	FUZZ_CHECK(config_load(path, &again, err2, sizeof(err2)) == 0,
	    "a second load of the same file fails: %s", err2);
	FUZZ_CHECK(config_load(path, &again, err2, sizeof(err2)) == 0,
	    "a load over a loaded config fails: %s", err2);
	FUZZ_CHECK(config_reload_changes(&c, &again, err, sizeof(err)) == 0 &&
	    config_reload_changes(&again, &c, err, sizeof(err)) == 0 &&
	    strcmp(c.display_tz, again.display_tz) == 0 &&
	    c.sign_reminders.n == again.sign_reminders.n &&
	    c.expiry_warnings.n == again.expiry_warnings.n,
	    "loading the same file twice gives different configs: %s", err);
	config_free(&again);
	config_free(&c);
	close(fd);
	return 0;
}
