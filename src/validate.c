/*-------------------------------------------------------------------------
 *
 * src/validate.c
 *		The one generic walker: checks a JSON value against a model
 *		description (model.h) and builds its normalised form.
 *
 * Every request body and every set of query parameters of the API goes
 * through CheckRoot.  The walk reports Pydantic v2's errors, all of them,
 * in Pydantic's order: each object's fields in model order (a nested
 * object or list where its field is), then its unknown keys, then the
 * object's own rule.  A field is checked for presence, null, JSON type,
 * bounds (length, range, item count), its own rule (FieldCheck), then its
 * format; a list's items in order.  JSON types are strict, except for
 * query parameters, which arrive as text and are parsed as Pydantic's lax
 * mode would.
 *
 * What a model needs at run time (its defaults, checked, the jsonb order
 * of its keys) and the normalised form of a valid value are model.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"

#include "formats.h"
#include "render.h"

#include "mb/pg_wchar.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

static void CheckObject(Validation *vs, const Model *m, const JsonbValue *v, const Loc *loc,
						ModelValue *out, bool root);

/* ------------------------------------------------------------- errors */

/* ValidationInit starts an empty error array. */
void
ValidationInit(Validation *vs)
{
	memset(vs, 0, sizeof(*vs));
	initStringInfo(&vs->errs);
}

/*
 * AddError appends one {"loc","msg","type"} object to the error array (in
 * the spacing of jsonb's text, as the DETAIL of PL/pgSQL's errors had it).
 */
void
AddError(Validation *vs, const Loc *loc, const char *type, const char *msg)
{
	StringInfo	buf = &vs->errs;
	const Loc  *items[16];
	int			n = 0;

	if (vs->nerrs >= MAX_ERRORS)
		return;
	appendStringInfoString(buf, vs->nerrs == 0 ? "[" : ", ");
	for (const Loc *l = loc; l != NULL && n < (int) lengthof(items); l = l->parent)
		items[n++] = l;
	appendStringInfoString(buf, "{\"loc\": [");
	for (int i = n - 1; i >= 0; i--)
	{
		if (i < n - 1)
			appendStringInfoString(buf, ", ");
		if (items[i]->key != NULL)
			escape_json(buf, pnstrdup(items[i]->key, items[i]->keylen));
		else
			appendStringInfo(buf, "%d", items[i]->index);
	}
	appendStringInfoString(buf, "], \"msg\": ");
	escape_json(buf, msg);
	appendStringInfoString(buf, ", \"type\": ");
	escape_json(buf, type);
	appendStringInfoChar(buf, '}');
	vs->nerrs++;
}

void
AddErrorf(Validation *vs, const Loc *loc, const char *type, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	AddError(vs, loc, type, msg.data);
}

void
AddMissing(Validation *vs, const Loc *loc)
{
	AddError(vs, loc, "missing", "Field required");
}

/*
 * ValidationRaise raises SQLSTATE 22023 with the errors as DETAIL, when
 * there are any (the contract of SPEC §4, which http_handle maps to 422).
 */
void
ValidationRaise(Validation *vs, const char *what)
{
	if (vs->nerrs == 0)
		return;
	appendStringInfoChar(&vs->errs, ']');
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", what),
			 errdetail_internal("%s", vs->errs.data)));
}

/* EnumMessage builds "Input should be 'a', 'b' or 'c'". */
char *
EnumMessage(const char *const *names, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "Input should be ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, i == n - 1 ? " or " : ", ");
		appendStringInfo(&buf, "'%s'", names[i]);
	}
	return buf.data;
}

/* ------------------------------------------------------------- models */

