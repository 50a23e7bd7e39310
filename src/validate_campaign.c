/*-------------------------------------------------------------------------
 *
 * src/validate_campaign.c
 *		The campaign's own rules: what ties its fields together, and the
 *		objects it names, which must be the caller's.
 *
 * _campaign_validate(body, user_id, check_start_future) checks a Create
 * Campaign body against every rule of SPEC §4 and either returns the
 * normalised body (all fields present, defaults filled, steps sorted by
 * step number, uuids and times in canonical form) or raises SQLSTATE 22023
 * with a DETAIL that is a JSON array of FastAPI/Pydantic v2 error objects
 * {"loc": [...], "msg": "...", "type": "..."} -- every violation, not only
 * the first.  _campaign_validate_update does the same for a PATCH merged
 * into the stored campaign.
 *
 * The check runs in three phases, which fixes the order of the errors:
 *	1. the fields, by the generic walker (validate.c) against CampaignCreate
 *	   (models.c), with the rules of single fields defined here: distinct
 *	   step numbers, a connection request's 300 characters, distinct alias
 *	   ids and days;
 *	2. cross-field rules (channel against type, required-when rules,
 *	   start_date against launch_type, the sending window...), each run only
 *	   when the fields it reads are valid;
 *	3. references: one SPI query per kind of object (dataset, template,
 *	   sender profile, email alias, connected account), always restricted to
 *	   the caller's user_id so that another user's object looks exactly like
 *	   a missing one, even to a superuser.  A value that failed its format
 *	   check is never looked up.
 *
 * The queries are prepared once per backend (KeepPlan), so a call costs one
 * JSONB walk plus at most five index lookups, in a temporary memory context
 * deleted before returning.
 *
 *-------------------------------------------------------------------------
 */
#include "models.h"

#include "validate.h"
#include "validate_campaign.h"

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(campaign_validate);
PG_FUNCTION_INFO_V1(campaign_validate_update);

/* ------------------------------------------------------- single fields */

/* CampaignCheckSteps: step numbers are distinct (after the steps' own checks). */
bool
CampaignCheckSteps(Validation *vs, const Loc *loc, FieldValue *fv, const ModelValue *parent)
{
	for (int i = 0; i < fv->n; i++)
	{
		ModelValue *si = &fv->models[i];

		if (!si->is_object || FIELD(si, SF_STEP)->fs != FS_OK)
			continue;
		for (int k = 0; k < i; k++)
		{
			ModelValue *sk = &fv->models[k];

			if (sk->is_object && FIELD(sk, SF_STEP)->fs == FS_OK &&
				FIELD(sk, SF_STEP)->i == FIELD(si, SF_STEP)->i)
			{
				Loc			li = LocIndex(loc, i);
				Loc			ls = LocKey(&li, "step");

				AddErrorf(vs, &ls, "value_error",
						  "Value error, step %d is already used by steps[%d]; step numbers must be distinct",
						  (int) FIELD(si, SF_STEP)->i, k);
				break;
			}
		}
	}
	return true;
}

/* CampaignCheckMessage: a connection request's note is at most 300 characters. */
bool
CampaignCheckMessage(Validation *vs, const Loc *loc, FieldValue *fv, const ModelValue *parent)
{
	const FieldValue *action = FIELD(parent, SF_ACTION_TYPE);

	if (action->fs == FS_OK && action->i == ACT_CONNECTION_REQUEST &&
		pg_mbstrlen_with_len(fv->s, fv->len) > 300)
	{
		AddError(vs, loc, "string_too_long", "String should have at most 300 characters");
		return false;
	}
	return true;
}

char *
AliasRepeatMessage(int index, int first, const char *value, int len)
{
	return psprintf("Value error, alias_ids[%d] repeats alias_ids[%d]; alias ids must be distinct",
					index, first);
}

char *
DayRepeatMessage(int index, int first, const char *value, int len)
{
	return psprintf("Value error, '%.*s' is listed twice; send_days must be distinct", len, value);
}

/* ------------------------------------------------------- cross-field */

/*
 * CheckVariants runs the rules of one step's variants: distinct labels,
 * PERSONALIZATION needs AI, TEMPLATE needs a template, a positive weight.
 */
