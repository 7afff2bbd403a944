/*
 * Secrets come from a no-echo prompt on the terminal or from one line of
 * standard input, never from argv. They are read with read(2) one byte at
 * a time, so no stdio buffer keeps a copy and nothing after the line is
 * consumed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_i18n.h"
#include "kgw_err.h"

/* Signals that would leave the terminal without echo if they killed us. */
static const int trapped[] = {
	SIGINT, SIGHUP, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU,
};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

static volatile sig_atomic_t caught;

static void
on_signal(int sig)
{
	caught = sig;
}

/* 1: a byte, 0: end of file, -1: an error or a trapped signal. */
static int
read_byte(int fd, char *c)
{
	for (;;) {
		ssize_t n;

		if (caught != 0)
			return -1;
		if ((n = read(fd, c, 1)) >= 0)
			return (int)n;
		if (errno != EINTR)
			return -1;
	}
}

/* Stores c if it fits, else notes the line is too long. */
static void
put(char *buf, size_t cap, size_t *len, char c, bool *toolong)
{
	if (*len + 1 < cap)
		buf[(*len)++] = c;
	else
		*toolong = true;
}

/*
 * One line without its "\n" or "\r\n". A line too long is read to its end
 * all the same, so that no rest of a password is left in the terminal for
 * the shell to run.
 */
int
secret_read_line(int fd, const char *what, char *buf, size_t cap)
{
	size_t len = 0;
	bool any = false, cr = false, toolong = false, nul = false;
	char c = 0;
	int n, r = KGW_ERR_INVALID;

	while ((n = read_byte(fd, &c)) == 1) {
		any = true;
		if (c == '\n')
			break;
		if (cr)
			put(buf, cap, &len, '\r', &toolong);
		if ((cr = (c == '\r')))
			continue;
		nul |= c == '\0';
		put(buf, cap, &len, c, &toolong);
	}
	if (cr && c != '\n')
		put(buf, cap, &len, '\r', &toolong);
	buf[len] = '\0';
	if (n < 0 && caught == 0) {
		enroll_warn("cannot read the %s: %s", _(what), strerror(errno));
		r = KGW_ERR_IO;
	} else if (n < 0) {
		r = KGW_ERR_IO;	/* the caller re-raises the signal */
	} else if (!any) {
		enroll_warn("no %s given", _(what));
	} else if (toolong) {
		enroll_warn("%s too long (at most %zu bytes)", _(what),
		    cap - 1);
	} else if (nul) {
		enroll_warn("%s contains a NUL byte", _(what));
	} else {
		r = KGW_OK;
	}
	explicit_bzero(&c, sizeof(c));
	if (r != KGW_OK)
		explicit_bzero(buf, cap);
	return r;
}

static void
trap_signals(struct sigaction old[NTRAPPED])
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read must return */
	(void)sigemptyset(&sa.sa_mask);
	caught = 0;
	for (i = 0; i < NTRAPPED; i++)
		(void)sigaction(trapped[i], &sa, &old[i]);
}

static void
untrap_signals(const struct sigaction old[NTRAPPED])
{
	size_t i;

	for (i = 0; i < NTRAPPED; i++)
		(void)sigaction(trapped[i], &old[i], NULL);
}

/*
 * Asks on /dev/tty with echo off, as passwd(1) does. A signal restores the
 * terminal first and is then delivered as if we had not caught it.
 */
int
secret_prompt(const char *prompt, const char *what, char *buf, size_t cap)
{
	struct sigaction old[NTRAPPED];
	struct termios saved, quiet;
	int fd, r, sig;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		enroll_warn("cannot ask for the %s: no terminal", _(what));
		return KGW_ERR_IO;
	}
	if (tcgetattr(fd, &saved) != 0) {
		enroll_warn("cannot ask for the %s: %s", _(what),
		    strerror(errno));
		(void)close(fd);
		return KGW_ERR_IO;
	}
	trap_signals(old);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		enroll_warn("cannot turn off echo: %s", strerror(errno));
		r = KGW_ERR_IO;
	} else {
		prompt = _(prompt);
		(void)!write(fd, prompt, strlen(prompt));
		r = secret_read_line(fd, what, buf, cap);
		(void)!write(fd, "\n", 1);
	}
	(void)tcsetattr(fd, TCSAFLUSH, &saved);
	untrap_signals(old);
	(void)close(fd);
	if ((sig = caught) != 0) {
		caught = 0;
		(void)raise(sig);
		/* Still here: a stop and a continue, or an ignored signal. */
		enroll_warn("interrupted");
		explicit_bzero(buf, cap);
		r = KGW_ERR_IO;
	}
	return r;
}

/* Compares two secrets without stopping at the first difference. */
bool
secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}
