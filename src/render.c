/*-------------------------------------------------------------------------
 *
 * src/render.c
 *		Merge fields: {{first_name}} and {{company|your team}}.
 *
 * A template is literal text with merge fields between "{{" and "}}".  A
 * field is a name ([A-Za-z_][A-Za-z0-9_.]*, whitespace around it ignored)
 * optionally followed by "|" and a fallback text (also trimmed).  Rendering
 * replaces each field with the lead's value of that name: a top-level key of
 * the lead object (first_name, last_name, company, title, email,
 * linkedin_url...), else a key of its "fields" object, else, for a dotted
 * name, the path through nested objects.  A missing, null or empty value
 * renders the fallback, or nothing when there is none; such names are
 * reported so that the dispatcher can record them in the action.
 *
 * The validator calls MergeParse on message templates, the dispatcher calls
 * MergeRender, and render_template exposes the renderer to SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "render.h"

#include "mb/pg_wchar.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(render_template);

/* CharPosition returns the 1-based character position of byte offset off. */
static int
CharPosition(const char *text, int off)
{
	return pg_mbstrlen_with_len(text, off) + 1;
}

static inline bool
IsTrimSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim moves *start and *end inward past whitespace. */
static void
Trim(const char *text, int *start, int *end)
{
	while (*start < *end && IsTrimSpace(text[*start]))
		(*start)++;
	while (*end > *start && IsTrimSpace(text[*end - 1]))
		(*end)--;
}

/*
 * LeadValue returns the text of a lead field, or NULL when the lead has no
 * such field or its value is null or empty.
 */
static char *
LeadValue(JsonbContainer *lead, const char *name, int namelen)
{
	JsonbValue	vbuf;
	JsonbValue *v;

	if (lead == NULL)
		return NULL;

	v = getKeyJsonValueFromContainer(lead, name, namelen, &vbuf);
	if (v == NULL || v->type == jbvNull)
	{
		JsonbValue	fbuf;
		JsonbValue *f;

		/* Then the lead's custom fields. */
		v = NULL;
		f = getKeyJsonValueFromContainer(lead, "fields", 6, &fbuf);
		if (f != NULL && f->type == jbvBinary &&
			JsonContainerIsObject(f->val.binary.data))
			v = getKeyJsonValueFromContainer(f->val.binary.data, name, namelen, &vbuf);
	}
	if ((v == NULL || v->type == jbvNull) && memchr(name, '.', namelen) != NULL)
	{
		/* A dotted name: a path through nested objects. */
		JsonbContainer *c = lead;
		int			p = 0;

		v = NULL;
		while (p <= namelen)
		{
			const char *dot = memchr(name + p, '.', namelen - p);
			int			seglen = dot ? (int) (dot - (name + p)) : namelen - p;

			if (c == NULL || seglen == 0)
			{
				v = NULL;
				break;
			}
			v = getKeyJsonValueFromContainer(c, name + p, seglen, &vbuf);
			if (v == NULL)
				break;
			p += seglen + 1;
			if (dot == NULL)
				break;
			c = (v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data)) ?
				v->val.binary.data : NULL;
		}
	}

	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			if (v->val.string.len == 0)
				return NULL;
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			return NULL;
	}
}

/*
 * MergeWalk parses text and, when out is not NULL, renders it.  Both
 * MergeParse and MergeRender are this one scanner, so what the validator
 * accepts is exactly what the renderer can render.
 */