static void
CheckVariants(Validation *vs, ModelValue *st, const Loc *lv)
{
	FieldValue *variants = FIELD(st, SF_VARIANTS);
	FieldValue *ai = FIELD(st, SF_AI);
	bool		weights_ok = true;
	bool		any_positive = false;
	Loc			l;

	for (int j = 0; j < variants->n; j++)
	{
		ModelValue *var = &variants->models[j];
		Loc			lj = LocIndex(lv, j);
		FieldValue *label = FIELD(var, VR_LABEL);
		FieldValue *type = FIELD(var, VR_TYPE);
		FieldValue *weight = FIELD(var, VR_WEIGHT);
		FieldValue *tmpl = FIELD(var, VR_TEMPLATE_ID);

		if (!var->is_object)
		{
			weights_ok = false;
			continue;
		}
		for (int k = 0; label->fs == FS_OK && k < j; k++)
		{
			ModelValue *vk = &variants->models[k];
			FieldValue *lk = vk->is_object ? FIELD(vk, VR_LABEL) : NULL;

			if (lk != NULL && lk->fs == FS_OK && lk->len == label->len &&
				memcmp(lk->s, label->s, label->len) == 0)
			{
				l = LocKey(&lj, "label");
				AddErrorf(vs, &l, "value_error",
						  "Value error, label \"%s\" is already used by variants[%d]; labels must be distinct within a step",
						  pnstrdup(label->s, label->len), k);
				break;
			}
		}
		if (type->fs == FS_OK && type->i == VT_PERSONALIZATION &&
			ai->fs != FS_BAD && !(ai->fs == FS_OK && ai->i))
		{
			l = LocKey(&lj, "type");
			AddError(vs, &l, "value_error",
					 "Value error, PERSONALIZATION variants need ai_personalization_enabled on their step");
		}
		if (type->fs == FS_OK && type->i == VT_TEMPLATE &&
			(tmpl->fs == FS_ABSENT || tmpl->fs == FS_NULL))
		{
			l = LocKey(&lj, "template_id");
			AddMissing(vs, &l);
		}
		if (weight->fs != FS_OK)
			weights_ok = false;
		else if (weight->i > 0)
			any_positive = true;
	}
	if (weights_ok && !any_positive)
		AddError(vs, lv, "value_error",
				 "Value error, at least one variant of a step must have a weight greater than 0");
}

/*
 * CheckStep runs the rules of one step: its channel against the type, then
 * what the channel requires.  Returns the step's channel (CH_NONE when it
 * has none).
 */
static int
CheckStep(Validation *vs, ModelValue *st, const Loc *li, int type, bool type_ok)
{
	FieldValue *channel = FIELD(st, SF_CHANNEL);
	FieldValue *variants = FIELD(st, SF_VARIANTS);
	FieldValue *ai = FIELD(st, SF_AI);
	FieldValue *track = FIELD(st, SF_TRACK_CLICKS);
	FieldValue *action = FIELD(st, SF_ACTION_TYPE);
	FieldValue *message = FIELD(st, SF_MESSAGE_TEMPLATE);
	Loc			lv = LocKey(li, "variants");
	Loc			l = LocKey(li, "channel");
	int			eff = CH_NONE;

	/* channel: defaults to the type; must fit the type */
	if (channel->fs == FS_OK)
	{
		if (type_ok && type != TYPE_MIXED && type != channel->i)
			AddErrorf(vs, &l, "value_error",
					  "Value error, channel '%s' does not fit a campaign of type '%s'",
					  channel_names[channel->i], campaign_type_names[type]);
		else
			eff = channel->i;
	}
	else if (channel->fs != FS_BAD && type_ok)
	{
		if (type == TYPE_MIXED)
			AddMissing(vs, &l);
		else
			eff = type;
	}

	/* variants: required on email steps */
	if (eff == CH_EMAIL && (variants->fs == FS_ABSENT || variants->fs == FS_NULL))
		AddMissing(vs, &lv);
	if (variants->fs == FS_OK)
		CheckVariants(vs, st, &lv);

	/* track_clicks: email steps only */
	if (track->fs == FS_OK && track->i && eff == CH_LINKEDIN)
	{
		l = LocKey(li, "track_clicks");
		AddError(vs, &l, "value_error", "Value error, track_clicks can only be true on email steps");
	}

	/* action_type: per channel */
	l = LocKey(li, "action_type");
	if (eff == CH_LINKEDIN)
	{
		if (action->fs == FS_ABSENT || action->fs == FS_NULL)
			AddMissing(vs, &l);
		else if (action->fs == FS_OK && action->i == ACT_SEND_EMAIL)
			AddError(vs, &l, "value_error",
					 "Value error, a linkedin step's action_type must be one of 'connection_request', 'message', 'inmail', 'profile_visit', 'follow', 'like_post' or 'withdraw_invitation'");
	}
	else if (eff == CH_EMAIL && action->fs == FS_OK && action->i != ACT_SEND_EMAIL)
		AddErrorf(vs, &l, "value_error",
				  "Value error, '%s' is a linkedin action; an email step's action_type must be null or 'send_email'",
				  action_type_names[action->i]);

	/* message_template: required for messages without another source */
	if (eff == CH_LINKEDIN && action->fs == FS_OK &&
		(action->i == ACT_MESSAGE || action->i == ACT_INMAIL) &&
		(message->fs == FS_ABSENT || message->fs == FS_NULL) &&
		(variants->fs == FS_ABSENT || variants->fs == FS_NULL) &&
		ai->fs != FS_BAD && !(ai->fs == FS_OK && ai->i))
	{
		l = LocKey(li, "message_template");
		AddMissing(vs, &l);
	}
	return eff;
}

