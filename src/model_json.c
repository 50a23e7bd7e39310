/*-------------------------------------------------------------------------
 *
 * src/model_json.c
 *		Response bodies as JSON text in their models' field order.
 *
 * jsonb keeps an object's keys sorted by length, then bytewise, so a
 * response built as jsonb and written by JsonbToCString comes out as
 * {"name": ..., "type": ..., "status": ..., "user_id": ...}.  A FastAPI
 * service writes its fields in model order (campaign_id, user_id,
 * dataset_id, name...), and so does http_handle, through ModelJsonText:
 * each object a model describes gets its fields in model order (nested
 * models and lists of them too), then any key the model does not name,
 * in jsonb's order; everything else is written as JsonbToCString would,
 * with the same spacing.  The SQL API keeps returning jsonb.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"

#include "lib/stringinfo.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

static void WriteValue(StringInfo out, const ModelField *f, const JsonbValue *v);

static void
WriteString(StringInfo out, const char *s, int len)
{
	escape_json(out, pnstrdup(s, len));
}

/*
 * WriteObject writes an object m describes: its fields in model order, then
 * the keys m does not name.  One pass over the object's keys, matched
 * against m's fields in jsonb's key order (both are sorted so), collects
 * the values; the field names are written as prepared once per model.
 */
static void
WriteObject(StringInfo out, const Model *m, JsonbContainer *obj)
{
	ModelCache *c = ModelCacheOf(m);
	JsonbValue	local[32];
	bool		localhave[32];
	JsonbValue *vals = m->nfields <= 32 ? local : palloc(sizeof(JsonbValue) * m->nfields);
	bool	   *have = m->nfields <= 32 ? localhave : palloc(sizeof(bool) * m->nfields);
	JsonbValue *extra = NULL;	/* keys and values m does not name, in pairs */
	int			nextra = 0;
	int			p = 0;
	bool		first = true;
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbIteratorToken tok;
	JsonbValue	k;

	memset(have, 0, sizeof(bool) * m->nfields);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		JsonbValue	v;
		int			f = -1;

		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		/* m's fields that sort before this key are not in the object */
		while (p < m->nfields)
		{
			int			i = c->order[p];
			int			len = c->namelen[i];
			int			cmp = len != k.val.string.len ? len - k.val.string.len :
				memcmp(m->fields[i].name, k.val.string.val, len);

			if (cmp > 0)
				break;
			p++;
			if (cmp == 0)
			{
				f = i;
				break;
			}
		}
		if (f >= 0)
		{
			vals[f] = v;
			have[f] = true;
		}
		else
		{
			if (extra == NULL)
				extra = palloc(sizeof(JsonbValue) * 2 * JsonContainerSize(obj));
			extra[nextra++] = k;
			extra[nextra++] = v;
		}
	}
	appendStringInfoChar(out, '{');
	for (int i = 0; i < m->nfields; i++)
	{
		if (!have[i])
			continue;
		if (!first)
			appendBinaryStringInfo(out, ", ", 2);
		first = false;
		appendStringInfoString(out, c->key_json[i]);
		WriteValue(out, &m->fields[i], &vals[i]);
	}
	for (int i = 0; i < nextra; i += 2)
	{
		if (!first)
			appendBinaryStringInfo(out, ", ", 2);
		first = false;
		WriteString(out, extra[i].val.string.val, extra[i].val.string.len);
		appendBinaryStringInfo(out, ": ", 2);
		WriteValue(out, NULL, &extra[i + 1]);
	}
	appendStringInfoChar(out, '}');
}

/* WriteArray writes a list whose items f->items describes. */
static void
WriteArray(StringInfo out, const ModelField *items, JsonbContainer *arr)
{
	int			n = JsonContainerSize(arr);

	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(arr, i);

		if (i > 0)
			appendBinaryStringInfo(out, ", ", 2);
		WriteValue(out, items, v);
	}
	appendStringInfoChar(out, ']');
}

/*
 * WriteValue writes one value; f (NULL: none) describes it.  Only objects
 * of models and lists of them need more than JsonbToCString.
 */
static void
WriteValue(StringInfo out, const ModelField *f, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			appendStringInfoString(out, "null");
			return;
		case jbvBool:
			appendStringInfoString(out, v->val.boolean ? "true" : "false");
			return;
		case jbvNumeric:
			appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																			NumericGetDatum(v->val.numeric))));
			return;
		case jbvString:
			WriteString(out, v->val.string.val, v->val.string.len);
			return;
		case jbvBinary:
			{
				JsonbContainer *c = v->val.binary.data;

				if (JsonContainerIsScalar(c))
				{
					JsonbValue	s;

					JsonbExtractScalar(c, &s);
					WriteValue(out, f, &s);
				}
				else if (f != NULL && f->kind == VK_MODEL && JsonContainerIsObject(c))
					WriteObject(out, f->model, c);
				else if (f != NULL && f->kind == VK_ARRAY && f->items != NULL &&
						 (f->items->kind == VK_MODEL || f->items->kind == VK_ARRAY) &&
						 JsonContainerIsArray(c))
					WriteArray(out, f->items, c);
				else
					(void) JsonbToCString(out, c, v->val.binary.len);
				return;
			}
		default:
			elog(ERROR, "campaigns: unexpected jsonb value type %d in a response", (int) v->type);
	}
}

/*
 * ModelJsonText returns value (a whole response body) as JSON text, each
 * object root describes (or its items, for a list) in model order.
 */
char *
ModelJsonText(const ModelField *root, Jsonb *value)
{
	StringInfoData out;
	JsonbValue	v;

	initStringInfo(&out);
	v.type = jbvBinary;
	v.val.binary.data = &value->root;
	v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	WriteValue(&out, root, &v);
	return out.data;
}
