/*-------------------------------------------------------------------------
 *
 * src/render.h
 *		Merge fields of templates: syntax check and rendering.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_RENDER_H
#define CAMPAIGNS_RENDER_H

#include "campaigns.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

/*
 * MergeParse checks the merge-field syntax of text[0..len).  Returns true
 * when it parses; otherwise false with *error set to a palloc'd reason in
 * lower case ("unclosed \"{{\" at character 5").
 */
extern bool MergeParse(const char *text, int len, char **error);

/*
 * MergeRender fills the merge fields of text[0..len) from lead (a JSONB
 * object of lead fields, optionally with a nested "fields" object) and
 * appends the result to out.  Names of fields that were missing or empty
 * and had no fallback are appended (palloc'd C strings, each once) to
 * *missing.  Returns false with *error set when the text does not parse;
 * out then holds a partial rendering the caller should discard.
 */
extern bool MergeRender(const char *text, int len, JsonbContainer *lead,
						StringInfo out, List **missing, char **error);

#endif							/* CAMPAIGNS_RENDER_H */
