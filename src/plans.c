/*-------------------------------------------------------------------------
 *
 * src/plans.c
 *		Kept SPI plans.
 *
 * The validator, the scheduler, the dispatcher and http_handle each run a
 * few fixed statements very often; they prepare them once per backend with
 * KeepPlan and run the kept plan after that.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "plans.h"

/*
 * KeepPlan prepares and keeps a plan; see plans.h.
 */
SPIPlanPtr
KeepPlan(const char *sql, int nargs, Oid *argtypes, int cursor_options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options);

	if (plan == NULL)
		elog(ERROR, "campaigns: could not prepare a statement: %s",
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "campaigns: could not keep a prepared statement");
	return plan;
}