/*
 * CheckCrossFields runs phase 2: rules that tie fields together.  Each rule
 * runs only when the fields it reads are valid.
 */
static void
CheckCrossFields(Validation *vs, CampaignCheck *cc, const Loc *body, bool check_start_future)
{
	ModelValue *b = cc->body;
	FieldValue *type = FIELD(b, CF_TYPE);
	FieldValue *aliases = FIELD(b, CF_ALIAS_IDS);
	FieldValue *launch = FIELD(b, CF_LAUNCH_TYPE);
	FieldValue *start = FIELD(b, CF_START_DATE);
	FieldValue *wstart = FIELD(b, CF_WINDOW_START);
	FieldValue *wend = FIELD(b, CF_WINDOW_END);
	FieldValue *account = FIELD(b, CF_CONNECTED_ACCOUNT_ID);
	bool		any_email = false;
	bool		any_linkedin = false;
	Loc			ls = LocKey(body, "steps");
	Loc			l;

	for (int i = 0; i < cc->nsteps; i++)
	{
		Loc			li = LocIndex(&ls, i);

		if (!cc->steps[i].is_object)
			continue;
		cc->channel[i] = CheckStep(vs, &cc->steps[i], &li, type->i, type->fs == FS_OK);
		any_email |= cc->channel[i] == CH_EMAIL;
		any_linkedin |= cc->channel[i] == CH_LINKEDIN;
	}

	/* alias_ids: required non-empty when any step is email */
	if (any_email)
	{
		l = LocKey(body, "alias_ids");
		if (aliases->fs == FS_ABSENT || aliases->fs == FS_NULL)
			AddMissing(vs, &l);
		else if (aliases->fs == FS_OK && aliases->n == 0)
			AddError(vs, &l, "too_short", "List should have at least 1 item after validation, not 0");
	}

	/* connected_account_id: required when any step is linkedin */
	if (any_linkedin && (account->fs == FS_ABSENT || account->fs == FS_NULL))
	{
		l = LocKey(body, "connected_account_id");
		AddMissing(vs, &l);
	}

	/* start_date against launch_type */
	l = LocKey(body, "start_date");
	if (launch->fs == FS_OK && launch->i == LAUNCH_SCHEDULED)
	{
		if (start->fs == FS_ABSENT || start->fs == FS_NULL)
			AddMissing(vs, &l);
		else if (start->fs == FS_OK && check_start_future &&
				 start->i <= GetCurrentTransactionStartTimestamp())
			AddError(vs, &l, "value_error", "Value error, start_date must be in the future");
	}
	else if (launch->fs == FS_OK && launch->i == LAUNCH_IMMEDIATE && start->fs == FS_OK)
		AddError(vs, &l, "value_error",
				 "Value error, start_date must be null when launch_type is 'immediate'");

	/* the sending window */
	if (wstart->fs == FS_OK && wend->fs == FS_OK && wstart->i >= wend->i)
	{
		l = LocKey(body, "sending_window_end");
		AddError(vs, &l, "value_error",
				 "Value error, sending_window_end must be later than sending_window_start");
	}
}

/* ------------------------------------------------------------ output */

static int
CompareSteps(const void *a, const void *b)
{
	int64		sa = FIELD((const ModelValue *) a, SF_STEP)->i;
	int64		sb = FIELD((const ModelValue *) b, SF_STEP)->i;

	return (sa > sb) - (sa < sb);
}

/*
 * Normalise finishes a valid body for output: each step's channel is the
 * one it runs on, and the steps are sorted by step number.
 */
static void
Normalise(CampaignCheck *cc)
{
	for (int i = 0; i < cc->nsteps; i++)
	{
		FieldValue *channel = FIELD(&cc->steps[i], SF_CHANNEL);

		channel->fs = FS_OK;
		channel->i = cc->channel[i];
	}
	qsort(cc->steps, cc->nsteps, sizeof(ModelValue), CompareSteps);
}

/* --------------------------------------------------------------- API */