static bool
IsObject(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
IsArray(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/* --------------------------------------------------------------- scalars */

/*
 * QueryText gives the text of a query parameter: what a query string
 * holds, or a JSON scalar an SQL caller passed in its filters object.
 */
static bool
QueryText(const JsonbValue *v, const char **s, int *len)
{
	if (v->type == jbvString)
	{
		*s = v->val.string.val;
		*len = v->val.string.len;
	}
	else if (v->type == jbvNumeric)
	{
		*s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		*len = strlen(*s);
	}
	else if (v->type == jbvBool)
	{
		*s = v->val.boolean ? "true" : "false";
		*len = strlen(*s);
	}
	else
		return false;
	return true;
}

static inline bool
IsSpaceChar(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * ParseQueryInt parses [spaces][-]digits[spaces]; a number past int64 is
 * clamped (it then fails its bounds, as Pydantic's big integers do).
 */
static bool
ParseQueryInt(const char *s, int len, int64 *out)
{
	int			p = 0;
	bool		neg = false;
	bool		over = false;
	int			digits = 0;
	uint64		v = 0;

	while (p < len && IsSpaceChar(s[p]))
		p++;
	if (p < len && s[p] == '-')
	{
		neg = true;
		p++;
	}
	while (p < len && s[p] >= '0' && s[p] <= '9')
	{
		if (v > (PG_UINT64_MAX - 9) / 10)
			over = true;
		else
			v = v * 10 + (s[p] - '0');
		p++;
		digits++;
	}
	while (p < len && IsSpaceChar(s[p]))
		p++;
	if (p != len || digits == 0)
		return false;
	if (over || v > (uint64) PG_INT64_MAX)
		*out = neg ? PG_INT64_MIN : PG_INT64_MAX;
	else
		*out = neg ? -(int64) v : (int64) v;
	return true;
}

/* What CheckBounds bounds: a value, a string's length, a list's items. */
typedef enum BoundKind
{
	BK_VALUE,
	BK_LENGTH,
	BK_ITEMS
} BoundKind;

/* CheckBounds checks n against f's min and max, in Pydantic's words. */
static bool
CheckBounds(Validation *vs, const ModelField *f, const Loc *loc, int64 n, BoundKind kind)
{
	if ((f->bounds & FB_MIN) && n < f->min)
	{
		if (kind == BK_VALUE)
			AddErrorf(vs, loc, "greater_than_equal",
					  "Input should be greater than or equal to " INT64_FORMAT, f->min);
		else if (kind == BK_LENGTH)
			AddErrorf(vs, loc, "string_too_short",
					  "String should have at least " INT64_FORMAT " character%s",
					  f->min, f->min == 1 ? "" : "s");
		else
			AddErrorf(vs, loc, "too_short",
					  "List should have at least " INT64_FORMAT " item%s after validation, not " INT64_FORMAT,
					  f->min, f->min == 1 ? "" : "s", n);
		return false;
	}
	if ((f->bounds & FB_MAX) && n > f->max)
	{
		if (kind == BK_VALUE)
			AddErrorf(vs, loc, "less_than_equal",
					  "Input should be less than or equal to " INT64_FORMAT, f->max);
		else if (kind == BK_LENGTH)
			AddErrorf(vs, loc, "string_too_long",
					  "String should have at most " INT64_FORMAT " character%s",
					  f->max, f->max == 1 ? "" : "s");
		else
			AddErrorf(vs, loc, "too_long",
					  "List should have at most " INT64_FORMAT " item%s after validation, not " INT64_FORMAT,
					  f->max, f->max == 1 ? "" : "s", n);
		return false;
	}
	return true;
}

/*
 * CheckInteger: a strict JSON integer (jsonb keeps "500.0" apart from
 * "500"), or in a query a text that parses as one; then its range.
 */
static FieldState
CheckInteger(Validation *vs, const ModelField *f, const JsonbValue *v, const Loc *loc, FieldValue *out)
{
	if (vs->query)
	{
		const char *s;
		int			len;

		if (!QueryText(v, &s, &len) || !ParseQueryInt(s, len, &out->i))
		{
			AddError(vs, loc, "int_parsing",
					 "Input should be a valid integer, unable to parse string as an integer");
			return FS_BAD;
		}
	}
	else
	{
		bool		overflow = false;
		int32		value;

		if (v->type != jbvNumeric ||
			numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric) ||
			DatumGetInt32(DirectFunctionCall1(numeric_scale, NumericGetDatum(v->val.numeric))) != 0)
		{
			AddError(vs, loc, "int_type", "Input should be a valid integer");
			return FS_BAD;
		}
		value = numeric_int4_opt_error(v->val.numeric, &overflow);
		if (overflow)
		{
			char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
																NumericGetDatum(v->val.numeric)));

			value = (s[0] == '-') ? PG_INT32_MIN : PG_INT32_MAX;
		}
		out->i = value;
	}
	if (!CheckBounds(vs, f, loc, out->i, BK_VALUE))
		return FS_BAD;
	return FS_OK;
}

/* CheckEnum: one of the field's values (anything else is "enum"). */
static FieldState
CheckEnum(Validation *vs, const ModelField *f, const JsonbValue *v, const Loc *loc, FieldValue *out)
{
	const char *s = NULL;
	int			len = 0;
	bool		text;

	if (vs->query)
		text = QueryText(v, &s, &len);
	else if ((text = (v->type == jbvString)))
	{
		s = v->val.string.val;
		len = v->val.string.len;
	}
	for (int i = 0; text && i < f->nenum; i++)
	{
		if (strlen(f->enum_values[i]) == (size_t) len && memcmp(f->enum_values[i], s, len) == 0)
		{
			out->i = i;
			out->s = f->enum_values[i];
			out->len = len;
			return FS_OK;
		}
	}
	AddError(vs, loc, "enum", EnumMessage(f->enum_values, f->nenum));
	return FS_BAD;
}

/* The error of a value of the wrong JSON type, by what the field holds. */
static void
TypeError(Validation *vs, const ModelField *f, const Loc *loc)
{
	switch (f->format)
	{
		case VF_UUID:
			AddError(vs, loc, "uuid_type", "UUID input should be a string, bytes or UUID object");
			break;
		case VF_DATETIME:
			AddError(vs, loc, "datetime_type", "Input should be a valid datetime");
			break;
		case VF_TIME:
		case VF_TIME_END:
			AddError(vs, loc, "time_type", "Input should be a valid time");
			break;
		default:
			AddError(vs, loc, "string_type", "Input should be a valid string");
			break;
	}
}

/* CheckFormat checks what a string holds (and keeps the parsed value). */
static FieldState
CheckFormat(Validation *vs, const ModelField *f, const Loc *loc, FieldValue *out)
{
	const char *reason;
	char	   *error;
	char	   *norm;
	int			secs;
	bool		canonical;
	TimestampTz ts;

	switch (f->format)
	{
		case VF_NONE:
		case VF_DATE:
			break;
		case VF_UUID:
			if (!ParseUuid(out->s, out->len, &out->uuid, &canonical))
			{
				AddError(vs, loc, "uuid_parsing", "Input should be a valid UUID");
				return FS_BAD;
			}
			out->i = canonical;
			break;
		case VF_DATETIME:
			reason = ParseRfc3339(out->s, out->len, &ts, &norm);
			if (reason != NULL)
			{
				AddErrorf(vs, loc, "datetime_parsing", "Input should be a valid datetime, %s", reason);
				return FS_BAD;
			}
			out->i = ts;
			out->s = norm;
			out->len = strlen(norm);
			break;
		case VF_TIME:
		case VF_TIME_END:
			reason = ParseTime(out->s, out->len, f->format == VF_TIME_END, &secs);
			if (reason != NULL)
			{
				AddErrorf(vs, loc, "time_parsing", "Input should be in a valid time format, %s", reason);
				return FS_BAD;
			}
			out->i = secs;
			break;
		case VF_EMAIL:
			if (!IsEmailAddress(out->s, out->len))
			{
				AddError(vs, loc, "value_error", "value is not a valid email address");
				return FS_BAD;
			}
			break;
		case VF_TIMEZONE:
			if (!IsKnownTimezone(out->s, out->len))
			{
				AddErrorf(vs, loc, "value_error",
						  "Value error, unknown time zone \"%s\"; use an IANA name from pg_timezone_names such as \"Europe/Paris\"",
						  pnstrdup(out->s, Min(out->len, 100)));
				return FS_BAD;
			}
			break;
		case VF_MERGE:
			if (!MergeParse(out->s, out->len, &error))
			{
				AddErrorf(vs, loc, "value_error", "Value error, invalid merge field syntax: %s", error);
				return FS_BAD;
			}
			break;
	}
	return FS_OK;
}

/* CheckString: a string (or an enum value), its length, rule and format. */
static FieldState
CheckString(Validation *vs, const ModelField *f, const JsonbValue *v, const Loc *loc,
			FieldValue *out, const ModelValue *parent)
{
	if (f->nenum > 0)
		return CheckEnum(vs, f, v, loc, out);
	if (vs->query)
	{
		if (!QueryText(v, &out->s, &out->len))
		{
			TypeError(vs, f, loc);
			return FS_BAD;
		}
	}
	else
	{
		if (v->type != jbvString)
		{
			TypeError(vs, f, loc);
			return FS_BAD;
		}
		out->s = v->val.string.val;
		out->len = v->val.string.len;
	}
	if (f->bounds != 0 &&
		!CheckBounds(vs, f, loc, pg_mbstrlen_with_len(out->s, out->len), BK_LENGTH))
		return FS_BAD;
	if (f->check != NULL && !f->check(vs, loc, out, parent))
		return FS_BAD;
	return f->format == VF_NONE ? FS_OK : CheckFormat(vs, f, loc, out);
}

/* -------------------------------------------------------------- lists */

/*
 * CheckArray: a list within its item counts, each item checked in order;
 * with FF_UNIQUE an item equal to an earlier valid one is reported where
 * it is.  The list stays FS_OK when only items failed (each item says).
 */
static FieldState
CheckArray(Validation *vs, const ModelField *f, const JsonbValue *v, const Loc *loc,
		   FieldValue *out, const ModelValue *parent)
{
	JsonbContainer *arr;
	const ModelField *it = f->items;

	if (!IsArray(v))
	{
		AddError(vs, loc, "list_type", "Input should be a valid list");
		return FS_BAD;
	}
	arr = v->val.binary.data;
	out->n = JsonContainerSize(arr);
	if (!CheckBounds(vs, f, loc, out->n, BK_ITEMS))
		return FS_BAD;
	if (it->kind == VK_MODEL)
		out->models = palloc(sizeof(ModelValue) * Max(out->n, 1));
	else
		out->items = palloc(sizeof(FieldValue) * Max(out->n, 1));
	for (int i = 0; i < out->n; i++)
	{
		Loc			li = LocIndex(loc, i);
		JsonbValue *iv = getIthJsonbValueFromContainer(arr, i);

		if (it->kind == VK_MODEL)
		{
			CheckObject(vs, it->model, iv, &li, &out->models[i], false);
			continue;
		}
		CheckField(vs, it, iv, &li, &out->items[i], NULL);
		if (!(f->flags & FF_UNIQUE) || out->items[i].fs != FS_OK)
			continue;
		for (int k = 0; k < i; k++)
		{
			FieldValue *a = &out->items[k];
			FieldValue *b = &out->items[i];

			if (a->fs == FS_OK && a->len == b->len && memcmp(a->s, b->s, b->len) == 0)
			{
				AddError(vs, &li, "value_error", f->repeat_message(i, k, b->s, b->len));
				b->fs = FS_BAD;
				break;
			}
		}
	}
	if (f->check != NULL && !f->check(vs, loc, out, parent))
		return FS_BAD;
	return FS_OK;
}

/* ------------------------------------------------------------- fields */

/*
 * CheckField checks one value (NULL: absent) against f and fills out.
 * parent is the object being checked, its earlier fields filled.
 */
void
CheckField(Validation *vs, const ModelField *f, const JsonbValue *v, const Loc *loc,
		   FieldValue *out, const ModelValue *parent)
{
	out->v = v;
	out->n = 0;
	if (unlikely(vs->query) && v != NULL && v->type == jbvNull)
		v = out->v = NULL;		/* a query string has no null */
	if (v == NULL)
	{
		if ((f->flags & FF_REQUIRED) && !(parent != NULL && parent->model->partial))
		{
			AddMissing(vs, loc);
			out->fs = FS_BAD;
		}
		else
			out->fs = FS_ABSENT;
		return;
	}
	if (v->type == jbvNull && (f->flags & FF_NULLABLE))
	{
		out->fs = FS_NULL;
		return;
	}
	switch (f->kind)
	{
		case VK_STRING:
			out->fs = CheckString(vs, f, v, loc, out, parent);
			break;
		case VK_INTEGER:
			out->fs = CheckInteger(vs, f, v, loc, out);
			break;
		case VK_BOOLEAN:
			if (v->type != jbvBool)
			{
				AddError(vs, loc, "bool_type", "Input should be a valid boolean");
				out->fs = FS_BAD;
				break;
			}
			out->i = v->val.boolean;
			out->fs = FS_OK;
			break;
		case VK_DICT:
			if (!IsObject(v))
			{
				AddError(vs, loc, "dict_type", "Input should be a valid dictionary");
				out->fs = FS_BAD;
				break;
			}
			out->fs = FS_OK;
			break;
		case VK_MODEL:
			out->n = 1;
			out->models = palloc0(sizeof(ModelValue));
			CheckObject(vs, f->model, v, loc, out->models, false);
			out->fs = out->models->is_object ? FS_OK : FS_BAD;
			break;
		case VK_ARRAY:
			out->fs = CheckArray(vs, f, v, loc, out, parent);
			break;
		case VK_NUMBER:
		case VK_ANY:
			out->fs = FS_OK;
			break;
	}
}

/*
 * ReportExtras reports each key of obj that m does not describe as
 * extra_forbidden, in jsonb's key order.
 */
static void
ReportExtras(Validation *vs, const Model *m, ModelCache *c, const Loc *loc,
			 JsonbContainer *obj, int present)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if ((int) JsonContainerSize(obj) == present)
		return;
	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; i < m->nfields && !known; i++)
			known = c->namelen[i] == v.val.string.len &&
				memcmp(m->fields[i].name, v.val.string.val, v.val.string.len) == 0;
		if (!known)
		{
			Loc			l = LocKeyLen(loc, v.val.string.val, v.val.string.len);

			AddError(vs, &l, "extra_forbidden", "Extra inputs are not permitted");
		}
	}
}

