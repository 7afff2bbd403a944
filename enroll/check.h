/*
 * kakogawa-enroll check: the self-inspection (自己点検) of a host. Each
 * part (check_pam.c, check_policy.c) adds findings; the command
 * (cmd_check.c) prints them. A finding's text is written in the
 * operator's language when it is added (gettext, po/).
 */
#ifndef ENROLL_CHECK_H
#define ENROLL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "enroll.h"

enum check_severity { CHECK_INFO, CHECK_WARNING, CHECK_CRITICAL };

/* Clauses of the city's policy (加古川市情報セキュリティポリシー). */
#define CLAUSE_MFA "基本方針6(3)① 多要素認証"
#define CLAUSE_SEPARATION "基本方針6(3)② 通信経路の分割"
#define CLAUSE_ACCESS "基本方針6(6) アクセス制御"
#define CLAUSE_OPERATION "基本方針6(7) 運用・監視"
#define CLAUSE_AUDIT "基本方針7 監査・自己点検"

#define CHECK_TEXT_MAX 320

struct finding {
	enum check_severity severity;
	char id[96];		/* stable: "pam.sshd.missing" */
	const char *clause;
	char text[CHECK_TEXT_MAX];	/* already in the operator's language */
};

struct check {
	struct enroll *e;
	const char *pam_dir;	/* /etc/pam.d, or --pam-dir */
	unsigned unused_days;
	struct finding *f;
	size_t n, cap;
};

/* Adds a finding; text is translated and formatted already. */
void check_add(struct check *c, enum check_severity sev, const char *id,
    const char *clause, const char *text);

void check_files(struct check *c);
void check_pam(struct check *c);
void check_policy(struct check *c);
void check_clock(struct check *c);
void check_directory(struct check *c);

#endif
