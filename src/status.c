/*-------------------------------------------------------------------------
 *
 * src/status.c
 *		The campaign status machine: one transition table, enforced by a
 *		trigger, and the edit and delete rules that depend on the status.
 *
 * Every status change of a campaign, whichever SQL path makes it, passes
 * through campaign_status_guard (a BEFORE INSERT OR UPDATE OR DELETE trigger
 * on campaigns.campaign), which refuses with SQLSTATE 55000 any change the
 * table below does not list.  status_transitions() exposes the same table to
 * SQL, so the documentation is produced from the code that enforces it.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/rel.h"

#include "status.h"

static const char *const status_names[CAMPAIGN_STATUS_COUNT] = {
	[CAMPAIGN_DRAFT] = "draft",
	[CAMPAIGN_LAUNCHING] = "launching",
	[CAMPAIGN_SCHEDULED] = "scheduled",
	[CAMPAIGN_ACTIVE] = "active",
	[CAMPAIGN_DRAINING] = "draining",
	[CAMPAIGN_PAUSED] = "paused",
	[CAMPAIGN_COMPLETED] = "completed",
	[CAMPAIGN_FAILED] = "failed",
};

typedef struct CampaignTransition
{
	CampaignStatus from;
	CampaignStatus to;
	const char *when;
} CampaignTransition;

/* SPEC §5, row by row.  Every other change is refused. */
static const CampaignTransition transitions[] = {
	{CAMPAIGN_DRAFT, CAMPAIGN_LAUNCHING, "launch requested"},
	{CAMPAIGN_LAUNCHING, CAMPAIGN_ACTIVE, "enrolment done, immediate launch"},
	{CAMPAIGN_LAUNCHING, CAMPAIGN_SCHEDULED, "enrolment done, scheduled launch"},
	{CAMPAIGN_LAUNCHING, CAMPAIGN_FAILED, "enrolment failed"},
	{CAMPAIGN_SCHEDULED, CAMPAIGN_ACTIVE, "start_date reached and the unreviewed-launch policy allows"},
	{CAMPAIGN_SCHEDULED, CAMPAIGN_PAUSED, "start_date reached unreviewed with policy hold, or user pause"},
	{CAMPAIGN_SCHEDULED, CAMPAIGN_DRAFT, "start_date reached unreviewed with policy cancel, or user unschedule"},
	{CAMPAIGN_ACTIVE, CAMPAIGN_DRAINING, "user pause while actions are in flight"},
	{CAMPAIGN_ACTIVE, CAMPAIGN_PAUSED, "user pause with nothing in flight, or the delivery service keeps failing"},
	{CAMPAIGN_DRAINING, CAMPAIGN_PAUSED, "the last in-flight action finished"},
	{CAMPAIGN_ACTIVE, CAMPAIGN_COMPLETED, "every enrolled lead finished its sequence"},
	{CAMPAIGN_DRAINING, CAMPAIGN_COMPLETED, "every enrolled lead finished its sequence"},
	{CAMPAIGN_PAUSED, CAMPAIGN_ACTIVE, "resume"},
	{CAMPAIGN_PAUSED, CAMPAIGN_COMPLETED, "user stop"},
	{CAMPAIGN_FAILED, CAMPAIGN_DRAFT, "user reset after fixing the cause"},
};

/* Statuses in which a campaign may be deleted. */
static const bool deletable[CAMPAIGN_STATUS_COUNT] = {
	[CAMPAIGN_DRAFT] = true,
	[CAMPAIGN_PAUSED] = true,
	[CAMPAIGN_COMPLETED] = true,
	[CAMPAIGN_FAILED] = true,
};

/*
 * Fields a PATCH may change, by status.  draft: every field; scheduled and
 * paused: all but dataset_id, steps and type; active: the few below;
 * nothing in the others.
 */
static const char *const active_editable[] = {
	"name", "description", "daily_limit", "min_interval_seconds", "system_prompt",
	"unreviewed_launch_policy", "playground_discovery_dismissed_at",
	"stop_on_reply", "max_bounce_rate", "bounce_window", NULL
};
static const char *const structural_fields[] = {"dataset_id", "steps", "type", NULL};

const char *
GetCampaignStatusName(CampaignStatus status)
{
	if (status < 0 || status >= CAMPAIGN_STATUS_COUNT)
		return "unknown";
	return status_names[status];
}

bool
ParseCampaignStatus(const char *name, CampaignStatus *status)
{
	for (int i = 0; i < CAMPAIGN_STATUS_COUNT; i++)
	{
		if (strcmp(name, status_names[i]) == 0)
		{
			*status = (CampaignStatus) i;
			return true;
		}
	}
	return false;
}

bool
CampaignTransitionAllowed(CampaignStatus from, CampaignStatus to)
{
	for (size_t i = 0; i < lengthof(transitions); i++)
	{
		if (transitions[i].from == from && transitions[i].to == to)
			return true;
	}
	return false;
}