/*
 * CheckObject checks an object against m: its fields in order (an absent
 * one takes its default, and is then FS_OK as if given), its unknown keys,
 * then m's rule.
 */
static void
CheckObject(Validation *vs, const Model *m, const JsonbValue *v, const Loc *loc,
			ModelValue *out, bool root)
{
	ModelCache *c = ModelCacheOf(m);
	JsonbContainer *obj;
	int			present = 0;

	out->model = m;
	out->is_object = false;
	if (v == NULL || !IsObject(v))
	{
		if (root)
			AddError(vs, loc, "model_attributes_type",
					 "Input should be a valid dictionary or object to extract fields from");
		else if (m->type_error != NULL)
			AddError(vs, loc, m->type_error, m->type_msg);
		else
			AddErrorf(vs, loc, "model_type", "Input should be a valid dictionary or instance of %s", m->name);
		return;
	}
	obj = v->val.binary.data;
	out->is_object = true;
	/* CheckField sets what each state's readers read: no need to zero */
	out->f = palloc(sizeof(FieldValue) * m->nfields);
	for (int i = 0; i < m->nfields; i++)
	{
		const ModelField *f = &m->fields[i];
		Loc			l = LocKeyLen(loc, f->name, c->namelen[i]);
		JsonbValue *fv = getKeyJsonValueFromContainer(obj, f->name, c->namelen[i], NULL);

		if (fv == NULL && !((f->flags & FF_REQUIRED) && !m->partial))
		{
			/* absent and allowed to be: the default, or nothing (the common case) */
			if (c->has_default[i] && !m->partial)
				out->f[i] = c->defaults[i]; /* FS_OK, as if given */
			else
			{
				out->f[i].fs = FS_ABSENT;
				out->f[i].v = NULL;
				out->f[i].n = 0;
			}
			continue;
		}
		if (fv != NULL)
			present++;
		CheckField(vs, f, fv, &l, &out->f[i], out);
		if (out->f[i].fs == FS_ABSENT && c->has_default[i] && !m->partial)
			out->f[i] = c->defaults[i]; /* a query parameter given as null */
	}
	if (m->extra == EXTRA_FORBID)
		ReportExtras(vs, m, c, loc, obj, present);
	if (m->rule != NULL)
		m->rule(vs, loc, out);
}

