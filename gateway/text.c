/*-------------------------------------------------------------------------
 *
 * gateway/text.c
 *		Byte strings, UTF-8 and JSON helpers of campaigns-gateway.
 *
 * Everything the gateway passes to PostgreSQL travels as text, which must be
 * valid UTF-8 without NUL; everything it writes of its own is JSON.  These
 * are the few helpers that keep both true.  They are not a JSON parser: the
 * only JSON the gateway reads is the flat object of strings http_handle
 * returns as its headers.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

/*
 * buf_reserve makes room for more bytes and a terminating NUL; the gateway
 * cannot go on without memory, so it aborts when there is none.
 */
void
buf_reserve(Buf *b, size_t more)
{
	if (b->len + more + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;
		char	   *data;

		while (b->len + more + 1 > cap)
			cap *= 2;
		data = realloc(b->data, cap);
		if (data == NULL)
		{
			log_msg("out of memory");
			abort();
		}
		b->data = data;
		b->cap = cap;
	}
}

void
buf_append(Buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(Buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
buf_clear(Buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/*
 * log_msg writes one diagnostic line to stderr, beside the access log.
 */
void
log_msg(const char *fmt,...)
{
	char		line[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "campaigns-gateway: %s\n", line);
}

/*
 * utf8_seq_len returns the length of the valid UTF-8 sequence at s (at most
 * n bytes), or 0 when the bytes there are not UTF-8 (overlong forms and
 * surrogates included).
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t		len;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xE0) == 0xC0)
	{
		len = 2;
		cp = s[0] & 0x1F;
	}
	else if ((s[0] & 0xF0) == 0xE0)
	{
		len = 3;
		cp = s[0] & 0x0F;
	}
	else if ((s[0] & 0xF8) == 0xF0)
	{
		len = 4;
		cp = s[0] & 0x07;
	}
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/*
 * valid_text says whether n bytes are UTF-8 without NUL: what a PostgreSQL
 * text parameter can carry unchanged.  ASCII runs, the usual JSON body, take
 * the short path.
 */
bool
valid_text(const char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c = (unsigned char) s[i];
		size_t		l;

		if (c >= 0x01 && c < 0x80)
		{
			i++;
			continue;
		}
		if (c == 0)
			return false;
		l = utf8_seq_len((const unsigned char *) s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

/*
 * sanitize_text appends s to out as valid UTF-8, each byte that is not UTF-8
 * or is a control character (the parser lets HTAB through in header values)
 * replaced with U+FFFD: for the path, query and header values, which travel
 * as text.
 */
void
sanitize_text(Buf *out, const char *s, size_t n)
{
	buf_reserve(out, n);
	for (size_t i = 0; i < n;)
	{
		unsigned char c = (unsigned char) s[i];
		size_t		l;

		if (c >= 0x20 && c < 0x7F)
		{
			out->data[out->len++] = (char) c;
			i++;
			continue;
		}
		l = utf8_seq_len((const unsigned char *) s + i, n - i);
		if (l == 0 || c < 0x20 || c == 0x7F)
		{
			buf_append(out, "\xEF\xBF\xBD", 3);
			i++;
		}
		else
		{
			buf_append(out, s + i, l);
			i += l;
		}
	}
	out->data[out->len] = '\0';
}

/*
 * json_string appends n bytes of valid UTF-8 to b as a JSON string.
 */
void
json_string(Buf *b, const char *s, size_t n)
{
	buf_reserve(b, n + 2);
	b->data[b->len++] = '"';
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			buf_putc(b, '\\');
			buf_putc(b, (char) c);
		}
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char) c);
	}
	buf_putc(b, '"');
}

/*
 * json_parse_string reads the JSON string at *p (which points at its opening
 * quote) into out, decoding escapes, and advances *p past the closing quote.
 * False when it is not a well-formed string.
 */
bool
json_parse_string(const char **p, Buf *out)
{
	const char *s = *p;

	if (*s != '"')
		return false;
	s++;
	buf_reserve(out, 0);
	out->data[out->len] = '\0';
	while (*s && *s != '"')
	{
		if (*s != '\\')
		{
			buf_putc(out, *s++);
			continue;
		}
		s++;
		switch (*s)
		{
			case '"':
			case '\\':
			case '/':
				buf_putc(out, *s);
				break;
			case 'b':
				buf_putc(out, '\b');
				break;
			case 'f':
				buf_putc(out, '\f');
				break;
			case 'n':
				buf_putc(out, '\n');
				break;
			case 'r':
				buf_putc(out, '\r');
				break;
			case 't':
				buf_putc(out, '\t');
				break;
			case 'u':
				{
					unsigned int cp;
					char		enc[3];
					size_t		n;

					if (sscanf(s + 1, "%4x", &cp) != 1)
						return false;
					s += 4;
					if (cp < 0x80)
					{
						enc[0] = (char) cp;
						n = 1;
					}
					else if (cp < 0x800)
					{
						enc[0] = (char) (0xC0 | (cp >> 6));
						enc[1] = (char) (0x80 | (cp & 0x3F));
						n = 2;
					}
					else
					{
						enc[0] = (char) (0xE0 | (cp >> 12));
						enc[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
						enc[2] = (char) (0x80 | (cp & 0x3F));
						n = 3;
					}
					buf_append(out, enc, n);
					break;
				}
			default:
				return false;
		}
		s++;
	}
	if (*s != '"')
		return false;
	*p = s + 1;
	return true;
}

/*
 * is_token says whether n bytes are an HTTP token (RFC 9110 §5.6.2), what a
 * header name must be.
 */
bool
is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr("!#$%&'*+-.^_`|~", c) != NULL) || c == 0)
			return false;
	}
	return true;
}
