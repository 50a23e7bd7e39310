/*-------------------------------------------------------------------------
 *
 * src/model.h
 *		Descriptors of the API's request and response models, and the one
 *		generic walker that checks any JSON value against them.
 *
 * Every model of the HTTP API (CampaignCreate, CampaignStepConfig, the
 * variant, TemplateCreate, LeadCreate, the query parameters of the lists,
 * CampaignResponse...) is described once, in models.c: its fields in
 * model order, each with its JSON type, bounds (lengths, ranges, item
 * counts), enum values, nullability, default, format, description and
 * nested model.  The same descriptions drive
 *	- validation (validate.c), with Pydantic v2's errors, all at once;
 *	- the normalised value a valid body becomes (defaults filled);
 *	- the order of the fields of HTTP responses (model_json.c);
 *	- the JSON Schemas of the OpenAPI document (openapi.c).
 * Rules that tie fields together, and lookups of referenced objects, are
 * not descriptions: the campaign's are in validate_campaign.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_MODEL_H
#define CAMPAIGNS_MODEL_H

#include "campaigns.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/uuid.h"

/* The JSON type of a field. */
typedef enum ValueKind
{
	VK_STRING,					/* a string (with enum values: one of them) */
	VK_INTEGER,					/* a number without a fractional part */
	VK_BOOLEAN,
	VK_NUMBER,					/* any number (responses only) */
	VK_DICT,					/* any object */
	VK_MODEL,					/* an object described by ->model */
	VK_ARRAY,					/* an array of ->items */
	VK_ANY						/* any value (responses only; see ->schema) */
} ValueKind;

/* What a string holds. */
typedef enum ValueFormat
{
	VF_NONE,
	VF_UUID,					/* any form uuid_in accepts; normalised */
	VF_DATETIME,				/* RFC 3339 with seconds and an offset; to UTC */
	VF_TIME,					/* HH:MM[:SS]; normalised to HH:MM:SS */
	VF_TIME_END,				/* the same, or 24:00[:00] (the end of a day) */
	VF_DATE,					/* YYYY-MM-DD (responses only) */
	VF_EMAIL,					/* local@domain.tld */
	VF_TIMEZONE,				/* a name of pg_timezone_names */
	VF_MERGE					/* text with {{field}} / {{field|fallback}} */
} ValueFormat;

/* Field flags. */
#define FF_REQUIRED		0x01	/* a request must give it */
#define FF_NULLABLE		0x02	/* null is a value */
#define FF_UNIQUE		0x04	/* an array whose items are distinct */
#define FF_ENUM_ORDER	0x08	/* an array of enum values, normalised to enum order */

/* Which of min and max apply: string length, integer range, item count. */
#define FB_MIN			0x01
#define FB_MAX			0x02
#define RANGE(lo, hi)	.bounds = FB_MIN | FB_MAX, .min = (lo), .max = (hi)
#define AT_LEAST(lo)	.bounds = FB_MIN, .min = (lo)
#define AT_MOST(hi)		.bounds = FB_MAX, .max = (hi)
#define ENUM(names)		.enum_values = (names), .nenum = lengthof(names)

/*
 * A loc path is a chain of items from the innermost to the root ("body" or
 * "query"), built on the stack as the walk descends: nothing is copied
 * until an error is reported.
 */
typedef struct Loc
{
	const struct Loc *parent;
	const char *key;			/* NULL for an array index */
	int			keylen;
	int			index;
} Loc;

static inline Loc
LocKeyLen(const Loc *parent, const char *key, int keylen)
{
	Loc			l = {parent, key, keylen, 0};

	return l;
}

static inline Loc
LocKey(const Loc *parent, const char *key)
{
	return LocKeyLen(parent, key, strlen(key));
}

static inline Loc
LocIndex(const Loc *parent, int index)
{
	Loc			l = {parent, NULL, 0, index};

	return l;
}

/* What a field held, once checked. */
typedef enum FieldState
{
	FS_ABSENT,					/* not given, and no default */
	FS_NULL,					/* null, where null is allowed */
	FS_OK,						/* a valid value, or the default */
	FS_BAD						/* invalid; an error was reported */
} FieldState;

typedef struct Validation Validation;
typedef struct FieldValue FieldValue;
typedef struct ModelValue ModelValue;
typedef struct ModelField ModelField;
typedef struct Model Model;

/*
 * FieldCheck is a field's own rule (a Pydantic field validator), run after
 * its type and bounds and before its format; parent holds the fields
 * before it.  Returns false when it reported an error.
 */
typedef bool (*FieldCheck) (Validation *vs, const Loc *loc, FieldValue *fv,
							const ModelValue *parent);

/* RepeatMessage words the error of item index repeating item first. */
typedef char *(*RepeatMessage) (int index, int first, const char *value, int len);

/* ModelRule runs after an object's fields and unknown keys were checked. */
typedef void (*ModelRule) (Validation *vs, const Loc *loc, ModelValue *mv);

