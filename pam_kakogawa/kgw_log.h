/* One logging callback: syslog in the module, stderr in the tool. */
#ifndef KGW_LOG_H
#define KGW_LOG_H

#include <stdbool.h>
#include <syslog.h>

struct kgw_log {
	void (*emit)(void *arg, int priority, const char *msg);
	void *arg;
	bool debug;
	bool translate;	/* messages through gettext (the tool's stderr) */
};

/* Formats and emits one message; a NULL log or emit discards it. */
void kgw_log_msg(const struct kgw_log *log, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define kgw_log_err(log, ...) kgw_log_msg((log), LOG_ERR, __VA_ARGS__)
#define kgw_log_warn(log, ...) kgw_log_msg((log), LOG_WARNING, __VA_ARGS__)
#define kgw_log_info(log, ...) kgw_log_msg((log), LOG_INFO, __VA_ARGS__)
#define kgw_log_debug(log, ...)                                           \
	do {                                                              \
		if ((log) != NULL && (log)->debug)                        \
			kgw_log_msg((log), LOG_DEBUG, __VA_ARGS__);       \
	} while (0)

#endif
