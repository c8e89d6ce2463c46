/* Release bundles as files, and their offline verification.
 *
 * DIR/certificate.txt   the release certificate (proto/cert.h), as signed
 * DIR/certificate.sig   the mediator's Ed25519 signature over it, hex
 * DIR/text.txt          the agreed text
 * DIR/terms.txt         "effective: ..." and "validity: ..." lines
 * DIR/calendar.txt      the Day-X calendar ("" when none)
 * DIR/copy-PARTY.txt    each party's signed copy
 * DIR/manifest.txt      what the bundle is and the SHA-256 of each file
 *
 * Verification needs nothing but these files and the mediator public key. */
#ifndef PARLEY_CL_BUNDLE_H
#define PARLEY_CL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "parley.pb-c.h"

/* Write b into dir (created if missing; existing bundle files are
 * replaced).  0, or -1 with err. */
int bundle_write(const char *dir, const Parley__Bundle *b, char *err, size_t errlen);

/* Verify dir against the mediator's raw Ed25519 public key.  0 when all
 * holds (summary describes the agreement), -1 with err naming what fails. */
int bundle_verify(const char *dir, const uint8_t mediator[32], char *summary,
    size_t sumlen, char *err, size_t errlen);

#endif
