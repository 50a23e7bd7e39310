/*-------------------------------------------------------------------------
 *
 * src/plans.h
 *		Kept SPI plans, prepared once per backend by every subsystem.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_PLANS_H
#define CAMPAIGNS_PLANS_H

#include "executor/spi.h"

/*
 * KeepPlan prepares sql (SPI_prepare_cursor with cursor_options, 0 for
 * the default choice of plan) and keeps it for the life of the backend;
 * any failure is an error ("can't happen" for the extension's own SQL).
 */
extern SPIPlanPtr KeepPlan(const char *sql, int nargs, Oid *argtypes,
						   int cursor_options);

#endif							/* CAMPAIGNS_PLANS_H */
