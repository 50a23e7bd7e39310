/*-------------------------------------------------------------------------
 *
 * src/csv.c
 *		CSV lead upload: parses RFC 4180 text into lead objects.
 *
 * POST /datasets/{id}/leads accepts text/csv.  The first row names the
 * columns; email, linkedin_url, first_name, last_name, company, title and
 * timezone become lead fields, every other column goes into the lead's
 * "fields" object, and empty cells are left out.  The objects are then
 * validated and merged exactly as a JSON upload is.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

static const char *const lead_columns[] = {
	"email", "linkedin_url", "first_name", "last_name", "company", "title", "timezone", NULL
};

typedef struct CsvReader
{
	const char *p;
	const char *end;
} CsvReader;

/*
 * CsvNextField reads one field into buf and reports whether it ended its
 * row (or the input).  Quoted fields may hold commas, newlines and ""
 * for a quote; an unterminated quote is an error.
 */
static bool
CsvNextField(CsvReader *r, StringInfo buf, int row)
{
	resetStringInfo(buf);
	if (r->p < r->end && *r->p == '"')
	{
		r->p++;
		for (;;)
		{
			if (r->p >= r->end)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unterminated quoted field in CSV row %d", row)));
			if (*r->p == '"')
			{
				if (r->p + 1 < r->end && r->p[1] == '"')
				{
					appendStringInfoChar(buf, '"');
					r->p += 2;
					continue;
				}
				r->p++;
				break;
			}
			appendStringInfoChar(buf, *r->p++);
		}
		if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unexpected character after a quoted field in CSV row %d", row)));
	}
	else
	{
		while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
			appendStringInfoChar(buf, *r->p++);
	}
	if (r->p < r->end && *r->p == ',')
	{
		r->p++;
		return false;
	}
	if (r->p < r->end && *r->p == '\r')
		r->p++;
	if (r->p < r->end && *r->p == '\n')
		r->p++;
	return true;
}

static void
PushString(JsonbParseState **state, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	pushJsonbValue(state, tok, &v);
}

static bool
IsLeadColumn(const char *name)
{
	for (const char *const *c = lead_columns; *c; c++)
		if (strcmp(*c, name) == 0)
			return true;
	return false;
}

/*
 * CsvToObjects returns the JSON array of the objects of a CSV upload, one
 * per row, keyed by the header's names; with leads, the columns that are
 * not lead fields go into a nested "fields" object.  Blank lines are
 * skipped; a row with more cells than the header is an error (22023).
 */
static Jsonb *
CsvToObjects(text *csv, bool leads)
{
	CsvReader	r;
	StringInfoData cell;
	char	  **header = NULL;
	int			ncols = 0;
	int			cap = 16;
	int			row = 1;
	JsonbParseState *state = NULL;
	JsonbValue *res;

	r.p = VARDATA_ANY(csv);
	r.end = r.p + VARSIZE_ANY_EXHDR(csv);
	initStringInfo(&cell);

	/* Skip a UTF-8 byte order mark. */
	if (r.end - r.p >= 3 && memcmp(r.p, "\xEF\xBB\xBF", 3) == 0)
		r.p += 3;

	header = palloc(sizeof(char *) * cap);
	for (;;)
	{
		bool		eol;

		if (r.p >= r.end)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the CSV upload has no header row")));
		eol = CsvNextField(&r, &cell, row);
		if (ncols == cap)
		{
			cap *= 2;
			header = repalloc(header, sizeof(char *) * cap);
		}
		header[ncols++] = pstrdup(cell.data);
		if (eol)
			break;
	}
	for (int i = 0; i < ncols; i++)
	{
		if (header[i][0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column %d of the CSV header has no name", i + 1)));
		for (int j = 0; j < i; j++)
			if (strcmp(header[i], header[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the CSV header names column \"%s\" twice", header[i])));
	}

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	while (r.p < r.end)
	{
		char	  **cells;
		int			n = 0;
		bool		eol = false;
		bool		any_extra = false;

		row++;
		if (*r.p == '\n' || *r.p == '\r')
		{
			/* A blank line. */
			if (*r.p == '\r')
				r.p++;
			if (r.p < r.end && *r.p == '\n')
				r.p++;
			continue;
		}
		cells = palloc0(sizeof(char *) * ncols);
		while (!eol)
		{
			eol = CsvNextField(&r, &cell, row);
			if (n >= ncols)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("CSV row %d has more cells than the header", row)));
			cells[n++] = pstrdup(cell.data);
		}

		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < n; i++)
		{
			if (cells[i][0] == '\0')
				continue;
			if (!leads || IsLeadColumn(header[i]))
			{
				PushString(&state, WJB_KEY, header[i], strlen(header[i]));
				PushString(&state, WJB_VALUE, cells[i], strlen(cells[i]));
			}
			else
				any_extra = true;
		}
		if (any_extra)
		{
			PushString(&state, WJB_KEY, "fields", 6);
			pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
			for (int i = 0; i < n; i++)
			{
				if (cells[i][0] == '\0' || IsLeadColumn(header[i]))
					continue;
				PushString(&state, WJB_KEY, header[i], strlen(header[i]));
				PushString(&state, WJB_VALUE, cells[i], strlen(cells[i]));
			}
			pushJsonbValue(&state, WJB_END_OBJECT, NULL);
		}
		/* The pushed values point into cells: they live until the end. */
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
}

PG_FUNCTION_INFO_V1(csv_to_leads);

/* csv_to_leads(text) returns the lead objects of a CSV lead upload. */
Datum
csv_to_leads(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(CsvToObjects(PG_GETARG_TEXT_PP(0), true));
}

PG_FUNCTION_INFO_V1(csv_to_objects);

/*
 * csv_to_objects(text) returns one object per row of a CSV upload, each
 * column a key (empty cells left out).
 */
Datum
csv_to_objects(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(CsvToObjects(PG_GETARG_TEXT_PP(0), false));
}
