/*-------------------------------------------------------------------------
 *
 * src/model.c
 *		The run-time side of the model descriptions: what each model needs
 *		once per backend, the normalised form of a valid value, and
 *		campaigns._validate.
 *
 * A valid value becomes its normalised form: every field present (a PATCH
 * model's: only those given), defaults filled, enum values, uuids, times
 * and date-times in canonical form.  It is built directly as a JsonbValue
 * tree in jsonb's key order (computed once per model), which
 * JsonbValueToJsonb takes as it is.  The defaults are parsed, and checked
 * against their own fields, once per backend.
 *
 * _validate(model, value) is the SQL entry point: the API's PL/pgSQL
 * functions call it with the name of the model their body or filters are.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"

#include "formats.h"

#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(model_validate);

static MemoryContext model_context = NULL;

/* ------------------------------------------------------------- cache */

/* KeyBefore: jsonb's order of keys, shorter first, then bytewise. */
static bool
KeyBefore(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen;
	return memcmp(a, b, alen) < 0;
}

/*
 * ModelCacheMake makes what m needs at run time, made on first use: field name
 * lengths, the jsonb order of its keys, and its defaults parsed and
 * checked (a default that fails its own field is a bug of models.c).
 */
ModelCache *
ModelCacheMake(const Model *m)
{
	MemoryContext old;
	ModelCache *c;

	if (model_context == NULL)
		model_context = AllocSetContextCreate(TopMemoryContext, "campaigns models",
											  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(model_context);
	c = palloc0(sizeof(ModelCache));
	c->namelen = palloc(sizeof(int) * m->nfields);
	c->order = palloc(sizeof(int) * m->nfields);
	c->keys = palloc(sizeof(JsonbValue) * m->nfields);
	c->key_json = palloc(sizeof(char *) * m->nfields);
	c->has_default = palloc0(sizeof(bool) * m->nfields);
	c->defaults = palloc0(sizeof(FieldValue) * m->nfields);
	for (int i = 0; i < m->nfields; i++)
	{
		int			j = i;

		c->namelen[i] = strlen(m->fields[i].name);
		c->keys[i].type = jbvString;
		c->keys[i].val.string.val = (char *) m->fields[i].name;
		c->keys[i].val.string.len = c->namelen[i];
		{
			StringInfoData k;

			initStringInfo(&k);
			escape_json(&k, m->fields[i].name);
			appendStringInfoString(&k, ": ");
			c->key_json[i] = k.data;
		}
		/* insertion into the order so far */
		while (j > 0 && KeyBefore(m->fields[i].name, c->namelen[i],
								  m->fields[c->order[j - 1]].name, c->namelen[c->order[j - 1]]))
		{
			c->order[j] = c->order[j - 1];
			j--;
		}
		c->order[j] = i;
	}
	for (int i = 0; i < m->nfields; i++)
	{
		const ModelField *f = &m->fields[i];
		Jsonb	   *jb;
		JsonbValue *v;
		Validation	vs;
		Loc			l = {NULL, f->name, c->namelen[i], 0};

		if (f->default_json == NULL)
			continue;
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(f->default_json)));
		v = palloc(sizeof(JsonbValue));
		if (JB_ROOT_IS_SCALAR(jb))
			JsonbExtractScalar(&jb->root, v);
		else
		{
			v->type = jbvBinary;
			v->val.binary.data = &jb->root;
			v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
		}
		ValidationInit(&vs);
		CheckField(&vs, f, v, &l, &c->defaults[i], NULL);
		if (vs.nerrs > 0)
			elog(ERROR, "the default of %s.%s fails its field: %s", m->name, f->name, vs.errs.data);
		/* A null default is what absent means anyway. */
		c->has_default[i] = c->defaults[i].fs == FS_OK;
	}
	MemoryContextSwitchTo(old);
	((Model *) m)->cache = c;	/* the only thing about a model that changes */
	return c;
}

/* ------------------------------------------------------------ output */

/*
 * TreeOf turns a value that may be a jsonb container into a JsonbValue
 * tree, which JsonbValueToJsonb needs for nested values.
 */
static JsonbValue
TreeOf(const JsonbValue *v)
{
	JsonbValue	r;
	JsonbContainer *c;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	x;
	int			n;
	int			k = 0;

	if (v->type != jbvBinary)
		return *v;
	c = v->val.binary.data;
	if (JsonContainerIsScalar(c))
	{
		JsonbExtractScalar(c, &r);
		return r;
	}
	n = JsonContainerSize(c);
	it = JsonbIteratorInit(c);
	if (JsonContainerIsArray(c))
	{
		r.type = jbvArray;
		r.val.array.rawScalar = false;
		r.val.array.elems = palloc(sizeof(JsonbValue) * Max(n, 1));
		while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
				r.val.array.elems[k++] = TreeOf(&x);
		r.val.array.nElems = k;
		return r;
	}
	r.type = jbvObject;
	r.val.object.pairs = palloc(sizeof(JsonbPair) * Max(n, 1));
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			r.val.object.pairs[k].key = x;
			r.val.object.pairs[k].order = k;
		}
		else if (tok == WJB_VALUE)
			r.val.object.pairs[k++].value = TreeOf(&x);
	}
	r.val.object.nPairs = k;
	return r;
}

