/*-------------------------------------------------------------------------
 *
 * src/openapi.c
 *		The JSON Schemas of the API's models, for its OpenAPI 3.1 document.
 *
 * _model_schemas() gives components.schemas: one JSON Schema (2020-12, as
 * OpenAPI 3.1 has it) per named schema of models.c and models_response.c,
 * derived from the same descriptions the validator walks, so the document
 * says exactly what is checked: types, lengths, ranges, item counts,
 * enums, formats, defaults, null as a type, required fields, unknown keys
 * refused.  A PATCH model has no required fields and no defaults.
 * _model_parameters(model) gives the query parameters of a query model as
 * OpenAPI parameter objects (http_route.query_params is made of them).
 * _http_openapi (70_http.sql) puts the paths of http_route around them.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"

#include "lib/stringinfo.h"
#include "utils/json.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(model_schemas);
PG_FUNCTION_INFO_V1(model_parameters);

static void FieldSchema(StringInfo buf, const ModelField *f, bool partial, bool with_description);

static void
Key(StringInfo buf, bool *first, const char *key)
{
	if (!*first)
		appendStringInfoString(buf, ", ");
	*first = false;
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

/* TypeOf writes "type": the JSON type, or [it, "null"] when nullable. */
static void
TypeOf(StringInfo buf, bool *first, const char *type, bool nullable)
{
	Key(buf, first, "type");
	if (nullable)
		appendStringInfo(buf, "[\"%s\", \"null\"]", type);
	else
		appendStringInfo(buf, "\"%s\"", type);
}

static const char *
FormatName(ValueFormat format)
{
	switch (format)
	{
		case VF_UUID:
			return "uuid";
		case VF_DATETIME:
			return "date-time";
		case VF_TIME:
		case VF_TIME_END:
			return "time";
		case VF_DATE:
			return "date";
		case VF_EMAIL:
			return "email";
		default:
			return NULL;
	}
}

/* Bounds writes the min and max of f under the names its JSON type uses. */
static void
Bounds(StringInfo buf, bool *first, const ModelField *f, const char *min, const char *max)
{
	if (f->bounds & FB_MIN)
	{
		Key(buf, first, min);
		appendStringInfo(buf, INT64_FORMAT, f->min);
	}
	if (f->bounds & FB_MAX)
	{
		Key(buf, first, max);
		appendStringInfo(buf, INT64_FORMAT, f->max);
	}
}

/* What a format adds to the description (beyond "format"). */
static const char *
FormatNote(ValueFormat format)
{
	switch (format)
	{
		case VF_TIME:
			return "HH:MM or HH:MM:SS.";
		case VF_TIME_END:
			return "HH:MM or HH:MM:SS; 24:00:00 is the end of the day.";
		case VF_DATETIME:
			return "RFC 3339 with seconds and an offset; returned in UTC, ending in Z.";
		case VF_TIMEZONE:
			return "An IANA time zone name PostgreSQL knows (pg_timezone_names), such as Europe/Paris.";
		case VF_MERGE:
			return "Merge fields: {{field}}, {{field|fallback}}.";
		default:
			return NULL;
	}
}

/* Description writes f's description, with what its format adds. */
static void
Description(StringInfo buf, bool *first, const ModelField *f)
{
	const char *note = FormatNote(f->format);
	StringInfoData d;

	if (f->description == NULL && note == NULL)
		return;
	initStringInfo(&d);
	if (f->description != NULL)
		appendStringInfoString(&d, f->description);
	if (note != NULL)
		appendStringInfo(&d, "%s%s", d.len > 0 ? (d.data[d.len - 1] == '.' ? " " : ". ") : "", note);
	Key(buf, first, "description");
	escape_json(buf, d.data);
}

/*
 * FieldSchema writes the JSON Schema of a value f describes (partial: in a
 * PATCH model, without its default).
 */