struct ModelField
{
	const char *name;
	ValueKind	kind;
	ValueFormat format;
	int			flags;			/* FF_* */
	int			bounds;			/* FB_*: which of min, max apply */
	int64		min;
	int64		max;
	const char *const *enum_values;
	int			nenum;
	const char *default_json;	/* the default, as JSON text */
	const char *description;
	const Model *model;			/* VK_MODEL */
	const ModelField *items;	/* VK_ARRAY */
	const char *schema;			/* JSON Schema text, instead of one derived */
	FieldCheck	check;
	RepeatMessage repeat_message;	/* FF_UNIQUE */
};

/* What an object does with keys it does not describe. */
typedef enum ModelExtra
{
	EXTRA_FORBID,				/* extra_forbidden */
	EXTRA_ALLOW,				/* kept as given */
	EXTRA_IGNORE				/* dropped (query parameters) */
} ModelExtra;

struct Model
{
	const char *name;
	const char *description;
	const ModelField *fields;
	int			nfields;
	ModelExtra	extra;
	bool		partial;		/* PATCH: nothing required, no defaults */
	bool		query;			/* query parameters: loc "query", values parsed from text */
	const char *type_error;		/* error type when not an object (NULL: model_type) */
	const char *type_msg;
	ModelRule	rule;
	struct ModelCache *cache;	/* per backend, made on first use (model.c) */
};

/* A checked field. */
struct FieldValue
{
	FieldState	fs;
	int			len;			/* of s */
	int			n;				/* VK_ARRAY: the items */
	const JsonbValue *v;		/* the value given (or the default's) */
	const char *s;				/* string (not terminated); a datetime in UTC */
	int64		i;				/* integer, boolean, enum index, time of day in
								 * seconds, TimestampTz; for a uuid, 1 when s is
								 * its canonical text */
	pg_uuid_t	uuid;			/* VF_UUID */
	FieldValue *items;			/* VK_ARRAY of scalars */
	ModelValue *models;			/* VK_ARRAY of models; VK_MODEL: one */
};

/* A checked object. */
struct ModelValue
{
	const Model *model;
	bool		is_object;		/* false: it was not (an error was reported) */
	FieldValue *f;				/* one per field, in model order */
};

/* The errors of one validation, as the JSON array of SPEC §4. */
struct Validation
{
	StringInfoData errs;
	int			nerrs;
	bool		query;			/* the root is a Model with query set */
};

/* What a model needs at run time, made once per backend (model.c). */
typedef struct ModelCache
{
	int		   *namelen;		/* strlen of each field's name */
	int		   *order;			/* field indexes in jsonb's key order */
	JsonbValue *keys;			/* each field's name, as a jsonb key */
	char	  **key_json;		/* ... and as JSON text with ": " after it */
	bool	   *has_default;
	FieldValue *defaults;		/* each default, checked (FS_OK) */
} ModelCache;

/* At most this many errors are reported (a body of a million unknown keys). */
#define MAX_ERRORS 1000

/* validate.c: errors */
extern void ValidationInit(Validation *vs);
extern void AddError(Validation *vs, const Loc *loc, const char *type, const char *msg);
extern void AddErrorf(Validation *vs, const Loc *loc, const char *type, const char *fmt,...) pg_attribute_printf(4, 5);
extern void AddMissing(Validation *vs, const Loc *loc);
extern void ValidationRaise(Validation *vs, const char *what);

/* model.c: what a model needs at run time, and the normalised output */
extern ModelCache *ModelCacheMake(const Model *m);
extern void FieldOutput(const ModelField *f, const FieldValue *fv, JsonbValue *out);
extern JsonbValue *ModelOutput(const ModelValue *mv);

static inline ModelCache *
ModelCacheOf(const Model *m)
{
	return likely(m->cache != NULL) ? m->cache : ModelCacheMake(m);
}
extern Jsonb *ModelValidate(const ModelField *root, Jsonb *value);

/* model_json.c: a response body as JSON text, in its model's field order */
extern char *ModelJsonText(const ModelField *root, Jsonb *value);

/* validate.c: the walker */
extern void CheckField(Validation *vs, const ModelField *f, const JsonbValue *v,
					   const Loc *loc, FieldValue *out, const ModelValue *parent);
extern void CheckRoot(Validation *vs, const ModelField *root, Jsonb *value,
					  const Loc *loc, FieldValue *out);
extern const char *RootLocName(const ModelField *root);
extern char *EnumMessage(const char *const *names, int n);

/*
 * models.c, models_response.c: the named schemas, each a model or a list;
 * the components of the OpenAPI document and what _validate and
 * http_route name.
 */
extern const ModelField *const request_schemas[];
extern const int n_request_schemas;
extern const ModelField *const response_schemas[];
extern const int n_response_schemas;
extern const ModelField *ModelFind(const char *name);

#endif							/* CAMPAIGNS_MODEL_H */