/* CampaignValidate: see validate.h. */
Jsonb *
CampaignValidate(Jsonb *body, const Model *model, pg_uuid_t *user_id,
				 bool check_start_future, Oid nspid)
{
	MemoryContext tmpcxt = AllocSetContextCreate(CurrentMemoryContext, "campaign validation",
												 ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(tmpcxt);
	ModelField	root = {model->name, VK_MODEL, .model = model};
	Loc			loc = {NULL, "body", 4, 0};
	Validation	vs;
	FieldValue	fv;
	CampaignCheck cc;
	JsonbValue *out;
	Jsonb	   *result;

	ValidationInit(&vs);
	CheckRoot(&vs, &root, body, &loc, &fv);
	memset(&cc, 0, sizeof(cc));
	if (fv.fs == FS_OK)
	{
		FieldValue *steps;
		FieldValue *aliases;

		cc.body = fv.models;
		steps = FIELD(cc.body, CF_STEPS);
		if (steps->fs == FS_OK)
		{
			cc.nsteps = steps->n;
			cc.steps = steps->models;
		}
		cc.channel = palloc(sizeof(int) * Max(cc.nsteps, 1));
		cc.variant = palloc(sizeof(ModelValue *) * Max(cc.nsteps * 5, 1));
		cc.variant_step = palloc(sizeof(int) * Max(cc.nsteps * 5, 1));
		cc.variant_index = palloc(sizeof(int) * Max(cc.nsteps * 5, 1));
		for (int i = 0; i < cc.nsteps; i++)
		{
			FieldValue *variants = cc.steps[i].is_object ? FIELD(&cc.steps[i], SF_VARIANTS) : NULL;

			cc.channel[i] = CH_NONE;
			for (int j = 0; variants != NULL && variants->fs == FS_OK && j < variants->n; j++)
			{
				if (!variants->models[j].is_object)
					continue;
				cc.variant[cc.nvariants] = &variants->models[j];
				cc.variant_step[cc.nvariants] = i;
				cc.variant_index[cc.nvariants++] = j;
			}
		}
		cc.template_channel = palloc(sizeof(int) * Max(cc.nvariants, 1));
		cc.sender_found = palloc0(sizeof(bool) * Max(cc.nvariants, 1));
		for (int v = 0; v < cc.nvariants; v++)
			cc.template_channel[v] = CH_NONE;
		aliases = FIELD(cc.body, CF_ALIAS_IDS);
		cc.alias_found = palloc0(sizeof(bool) * Max(aliases->fs == FS_OK ? aliases->n : 0, 1));
		CheckCrossFields(&vs, &cc, &loc, check_start_future);
		CheckCampaignReferences(&vs, &cc, &loc, user_id, nspid);
	}
	ValidationRaise(&vs, "invalid campaign");

	Normalise(&cc);
	out = ModelOutput(cc.body);
	MemoryContextSwitchTo(oldcxt);
	result = JsonbValueToJsonb(out);
	MemoryContextDelete(tmpcxt);
	return result;
}

/*
 * campaign_validate(body jsonb, user_id uuid, check_start_future boolean)
 * is _campaign_validate in SQL.  Not strict: a NULL body is reported as a
 * missing body.
 */
Datum
campaign_validate(PG_FUNCTION_ARGS)
{
	Jsonb	   *body = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
	bool		check_future = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("user_id must not be null")));
	PG_RETURN_JSONB_P(CampaignValidate(body, &CampaignCreate, PG_GETARG_UUID_P(1), check_future,
									   get_func_namespace(fcinfo->flinfo->fn_oid)));
}

/*
 * campaign_validate_update(current jsonb, patch jsonb, user_id uuid) is
 * _campaign_validate_update: the PATCH merged into the stored campaign (in
 * request shape) and checked as CampaignUpdate, whose last field,
 * playground_discovery_dismissed_at, only a PATCH has.  start_date must be
 * in the future only when the patch sets it or the launch type.
 */
Datum
campaign_validate_update(PG_FUNCTION_ARGS)
{
	Jsonb	   *patch = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	Jsonb	   *merged;
	bool		check_future;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("current and user_id must not be null")));
	if (patch == NULL || !JB_ROOT_IS_OBJECT(patch))
	{
		Validation	vs;
		Loc			loc = {NULL, "body", 4, 0};

		ValidationInit(&vs);
		AddError(&vs, &loc, "model_attributes_type",
				 "Input should be a valid dictionary or object to extract fields from");
		ValidationRaise(&vs, "invalid campaign");
	}
	check_future = getKeyJsonValueFromContainer(&patch->root, "start_date", 10, NULL) != NULL ||
		getKeyJsonValueFromContainer(&patch->root, "launch_type", 11, NULL) != NULL;
	merged = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, PG_GETARG_DATUM(0),
												JsonbPGetDatum(patch)));
	PG_RETURN_JSONB_P(CampaignValidate(merged, &CampaignUpdate, PG_GETARG_UUID_P(2), check_future,
									   get_func_namespace(fcinfo->flinfo->fn_oid)));
}