static void
StrValue(JsonbValue *v, const char *s, int len)
{
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = len;
}

/*
 * FieldOutput writes the normalised form of a valid field into *out; null
 * when it was null or absent without a default.
 */
void
FieldOutput(const ModelField *f, const FieldValue *fv, JsonbValue *out)
{
	if (fv->fs != FS_OK)
	{
		out->type = jbvNull;
		return;
	}
	switch (f->kind)
	{
		case VK_STRING:
			if (f->nenum > 0)
				StrValue(out, f->enum_values[fv->i], strlen(f->enum_values[fv->i]));
			else if (f->format == VF_UUID && !fv->i)
			{
				char	   *buf = palloc(UUID_LEN * 2 + 5);

				UuidText(&fv->uuid, buf);
				StrValue(out, buf, 36);
			}
			else if (f->format == VF_TIME || f->format == VF_TIME_END)
				StrValue(out, psprintf("%02d:%02d:%02d", (int) (fv->i / 3600),
									   (int) ((fv->i / 60) % 60), (int) (fv->i % 60)), 8);
			else
				StrValue(out, fv->s, fv->len);	/* a canonical uuid as given */
			return;
		case VK_INTEGER:
			out->type = jbvNumeric;
			out->val.numeric = int64_to_numeric(fv->i);
			return;
		case VK_BOOLEAN:
			out->type = jbvBool;
			out->val.boolean = fv->i != 0;
			return;
		case VK_MODEL:
			if (f->model->extra == EXTRA_ALLOW)
				*out = TreeOf(fv->v);
			else
				*out = *ModelOutput(fv->models);
			return;
		case VK_ARRAY:
			out->type = jbvArray;
			out->val.array.rawScalar = false;
			out->val.array.nElems = 0;
			out->val.array.elems = palloc(sizeof(JsonbValue) * Max(fv->n, 1));
			if (f->flags & FF_ENUM_ORDER)
			{
				/* each value once (FF_UNIQUE), in the order of the enum */
				for (int e = 0; e < f->items->nenum; e++)
					for (int i = 0; i < fv->n; i++)
						if (fv->items[i].i == e)
						{
							FieldOutput(f->items, &fv->items[i],
										&out->val.array.elems[out->val.array.nElems++]);
							break;
						}
				return;
			}
			for (int i = 0; i < fv->n; i++)
			{
				if (f->items->kind == VK_MODEL)
					out->val.array.elems[i] = *ModelOutput(&fv->models[i]);
				else
					FieldOutput(f->items, &fv->items[i], &out->val.array.elems[i]);
			}
			out->val.array.nElems = fv->n;
			return;
		case VK_DICT:
		case VK_NUMBER:
		case VK_ANY:
			*out = TreeOf(fv->v);
			return;
	}
}

/*
 * ModelOutput builds the normalised object of a valid value, its keys in
 * jsonb's order; a partial model (PATCH) leaves out what was not given.
 */
JsonbValue *
ModelOutput(const ModelValue *mv)
{
	const Model *m = mv->model;
	ModelCache *c = ModelCacheOf(m);
	JsonbValue *o = palloc(sizeof(JsonbValue));
	JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(m->nfields, 1));
	int			np = 0;

	for (int k = 0; k < m->nfields; k++)
	{
		int			i = c->order[k];

		if (m->partial && mv->f[i].fs == FS_ABSENT)
			continue;
		pairs[np].key = c->keys[i];
		FieldOutput(&m->fields[i], &mv->f[i], &pairs[np].value);
		pairs[np].order = np;
		np++;
	}
	o->type = jbvObject;
	o->val.object.nPairs = np;
	o->val.object.pairs = pairs;
	return o;
}

/*
 * ModelValidate checks value against root and returns its normalised form,
 * or raises 22023 with every error; the walk runs in a temporary context.
 */
Jsonb *
ModelValidate(const ModelField *root, Jsonb *value)
{
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "campaigns validation",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);
	const char *rootname = RootLocName(root);
	Loc			loc = {NULL, rootname, strlen(rootname), 0};
	Validation	vs;
	FieldValue	fv;
	JsonbValue	out;
	Jsonb	   *result;

	ValidationInit(&vs);
	CheckRoot(&vs, root, value, &loc, &fv);
	ValidationRaise(&vs, "invalid request");
	FieldOutput(root, &fv, &out);
	MemoryContextSwitchTo(old);
	result = JsonbValueToJsonb(&out);
	MemoryContextDelete(tmp);
	return result;
}

/*
 * model_validate(model text, value jsonb) is campaigns._validate: the
 * normalised value, or 22023 with every error.  Not strict: a NULL body is
 * a missing one, NULL query parameters are none.
 */
Datum
model_validate(PG_FUNCTION_ARGS)
{
	const ModelField *root;
	char	   *name;

	if (PG_ARGISNULL(0))
		elog(ERROR, "campaigns._validate: the model name must not be null");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	root = ModelFind(name);
	if (root == NULL)
		elog(ERROR, "campaigns._validate: no model \"%s\"", name);
	PG_RETURN_JSONB_P(ModelValidate(root, PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1)));
}
