/*
 * A security label provider for pgsnap's tests. PostgreSQL ships no label
 * provider outside sepgsql (which needs SELinux), so the tests load this one
 * to have SECURITY LABEL statements to back up and restore. It accepts any
 * non-empty label and stores it verbatim, as a real provider would store a
 * label it has validated.
 */
#include "postgres.h"

#include "commands/seclabel.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static void
pgsnap_test_check(const ObjectAddress *object, const char *seclabel)
{
	if (seclabel != NULL && seclabel[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgsnap_test: a security label must not be empty")));
}

void
_PG_init(void)
{
	register_label_provider("pgsnap_test", pgsnap_test_check);
}