static void
FieldSchema(StringInfo buf, const ModelField *f, bool partial, bool with_description)
{
	bool		first = true;
	bool		nullable = (f->flags & FF_NULLABLE) != 0;
	const char *format = FormatName(f->format);

	if (f->schema != NULL)
	{
		/* a schema given as text, its description put first */
		appendStringInfoChar(buf, '{');
		if (with_description)
			Description(buf, &first, f);
		if (strcmp(f->schema, "{}") != 0)
		{
			if (!first)
				appendStringInfoString(buf, ", ");
			appendStringInfoString(buf, f->schema + 1);
		}
		else
			appendStringInfoChar(buf, '}');
		return;
	}
	appendStringInfoChar(buf, '{');
	if (with_description)
		Description(buf, &first, f);
	switch (f->kind)
	{
		case VK_STRING:
			TypeOf(buf, &first, "string", nullable);
			if (f->nenum > 0)
			{
				Key(buf, &first, "enum");
				appendStringInfoChar(buf, '[');
				for (int i = 0; i < f->nenum; i++)
				{
					if (i > 0)
						appendStringInfoString(buf, ", ");
					escape_json(buf, f->enum_values[i]);
				}
				appendStringInfoString(buf, nullable ? ", null]" : "]");
			}
			if (format != NULL)
			{
				Key(buf, &first, "format");
				escape_json(buf, format);
			}
			Bounds(buf, &first, f, "minLength", "maxLength");
			break;
		case VK_INTEGER:
			TypeOf(buf, &first, "integer", nullable);
			Bounds(buf, &first, f, "minimum", "maximum");
			break;
		case VK_NUMBER:
			TypeOf(buf, &first, "number", nullable);
			break;
		case VK_BOOLEAN:
			TypeOf(buf, &first, "boolean", nullable);
			break;
		case VK_DICT:
			TypeOf(buf, &first, "object", nullable);
			break;
		case VK_MODEL:
			Key(buf, &first, nullable ? "anyOf" : "$ref");
			appendStringInfo(buf, nullable ? "[{\"$ref\": \"#/components/schemas/%s\"}, {\"type\": \"null\"}]" :
							 "\"#/components/schemas/%s\"", f->model->name);
			break;
		case VK_ARRAY:
			TypeOf(buf, &first, "array", nullable);
			Key(buf, &first, "items");
			FieldSchema(buf, f->items, partial, false);
			Bounds(buf, &first, f, "minItems", "maxItems");
			if (f->flags & FF_UNIQUE)
			{
				Key(buf, &first, "uniqueItems");
				appendStringInfoString(buf, "true");
			}
			break;
		case VK_ANY:
			break;
	}
	if (f->default_json != NULL && !partial)
	{
		Key(buf, &first, "default");
		appendStringInfoString(buf, f->default_json);
	}
	appendStringInfoChar(buf, '}');
}

/* ModelSchema writes the JSON Schema of an object m describes. */
static void
ModelSchema(StringInfo buf, const Model *m)
{
	bool		first = true;
	bool		any_required = false;

	appendStringInfoChar(buf, '{');
	TypeOf(buf, &first, "object", false);
	Key(buf, &first, "title");
	escape_json(buf, m->name);
	if (m->description != NULL)
	{
		Key(buf, &first, "description");
		escape_json(buf, m->description);
	}
	Key(buf, &first, "properties");
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < m->nfields; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, m->fields[i].name);
		appendStringInfoString(buf, ": ");
		FieldSchema(buf, &m->fields[i], m->partial, true);
	}
	appendStringInfoChar(buf, '}');
	for (int i = 0; i < m->nfields && !m->partial; i++)
	{
		if (!(m->fields[i].flags & FF_REQUIRED))
			continue;
		if (!any_required)
		{
			Key(buf, &first, "required");
			appendStringInfoChar(buf, '[');
		}
		else
			appendStringInfoString(buf, ", ");
		escape_json(buf, m->fields[i].name);
		any_required = true;
	}
	if (any_required)
		appendStringInfoChar(buf, ']');
	if (m->extra == EXTRA_FORBID)
	{
		Key(buf, &first, "additionalProperties");
		appendStringInfoString(buf, "false");
	}
	appendStringInfoChar(buf, '}');
}

static Jsonb *
TextToJsonb(StringInfo buf)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data)));
}

/*
 * model_schemas() is campaigns._model_schemas: components.schemas of the
 * OpenAPI document as json (its properties in model order), every named
 * schema but the query models (which are parameters, not bodies).
 */
Datum
model_schemas(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int pass = 0; pass < 2; pass++)
	{
		const ModelField *const *schemas = pass == 0 ? request_schemas : response_schemas;
		int			n = pass == 0 ? n_request_schemas : n_response_schemas;

		for (int i = 0; i < n; i++)
		{
			const ModelField *s = schemas[i];

			if (s->kind == VK_MODEL && s->model->query)
				continue;
			Key(&buf, &first, s->name);
			if (s->kind == VK_MODEL)
				ModelSchema(&buf, s->model);
			else
				FieldSchema(&buf, s, false, true);
		}
	}
	appendStringInfoChar(&buf, '}');
	/* json, not jsonb: the properties stay in model order */
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/*
 * model_parameters(model text) is campaigns._model_parameters: the query
 * parameters of a query model, as OpenAPI parameter objects without "in"
 * (_http_openapi adds it).
 */
Datum
model_parameters(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const ModelField *root = ModelFind(name);
	const Model *m;
	StringInfoData buf;

	if (root == NULL || root->kind != VK_MODEL || !root->model->query)
		elog(ERROR, "campaigns._model_parameters: no query model \"%s\"", name);
	m = root->model;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < m->nfields; i++)
	{
		const ModelField *f = &m->fields[i];
		bool		first = true;

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoChar(&buf, '{');
		Key(&buf, &first, "name");
		escape_json(&buf, f->name);
		Key(&buf, &first, "schema");
		FieldSchema(&buf, f, false, false);
		Description(&buf, &first, f);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	PG_RETURN_JSONB_P(TextToJsonb(&buf));
}
