/*-------------------------------------------------------------------------
 *
 * gateway/docs.c
 *		The interactive API documentation at /api/v1/docs (Swagger UI).
 *
 * The page is Swagger UI (the swagger-ui-dist npm package, installed by
 * scripts/deps.sh into node_modules, not vendored) pointed at the
 * gateway's own /api/v1/openapi.json.  Its index page and initializer are
 * ours (gateway/docs/), built into the binary; Swagger UI's script, style
 * sheet and icons are read once at start from the directory --docs-dir
 * names.  Only the fixed list of files below is served, from memory, so no
 * request path ever reaches the file system.  Every file carries an ETag
 * (and 304 answers If-None-Match), "Cache-Control: no-cache" so that a
 * browser revalidates after an upgrade, and nosniff; the page carries a
 * Content-Security-Policy that allows only its own scripts and requests to
 * this origin.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"

#define DOCS_PREFIX "/api/v1/docs"

/* The index page and its initializer, from gateway/docs at build time. */
__asm__(".section .rodata\n"
		".balign 16\n"
		".globl docs_index_html\n.hidden docs_index_html\n"
		"docs_index_html:\n.incbin \"" DOCS_SRC "/index.html\"\n"
		".globl docs_index_html_end\n.hidden docs_index_html_end\n"
		"docs_index_html_end:\n"
		".balign 16\n"
		".globl docs_docs_js\n.hidden docs_docs_js\n"
		"docs_docs_js:\n.incbin \"" DOCS_SRC "/docs.js\"\n"
		".globl docs_docs_js_end\n.hidden docs_docs_js_end\n"
		"docs_docs_js_end:\n"
		".previous\n");
extern const char docs_index_html[];
extern const char docs_index_html_end[];
extern const char docs_docs_js[];
extern const char docs_docs_js_end[];

/*
 * What the page may do: its own scripts and styles (Swagger UI sets inline
 * styles), images of its own and data: URLs (its icons), requests to this
 * origin only (the document and "Try it out"); no frames, forms or plugins.
 */
#define DOCS_CSP \
	"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

typedef struct DocFile
{
	const char *name;			/* after /api/v1/docs/ */
	const char *file;			/* in --docs-dir, or NULL: built in */
	const char *type;
	const char *data;
	size_t		len;
	char		etag[24];
} DocFile;

static DocFile files[] = {
	{.name = "", .file = NULL, .type = "text/html; charset=utf-8"},
	{.name = "index.html", .file = NULL, .type = "text/html; charset=utf-8"},
	{.name = "docs.js", .file = NULL, .type = "text/javascript; charset=utf-8"},
	{.name = "swagger-ui-bundle.js", .file = "swagger-ui-bundle.js", .type = "text/javascript; charset=utf-8"},
	{.name = "swagger-ui.css", .file = "swagger-ui.css", .type = "text/css; charset=utf-8"},
	{.name = "favicon-32x32.png", .file = "favicon-32x32.png", .type = "image/png"},
	{.name = "favicon-16x16.png", .file = "favicon-16x16.png", .type = "image/png"},
};

#define NFILES (sizeof(files) / sizeof(files[0]))

/*
 * set_etag names a file's content: FNV-1a of its bytes.
 */
static void
set_etag(DocFile *f)
{
	uint64_t	h = 14695981039346656037ULL;

	for (size_t i = 0; i < f->len; i++)
		h = (h ^ (unsigned char) f->data[i]) * 1099511628211ULL;
	snprintf(f->etag, sizeof(f->etag), "\"%016llx\"", (unsigned long long) h);
}

/*
 * read_file reads a whole regular file into memory; NULL when it cannot.
 */
static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	struct stat st;
	char	   *data;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024)
	{
		fclose(f);
		errno = EINVAL;
		return NULL;
	}
	data = malloc((size_t) st.st_size + 1);
	if (data == NULL || fread(data, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
	{
		free(data);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = (size_t) st.st_size;
	return data;
}

/*
 * docs_load reads Swagger UI's files from dir.  Without them the gateway
 * still serves the API; /api/v1/docs then answers 404 and says why.
 * True when every file was read.
 */
bool
docs_load(const char *dir, bool explicit_dir)
{
	bool		ok = true;

	for (size_t i = 0; i < NFILES; i++)
	{
		DocFile    *f = &files[i];

		if (f->file == NULL)
		{
			bool		js = strcmp(f->name, "docs.js") == 0;

			f->data = js ? docs_docs_js : docs_index_html;
			f->len = (size_t) (js ? docs_docs_js_end - docs_docs_js
							   : docs_index_html_end - docs_index_html);
		}
		else
		{
			char		path[4096];

			snprintf(path, sizeof(path), "%s/%s", dir, f->file);
			f->data = read_file(path, &f->len);
			if (f->data == NULL)
			{
				if (ok)
					log_msg("cannot read %s (%s): /api/v1/docs answers 404%s", path, strerror(errno),
							explicit_dir ? "" : "; give Swagger UI's directory with --docs-dir");
				ok = false;
				continue;
			}
		}
		set_etag(f);
	}
	return ok;
}

/*
 * docs_handle answers the requests under /api/v1/docs; false for every
 * other path, which goes to the database.
 */
bool
docs_handle(const Request *req, Response *resp)
{
	const char *rest;
	DocFile    *f = NULL;

	if (strncmp(req->path.data, DOCS_PREFIX, sizeof(DOCS_PREFIX) - 1) != 0)
		return false;
	rest = req->path.data + sizeof(DOCS_PREFIX) - 1;
	if (*rest == '/')
		rest++;
	else if (*rest != '\0')
		return false;
	for (size_t i = 0; i < NFILES; i++)
		if (strcmp(files[i].name, rest) == 0)
			f = &files[i];

	if (f == NULL)
	{
		response_error(resp, 404, "NOT_FOUND", "no such file");
		return true;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
	{
		response_error(resp, 405, "METHOD_NOT_ALLOWED", "method not allowed");
		response_header(resp, "Allow", "GET, HEAD");
		return true;
	}
	if (f->data == NULL)
	{
		response_error(resp, 404, "NOT_FOUND",
					   "the documentation page is not installed (see the gateway's --docs-dir)");
		return true;
	}
	resp->status = 200;
	response_header(resp, "Content-Type", f->type);
	response_header(resp, "Cache-Control", "no-cache");
	response_header(resp, "ETag", f->etag);
	response_header(resp, "X-Content-Type-Options", "nosniff");
	if (f->file == NULL && strcmp(f->name, "docs.js") != 0)
	{
		response_header(resp, "Content-Security-Policy", DOCS_CSP);
		response_header(resp, "Referrer-Policy", "no-referrer");
	}
	if (req->if_none_match.len > 0 && strstr(req->if_none_match.data, f->etag) != NULL)
	{
		resp->status = 304;
		return true;
	}
	resp->body = f->data;
	resp->body_len = f->len;
	return true;
}
