/* Formats a message once and hands it to the caller's sink. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "kgw_i18n.h"
#include "kgw_log.h"

void
kgw_log_msg(const struct kgw_log *log, int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (log == NULL || log->emit == NULL)
		return;
	va_start(ap, fmt);
	/* Debug lines are for developers: English. */
	if (log->translate && priority != LOG_DEBUG)
		fmt = _(fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is fine */
	va_end(ap);
	log->emit(log->arg, priority, msg);
}
