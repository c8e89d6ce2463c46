/* slowfetch CONF GOFILE OUT MARKER: connect as CONF's endpoint, send Fetch,
 * read the first delivery, then read nothing until GOFILE exists (the
 * daemon's push window stays full); then read every frame for up to 15 s,
 * and print "got MARKER in delivery N" if a delivery payload holds MARKER.
 * Review tool (tests/pg/t_review_push_early.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include "cl.h"

int
main(int argc, char **argv)
{
	struct cl_conf conf;
	char err[1200];
	struct cl *c;
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__Fetch fe = PARLEY__FETCH__INIT;
	int n = 0, found = 0;
	time_t t0;

	if (argc != 5)
		return 2;
	if (cl_conf_load(argv[1], &conf, err, sizeof(err)) != 0 ||
	    (c = cl_connect_tls(conf.server, conf.cert, conf.key, conf.server_pin, NULL, err,
	    sizeof(err))) == NULL) {
		printf("connect: %s\n", err);
		return 3;
	}
	f.body_case = PARLEY__FRAME__BODY_FETCH;
	f.fetch = &fe;
	if (cl_send(c, &f, err, sizeof(err)) < 0) {
		printf("send: %s\n", err);
		return 3;
	}
	if (cl_recv(c, 10000, &r, err, sizeof(err)) != 0) {
		printf("recv: %s\n", err);
		return 3;
	}
	cl_free(c, r);
	printf("first frame read; holding\n");
	fflush(stdout);
	{ FILE *h = fopen(argv[3], "w"); if (h) fclose(h); }
	while (access(argv[2], F_OK) != 0)
		usleep(10000);
	t0 = time(NULL);
	while (time(NULL) - t0 < 15) {
		int rc = cl_recv(c, 1000, &r, err, sizeof(err));
		if (rc == 1)
			continue;
		if (rc != 0)
			break;
		if (r->body_case == PARLEY__FRAME__BODY_DELIVERY) {
			n++;
			if (memmem(r->delivery->payload.data, r->delivery->payload.len, argv[4],
			    strlen(argv[4])) != NULL) {
				printf("got %s in delivery %llu (after %d deliveries)\n", argv[4],
				    (unsigned long long)r->delivery->delivery_id, n);
				found = 1;
			}
		}
		cl_free(c, r);
		if (found)
			break;
	}
	printf("read %d deliveries\n", n);
	return found ? 0 : 1;
}
