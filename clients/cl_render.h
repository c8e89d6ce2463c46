/* A printable record of a released agreement: a release bundle, verified
 * first, rendered as a PDF a delegation can file (parley render).  It
 * holds the title and terms, the agreed text (each language version),
 * each party's sheet as signed where one has a frame, every signature
 * with its signer, role, key fingerprint and time, the reservations and
 * conditions, the Day-X calendar (a table and a picture), the mediator's
 * certificate, and how to verify the bundle (with a QR code of what a
 * verifier compares: the content hash, the mediator key, the checkpoint).  Drawn with cairo and pango (fonts from Debian's
 * fonts-dejavu-core, which cover Latin, Cyrillic and Armenian). */
#ifndef PARLEY_CL_RENDER_H
#define PARLEY_CL_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "cl_bundle.h"

/* Verify f against the mediator's raw key and, only if it verifies,
 * write the PDF at path (replaced whole: written beside it, then renamed).
 * 0, or -1 with err (the verifier's "FILE:LINE: reason" for a bundle that
 * does not verify, nothing written). */
int render_pdf(const struct bundle_files *f, const uint8_t mediator[32], const char *path,
    char *err, size_t errlen);

/* Verify f and, only if it verifies, draw its Day-X calendar alone as an
 * SVG picture at path: a lane per party (and the mediator), each measure
 * at its offset from X.  0, or -1 with err (a bundle without a calendar
 * too). */
int render_calendar_svg(const struct bundle_files *f, const uint8_t mediator[32],
    const char *path, char *err, size_t errlen);

#endif