/*
 * RootLocName is where the errors of a root value are: "query" for query
 * parameters, "body" for everything else.
 */
const char *
RootLocName(const ModelField *root)
{
	return (root->kind == VK_MODEL && root->model->query) ? "query" : "body";
}

/*
 * CheckRoot checks a whole body (NULL: none was given) or set of query
 * parameters against root, a named schema of models.c.
 */
void
CheckRoot(Validation *vs, const ModelField *root, Jsonb *value, const Loc *loc, FieldValue *out)
{
	JsonbValue	v;

	memset(out, 0, sizeof(*out));
	vs->query = root->kind == VK_MODEL && root->model->query;
	if (value == NULL)
	{
		if (vs->query)
			value = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
		else
		{
			AddMissing(vs, loc);
			out->fs = FS_BAD;
			return;
		}
	}
	if (JB_ROOT_IS_SCALAR(value))
		JsonbExtractScalar(&value->root, &v);
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	}
	if (root->kind == VK_MODEL)
	{
		out->n = 1;
		out->models = palloc0(sizeof(ModelValue));
		CheckObject(vs, root->model, &v, loc, out->models, true);
		out->fs = out->models->is_object ? FS_OK : FS_BAD;
	}
	else
		CheckField(vs, root, &v, loc, out, NULL);
}