static bool
MergeWalk(const char *text, int len, JsonbContainer *lead,
		  StringInfo out, List **missing, char **error)
{
	int			i = 0;
	int			lit = 0;		/* start of the pending literal run */

	while (i < len)
	{
		int			open,
					close,
					bar,
					ns,
					ne;

		if (!(text[i] == '{' && i + 1 < len && text[i + 1] == '{'))
		{
			i++;
			continue;
		}

		/* A merge field opens at i; flush the literal text before it. */
		if (out != NULL && i > lit)
			appendBinaryStringInfo(out, text + lit, i - lit);
		open = i;
		close = -1;
		for (int j = open + 2; j + 1 < len; j++)
		{
			if (text[j] == '}' && text[j + 1] == '}')
			{
				close = j;
				break;
			}
			if (text[j] == '{' && text[j + 1] == '{')
			{
				*error = psprintf("nested \"{{\" at character %d inside the merge field opened at character %d",
								  CharPosition(text, j), CharPosition(text, open));
				return false;
			}
		}
		if (close < 0)
		{
			*error = psprintf("unclosed \"{{\" at character %d",
							  CharPosition(text, open));
			return false;
		}

		bar = -1;
		for (int j = open + 2; j < close; j++)
		{
			if (text[j] == '|')
			{
				bar = j;
				break;
			}
		}
		ns = open + 2;
		ne = (bar >= 0) ? bar : close;
		Trim(text, &ns, &ne);
		if (ns == ne)
		{
			*error = psprintf("empty merge field name at character %d",
							  CharPosition(text, open));
			return false;
		}
		for (int j = ns; j < ne; j++)
		{
			char		c = text[j];
			bool		ok;

			if (j == ns)
				ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
			else
				ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
					(c >= '0' && c <= '9') || c == '_' || c == '.';
			if (!ok)
			{
				*error = psprintf("invalid merge field name \"%s\" at character %d (a name is a letter or underscore followed by letters, digits, underscores or dots)",
								  pnstrdup(text + ns, ne - ns),
								  CharPosition(text, open));
				return false;
			}
		}

		if (out != NULL)
		{
			char	   *value = LeadValue(lead, text + ns, ne - ns);

			if (value != NULL)
				appendStringInfoString(out, value);
			else if (bar >= 0)
			{
				int			fs = bar + 1,
							fe = close;

				Trim(text, &fs, &fe);
				appendBinaryStringInfo(out, text + fs, fe - fs);
			}
			else if (missing != NULL)
			{
				char	   *name = pnstrdup(text + ns, ne - ns);
				ListCell   *lc;
				bool		seen = false;

				foreach(lc, *missing)
				{
					if (strcmp((char *) lfirst(lc), name) == 0)
					{
						seen = true;
						break;
					}
				}
				if (!seen)
					*missing = lappend(*missing, name);
			}
		}
		i = close + 2;
		lit = i;
	}
	if (out != NULL && len > lit)
		appendBinaryStringInfo(out, text + lit, len - lit);
	return true;
}

/* MergeParse: see render.h. */
bool
MergeParse(const char *text, int len, char **error)
{
	return MergeWalk(text, len, NULL, NULL, NULL, error);
}

/* MergeRender: see render.h. */
bool
MergeRender(const char *text, int len, JsonbContainer *lead,
			StringInfo out, List **missing, char **error)
{
	return MergeWalk(text, len, lead, out, missing, error);
}

/*
 * render_template(template text, lead jsonb) returns
 * {"text": rendered, "missing": [names without value or fallback]}.
 */
Datum
render_template(PG_FUNCTION_ARGS)
{
	text	   *tmpl = PG_GETARG_TEXT_PP(0);
	Jsonb	   *lead = PG_GETARG_JSONB_P(1);
	StringInfoData out;
	List	   *missing = NIL;
	char	   *error = NULL;
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;
	ListCell   *lc;

	if (!JB_ROOT_IS_OBJECT(lead))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lead must be a JSON object")));

	initStringInfo(&out);
	if (!MergeRender(VARDATA_ANY(tmpl), VARSIZE_ANY_EXHDR(tmpl), &lead->root,
					 &out, &missing, &error))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid merge field syntax: %s", error),
				 errhint("Merge fields look like {{first_name}} or {{company|your team}}.")));

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = "text";
	v.val.string.len = 4;
	pushJsonbValue(&state, WJB_KEY, &v);
	v.val.string.val = out.data;
	v.val.string.len = out.len;
	pushJsonbValue(&state, WJB_VALUE, &v);
	v.val.string.val = "missing";
	v.val.string.len = 7;
	pushJsonbValue(&state, WJB_KEY, &v);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, missing)
	{
		v.val.string.val = (char *) lfirst(lc);
		v.val.string.len = strlen(v.val.string.val);
		pushJsonbValue(&state, WJB_ELEM, &v);
	}
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
