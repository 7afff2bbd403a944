/*
 * A QR code drawn in the terminal, so the helpdesk can enrol a phone over
 * SSH with nothing but a terminal. Two module rows per text line with half
 * blocks, black on white whatever the terminal's own colours, so it scans
 * on dark and light themes alike.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <qrencode.h>

#include "enroll.h"
#include "kgw_err.h"

#define QUIET 4			/* modules of white border, as ISO 18004 asks */
#define COLOR_ON "\033[30;47m"	/* black on white */
#define COLOR_OFF "\033[0m"

/* True when the module at (x, y) of the bordered symbol is dark. */
static bool
dark(const QRcode *qr, int x, int y)
{
	x -= QUIET;
	y -= QUIET;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;
	return (qr->data[y * qr->width + x] & 1) != 0;
}

static void
draw(FILE *out, const QRcode *qr)
{
	static const char *const cell[4] = {
		" ",		/* both light */
		"\u2580",	/* upper dark: ▀ */
		"\u2584",	/* lower dark: ▄ */
		"\u2588",	/* both dark: █ */
	};
	int size = qr->width + 2 * QUIET, x, y;

	for (y = 0; y < size; y += 2) {
		(void)fputs(COLOR_ON, out);
		for (x = 0; x < size; x++)
			(void)fputs(cell[(dark(qr, x, y) ? 1 : 0) |
			    (dark(qr, x, y + 1) ? 2 : 0)], out);
		(void)fputs(COLOR_OFF "\n", out);
	}
}

/* The text (an otpauth URI, a secret) is wiped from the symbol afterwards. */
int
qr_print(FILE *out, const char *text)
{
	QRcode *qr;

	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL) {
		enroll_warn("cannot draw the QR code: %s", strerror(errno));
		return KGW_ERR_INTERNAL;
	}
	draw(out, qr);
	explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return KGW_OK;
}