static bool
InList(const char *const *list, const char *field)
{
	for (; *list != NULL; list++)
	{
		if (strcmp(*list, field) == 0)
			return true;
	}
	return false;
}

/*
 * FieldEditable says whether a PATCH may change the field in the status.
 */
static bool
FieldEditable(CampaignStatus status, const char *field)
{
	switch (status)
	{
		case CAMPAIGN_DRAFT:
			return true;
		case CAMPAIGN_SCHEDULED:
		case CAMPAIGN_PAUSED:
			return !InList(structural_fields, field);
		case CAMPAIGN_ACTIVE:
			return InList(active_editable, field);
		default:
			return false;
	}
}

/*
 * StatusFromDatum reads a status text, erroring on a value the table does
 * not know (the column's CHECK constraint catches it too, but later).
 */
static CampaignStatus
StatusFromText(text *t)
{
	char	   *name = text_to_cstring(t);
	CampaignStatus status;

	if (!ParseCampaignStatus(name, &status))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown campaign status \"%s\"", name)));
	return status;
}

static CampaignStatus
TupleStatus(TriggerData *trigdata, HeapTuple tuple)
{
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	int			attnum = SPI_fnumber(tupdesc, "status");
	bool		isnull;
	Datum		d;

	if (attnum <= 0)
		elog(ERROR, "campaign table has no status column");
	d = heap_getattr(tuple, attnum, tupdesc, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("campaign status cannot be null")));
	return StatusFromText(DatumGetTextPP(d));
}

PG_FUNCTION_INFO_V1(campaign_status_guard);

/*
 * campaign_status_guard is the trigger that makes the transition table the
 * only way a status can change: a new campaign starts as draft, an update
 * may only make a listed transition, and only some statuses may be deleted.
 */
Datum
campaign_status_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "campaign_status_guard must be a BEFORE ROW trigger");

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		CampaignStatus to = TupleStatus(trigdata, trigdata->tg_trigtuple);

		if (to != CAMPAIGN_DRAFT)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("a new campaign must start as draft"),
					 errdetail("The status given was \"%s\".", GetCampaignStatusName(to))));
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		CampaignStatus from = TupleStatus(trigdata, trigdata->tg_trigtuple);
		CampaignStatus to = TupleStatus(trigdata, trigdata->tg_newtuple);

		if (from != to && !CampaignTransitionAllowed(from, to))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("campaign status cannot change from %s to %s",
							GetCampaignStatusName(from), GetCampaignStatusName(to)),
					 errdetail("The transition from \"%s\" to \"%s\" is not in the status machine.",
							   GetCampaignStatusName(from), GetCampaignStatusName(to)),
					 errhint("campaigns.status_transitions() lists the allowed changes.")));
		return PointerGetDatum(trigdata->tg_newtuple);
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		CampaignStatus from = TupleStatus(trigdata, trigdata->tg_trigtuple);

		if (!deletable[from])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("a campaign cannot be deleted while %s", GetCampaignStatusName(from)),
					 errdetail("Campaigns may be deleted in draft, paused, completed and failed."),
					 errhint("Pause or stop the campaign first.")));
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	elog(ERROR, "campaign_status_guard fired by an unexpected event");
	PG_RETURN_NULL();			/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(status_transitions);

/*
 * status_transitions returns the transition table, for the documentation
 * and for clients that want to know what a status may become.
 */
Datum
status_transitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (size_t i = 0; i < lengthof(transitions); i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(GetCampaignStatusName(transitions[i].from));
		values[1] = CStringGetTextDatum(GetCampaignStatusName(transitions[i].to));
		values[2] = CStringGetTextDatum(transitions[i].when);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(campaign_check_edit);

/*
 * campaign_check_edit(status, fields text[]) refuses, with SQLSTATE 55000,
 * a PATCH that changes fields the status does not allow to change, naming
 * them; campaign_update calls it with the fields whose values differ.
 */
Datum
campaign_check_edit(PG_FUNCTION_ARGS)
{
	CampaignStatus status = StatusFromText(PG_GETARG_TEXT_PP(0));
	ArrayType  *fields = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData refused;

	deconstruct_array(fields, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	initStringInfo(&refused);
	for (int i = 0; i < n; i++)
	{
		char	   *field;

		if (nulls[i])
			continue;
		field = TextDatumGetCString(elems[i]);
		if (!FieldEditable(status, field))
			appendStringInfo(&refused, "%s%s", refused.len > 0 ? ", " : "", field);
	}
	if (refused.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a campaign in status %s cannot change %s", GetCampaignStatusName(status), refused.data),
				 errdetail("In draft every field may change; in scheduled and paused all but dataset_id, steps and type; in active only name, description, daily_limit, min_interval_seconds, system_prompt, unreviewed_launch_policy, playground_discovery_dismissed_at, stop_on_reply, max_bounce_rate and bounce_window; nothing in the other statuses.")));
	PG_RETURN_VOID();
}
