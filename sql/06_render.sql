-- render_template: merge fields {{name}} and {{name|fallback}} filled from a
-- lead object; missing fields reported; syntax errors raise 22023.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;

CREATE FUNCTION t06(tmpl text, lead jsonb DEFAULT '{"first_name": "Ann", "last_name": "Lee", "company": "Acme", "title": "", "email": "ann@acme.test", "linkedin_url": null, "fields": {"industry": "rockets", "size": 40, "public": true, "first_name": "shadowed", "tags": ["a", "b"]}, "address": {"city": "Oslo"}}')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	m text;
	r jsonb;
BEGIN
	r := campaigns.render_template(tmpl, lead);
	RETURN r::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
	RETURN st || ': ' || m;
END
$$;

-- Plain fields, whitespace around names, custom fields, dotted paths.
SELECT t06('Hi {{first_name}} {{ last_name }}, how is {{company}}?');
SELECT t06('{{email}}|{{fields.industry}}|{{industry}}|{{size}}|{{public}}|{{tags}}|{{address.city}}');
-- Top-level fields win over custom fields of the same name.
SELECT t06('{{first_name}}');
-- Fallbacks: used when the field is missing, null or empty; trimmed.
SELECT t06('Hi {{nickname|there}}, {{title | friend }}, {{linkedin_url|no profile}}, {{company|your team}}');
-- No fallback: rendered empty and reported once, in order of appearance.
SELECT t06('{{title}}/{{nickname}}/{{linkedin_url}}/{{nickname}}/{{zip}}');
-- An empty fallback renders nothing and reports nothing.
SELECT t06('[{{nickname|}}]');
-- Literal text: single braces, a lone "}}", unicode, an empty template.
SELECT t06('{ x } }} {first_name} ✓ {{first_name}}}');
SELECT t06('');
SELECT t06('no fields at all');
-- A fallback may contain "|", spaces and punctuation.
SELECT t06('{{nickname|a|b, c!}}');
-- An empty lead: everything missing.
SELECT t06('{{first_name}} {{company|you}}', '{}');
-- Syntax errors.
SELECT t06('Hi {{first_name');
SELECT t06('Hi {{first_name}');
SELECT t06('Hi {{}}');
SELECT t06('Hi {{   }}');
SELECT t06('Hi {{|x}}');
SELECT t06('Hi {{1abc}}');
SELECT t06('Hi {{first-name}}');
SELECT t06('Hi {{first name}}');
SELECT t06('Hi {{a {{b}}}}');
SELECT t06('{{{first_name}}}');
SELECT t06('ünïcödé {{ü}}');
-- The lead must be an object.
SELECT t06('x', '[]');
SELECT t06('x', '"Ann"');
-- STRICT: NULL in, NULL out.
SELECT campaigns.render_template(NULL, '{}') IS NULL AS null_template,
	   campaigns.render_template('x', NULL) IS NULL AS null_lead;
-- The full error report.

SELECT campaigns.render_template('Dear {{ first_name', '{}');

