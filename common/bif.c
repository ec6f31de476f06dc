/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * BIF 0.3 XML reader on expat.  The document is read in one pass into
 * variables and raw definitions; names are resolved only at the end, so
 * a definition may name a variable declared after it.  Tables are then
 * checked against the parents' cardinalities and the graph for cycles.
 * Every error carries the file name and the line of the element at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "bif.h"

/* Far above any learned model; keeps a hostile file from exhausting RAM. */
#define BIF_MAX_TEXT (64u << 20)
#define BIF_MAX_CELLS (1u << 26)
#define BIF_STACK 8

enum bif_elem {
	EL_OTHER,
	EL_BIF,
	EL_NETWORK,
	EL_NETNAME,
	EL_VARIABLE,
	EL_VARNAME,
	EL_OUTCOME,
	EL_DEFINITION,
	EL_FOR,
	EL_GIVEN,
	EL_TABLE,
};

struct bif_def {
	char *forname;
	char **given;
	unsigned long *given_line;
	uint32_t ngiven;
	char *table;
	unsigned long line;
	unsigned long table_line;
};

struct bif_ctx {
	XML_Parser xp;
	struct bif_net *net;
	struct diag *d;
	const char *fname;
	int err;
	int depth;
	enum bif_elem stack[BIF_STACK];
	int nnetworks;
	char *text;
	size_t tlen;
	size_t tcap;
	bool in_var;
	struct bif_def *defs;
	uint32_t ndefs;
	struct bif_def cur;      /* definition being read */
	unsigned long elem_line;
};

static int
bif_fail(struct bif_ctx *c, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
bif_fail(struct bif_ctx *c, unsigned long line, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	if (c->err != 0)
		return c->err;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_set(c->d, "%s:%lu: %s", c->fname, line, buf);
	c->err = -EINVAL;
	if (c->xp != NULL)
		XML_StopParser(c->xp, XML_FALSE);
	return c->err;
}

static int
bif_nomem(struct bif_ctx *c)
{
	if (c->err == 0) {
		diag_set(c->d, "%s: out of memory", c->fname);
		c->err = -ENOMEM;
	}
	if (c->xp != NULL)
		XML_StopParser(c->xp, XML_FALSE);
	return c->err;
}

/* Grows *arr to hold n + 1 elements of size sz; false on overflow/ENOMEM. */
static bool
bif_grow(void *arr, uint32_t n, size_t sz)
{
	void **p = arr, *q;

	if (n >= UINT32_MAX / 2)
		return false;
	if ((n & (n - 1)) != 0 && n != 0)
		return true;
	q = realloc(*p, (size_t)(n == 0 ? 1 : 2 * n) * sz);
	if (q == NULL)
		return false;
	*p = q;
	return true;
}

/* Returns a trimmed copy of the collected text. */
static char *
bif_take_text(struct bif_ctx *c)
{
	size_t b = 0, e = c->tlen;
	char *s;

	while (b < e && isspace((unsigned char)c->text[b]))
		b++;
	while (e > b && isspace((unsigned char)c->text[e - 1]))
		e--;
	s = malloc(e - b + 1);
	if (s == NULL)
		return NULL;
	if (e > b)
		memcpy(s, c->text + b, e - b);
	s[e - b] = '\0';
	return s;
}

static enum bif_elem
bif_classify(enum bif_elem parent, int depth, const char *name)
{
	if (depth == 0)
		return strcmp(name, "BIF") == 0 ? EL_BIF : EL_OTHER;
	switch (parent) {
	case EL_BIF:
		return strcmp(name, "NETWORK") == 0 ? EL_NETWORK : EL_OTHER;
	case EL_NETWORK:
		if (strcmp(name, "NAME") == 0)
			return EL_NETNAME;
		if (strcmp(name, "VARIABLE") == 0)
			return EL_VARIABLE;
		if (strcmp(name, "DEFINITION") == 0)
			return EL_DEFINITION;
		return EL_OTHER;
	case EL_VARIABLE:
		if (strcmp(name, "NAME") == 0)
			return EL_VARNAME;
		if (strcmp(name, "OUTCOME") == 0)
			return EL_OUTCOME;
		return EL_OTHER;
	case EL_DEFINITION:
		if (strcmp(name, "FOR") == 0)
			return EL_FOR;
		if (strcmp(name, "GIVEN") == 0)
			return EL_GIVEN;
		if (strcmp(name, "TABLE") == 0)
			return EL_TABLE;
		return EL_OTHER;
	default:
		return EL_OTHER;
	}
}

static void
bif_def_clear(struct bif_def *df)
{
	free(df->forname);
	for (uint32_t i = 0; i < df->ngiven; i++)
		free(df->given[i]);
	free(df->given);
	free(df->given_line);
	free(df->table);
	memset(df, 0, sizeof(*df));
}

static void
bif_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct bif_ctx *c = ud;
	enum bif_elem parent, e;
	unsigned long line = XML_GetCurrentLineNumber(c->xp);

	parent = c->depth > 0 && c->depth <= BIF_STACK ?
	    c->stack[c->depth - 1] : EL_OTHER;
	e = bif_classify(parent, c->depth, name);
	if (c->depth == 0 && e != EL_BIF) {
		bif_fail(c, line, "root element is <%s>, expected <BIF>", name);
		return;
	}
	if (c->depth < BIF_STACK)
		c->stack[c->depth] = e;
	c->depth++;
	c->tlen = 0;
	c->elem_line = line;

	switch (e) {
	case EL_NETWORK:
		if (++c->nnetworks > 1)
			bif_fail(c, line, "more than one <NETWORK>");
		break;
	case EL_VARIABLE:
		if (!bif_grow(&c->net->vars, c->net->nvars,
		    sizeof(*c->net->vars))) {
			bif_nomem(c);
			return;
		}
		memset(&c->net->vars[c->net->nvars], 0,
		    sizeof(*c->net->vars));
		c->net->vars[c->net->nvars].line = line;
		c->in_var = true;
		break;
	case EL_DEFINITION:
		bif_def_clear(&c->cur);
		c->cur.line = line;
		break;
	default:
		break;
	}
}

static void
bif_text(void *ud, const XML_Char *s, int len)
{
	struct bif_ctx *c = ud;
	enum bif_elem top;

	if (c->depth == 0 || c->depth > BIF_STACK)
		return;
	top = c->stack[c->depth - 1];
	if (top != EL_NETNAME && top != EL_VARNAME && top != EL_OUTCOME &&
	    top != EL_FOR && top != EL_GIVEN && top != EL_TABLE)
		return;
	if (c->tlen + (size_t)len + 1 > BIF_MAX_TEXT) {
		bif_fail(c, XML_GetCurrentLineNumber(c->xp),
		    "element text too long");
		return;
	}
	if (c->tlen + (size_t)len + 1 > c->tcap) {
		size_t ncap = c->tcap ? c->tcap : 256;
		char *p;

		while (ncap < c->tlen + (size_t)len + 1)
			ncap *= 2;
		if ((p = realloc(c->text, ncap)) == NULL) {
			bif_nomem(c);
			return;
		}
		c->text = p;
		c->tcap = ncap;
	}
	memcpy(c->text + c->tlen, s, (size_t)len);
	c->tlen += (size_t)len;
}

static void
bif_end_var(struct bif_ctx *c)
{
	struct bif_var *v = &c->net->vars[c->net->nvars];

	c->net->nvars++;
	c->in_var = false;
	if (v->name == NULL || v->name[0] == '\0') {
		bif_fail(c, v->line, "<VARIABLE> without a <NAME>");
		return;
	}
	if (v->noutcomes == 0) {
		bif_fail(c, v->line, "variable '%s' has no <OUTCOME>",
		    v->name);
		return;
	}
	for (uint32_t i = 0; i + 1 < c->net->nvars; i++)
		if (strcmp(c->net->vars[i].name, v->name) == 0) {
			bif_fail(c, v->line, "variable '%s' declared twice "
			    "(first at line %lu)", v->name,
			    c->net->vars[i].line);
			return;
		}
	for (uint32_t i = 0; i < v->noutcomes; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(v->outcomes[i], v->outcomes[j]) == 0) {
				bif_fail(c, v->line, "variable '%s' has the "
				    "outcome '%s' twice", v->name,
				    v->outcomes[i]);
				return;
			}
}

static void
bif_end_varfield(struct bif_ctx *c, enum bif_elem e, char *s,
    unsigned long line)
{
	struct bif_var *v = &c->net->vars[c->net->nvars];

	if (e == EL_VARNAME) {
		if (v->name != NULL) {
			free(s);
			bif_fail(c, line, "<VARIABLE> with two <NAME>s");
			return;
		}
		v->name = s;
		return;
	}
	if (!bif_grow(&v->outcomes, v->noutcomes, sizeof(char *))) {
		free(s);
		bif_nomem(c);
		return;
	}
	v->outcomes[v->noutcomes++] = s;
}

static void
bif_end_deffield(struct bif_ctx *c, enum bif_elem e, char *s,
    unsigned long line)
{
	struct bif_def *df = &c->cur;

	if (e == EL_FOR) {
		if (df->forname != NULL) {
			free(s);
			bif_fail(c, line, "<DEFINITION> with two <FOR>s");
			return;
		}
		df->forname = s;
	} else if (e == EL_TABLE) {
		if (df->table != NULL) {
			free(s);
			bif_fail(c, line, "<DEFINITION> with two <TABLE>s");
			return;
		}
		df->table = s;
		df->table_line = line;
	} else {
		if (!bif_grow(&df->given, df->ngiven, sizeof(char *)) ||
		    !bif_grow(&df->given_line, df->ngiven,
		    sizeof(unsigned long))) {
			free(s);
			bif_nomem(c);
			return;
		}
		df->given_line[df->ngiven] = line;
		df->given[df->ngiven++] = s;
	}
}

static void
bif_end_def(struct bif_ctx *c)
{
	if (c->cur.forname == NULL || c->cur.forname[0] == '\0') {
		bif_fail(c, c->cur.line, "<DEFINITION> without a <FOR>");
		return;
	}
	if (c->cur.table == NULL) {
		bif_fail(c, c->cur.line, "definition of '%s' has no <TABLE>",
		    c->cur.forname);
		return;
	}
	if (!bif_grow(&c->defs, c->ndefs, sizeof(*c->defs))) {
		bif_nomem(c);
		return;
	}
	c->defs[c->ndefs++] = c->cur;
	memset(&c->cur, 0, sizeof(c->cur));
}

static void
bif_end(void *ud, const XML_Char *name)
{
	struct bif_ctx *c = ud;
	enum bif_elem e;
	char *s = NULL;

	if (c->err != 0 || c->depth == 0)
		return;
	c->depth--;
	if (c->depth >= BIF_STACK)
		return;
	e = c->stack[c->depth];
	if (e == EL_NETNAME || e == EL_VARNAME || e == EL_OUTCOME ||
	    e == EL_FOR || e == EL_GIVEN || e == EL_TABLE) {
		if ((s = bif_take_text(c)) == NULL) {
			bif_nomem(c);
			return;
		}
	}
	switch (e) {
	case EL_NETNAME:
		free(c->net->name);
		c->net->name = s;
		break;
	case EL_VARNAME:
	case EL_OUTCOME:
		bif_end_varfield(c, e, s, c->elem_line);
		break;
	case EL_FOR:
	case EL_GIVEN:
	case EL_TABLE:
		bif_end_deffield(c, e, s, c->elem_line);
		break;
	case EL_VARIABLE:
		bif_end_var(c);
		break;
	case EL_DEFINITION:
		bif_end_def(c);
		break;
	default:
		break;
	}
	c->tlen = 0;
}

/* Reads the numbers of a TABLE into v->table, checking each one. */
static int
bif_read_table(struct bif_ctx *c, struct bif_var *v, const struct bif_def *df)
{
	size_t want = (size_t)v->nrows * v->noutcomes, n = 0;
	const char *p = df->table;

	if ((v->table = malloc((want ? want : 1) * sizeof(double))) == NULL)
		return bif_nomem(c);
	for (;;) {
		const char *b;
		char *end, tok[64];
		double x;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		b = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		snprintf(tok, sizeof(tok), "%.*s", (int)(p - b), b);
		if (n >= want) {
			n++;
			continue;
		}
		errno = 0;
		x = strtod(tok, &end);
		if (end == tok || *end != '\0' ||
		    (size_t)(p - b) >= sizeof(tok))
			return bif_fail(c, df->table_line, "TABLE of '%s': "
			    "'%s' is not a number", v->name, tok);
		if (!isfinite(x))
			return bif_fail(c, df->table_line, "TABLE of '%s': "
			    "'%s' is not a finite number", v->name, tok);
		if (x < 0.0)
			return bif_fail(c, df->table_line, "TABLE of '%s': "
			    "negative probability %s", v->name, tok);
		v->table[n++] = x;
	}
	if (n != want)
		return bif_fail(c, df->table_line, "TABLE of '%s' has %zu "
		    "numbers, expected %u rows x %u outcomes = %zu", v->name,
		    n, v->nrows, v->noutcomes, want);
	return 0;
}

static int
bif_resolve_def(struct bif_ctx *c, const struct bif_def *df)
{
	struct bif_net *net = c->net;
	struct bif_var *v;
	uint64_t rows = 1;
	int i = bif_find(net, df->forname);

	if (i < 0)
		return bif_fail(c, df->line, "<FOR> names unknown variable "
		    "'%s'", df->forname);
	v = &net->vars[i];
	if (v->table != NULL)
		return bif_fail(c, df->line, "variable '%s' defined twice",
		    v->name);
	if (df->ngiven > 0 &&
	    (v->parents = calloc(df->ngiven, sizeof(uint32_t))) == NULL)
		return bif_nomem(c);
	for (uint32_t k = 0; k < df->ngiven; k++) {
		int pi = bif_find(net, df->given[k]);

		if (pi < 0)
			return bif_fail(c, df->given_line[k], "<GIVEN> names "
			    "unknown variable '%s'", df->given[k]);
		for (uint32_t j = 0; j < k; j++)
			if (v->parents[j] == (uint32_t)pi)
				return bif_fail(c, df->given_line[k],
				    "'%s' is given twice for '%s'",
				    df->given[k], v->name);
		v->parents[k] = (uint32_t)pi;
		v->nparents = k + 1;
		rows *= net->vars[pi].noutcomes;
		if (rows * v->noutcomes > BIF_MAX_CELLS)
			return bif_fail(c, df->line, "table of '%s' is too "
			    "large", v->name);
	}
	v->nrows = (uint32_t)rows;
	return bif_read_table(c, v, df);
}

/* Depth-first search; 1 = on the stack, 2 = done. */
static int
bif_dfs(struct bif_ctx *c, uint32_t i, uint8_t *mark)
{
	struct bif_var *v = &c->net->vars[i];

	if (mark[i] == 2)
		return 0;
	if (mark[i] == 1)
		return bif_fail(c, v->line, "the network has a cycle through "
		    "'%s'", v->name);
	mark[i] = 1;
	for (uint32_t k = 0; k < v->nparents; k++)
		if (bif_dfs(c, v->parents[k], mark) != 0)
			return c->err;
	mark[i] = 2;
	return 0;
}

static int
bif_finish(struct bif_ctx *c)
{
	struct bif_net *net = c->net;
	uint8_t *mark;
	int rc = 0;

	if (c->nnetworks == 0)
		return bif_fail(c, XML_GetCurrentLineNumber(c->xp),
		    "no <NETWORK> element");
	for (uint32_t i = 0; i < c->ndefs; i++)
		if ((rc = bif_resolve_def(c, &c->defs[i])) != 0)
			return rc;
	for (uint32_t i = 0; i < net->nvars; i++)
		if (net->vars[i].table == NULL)
			return bif_fail(c, net->vars[i].line, "variable '%s' "
			    "has no <DEFINITION>", net->vars[i].name);
	if ((mark = calloc(net->nvars + 1, 1)) == NULL)
		return bif_nomem(c);
	/* Recursion depth is bounded by the variable count of the file. */
	for (uint32_t i = 0; i < net->nvars && rc == 0; i++)
		rc = bif_dfs(c, i, mark);
	free(mark);
	return rc;
}

int
bif_parse(struct bif_net **out, const char *text, size_t len,
    const char *fname, struct diag *d)
{
	struct bif_ctx c;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.fname = fname;
	if ((c.net = calloc(1, sizeof(*c.net))) == NULL)
		return bif_nomem(&c);
	if ((c.xp = XML_ParserCreate(NULL)) == NULL) {
		rc = bif_nomem(&c);
		goto out;
	}
	XML_SetUserData(c.xp, &c);
	XML_SetElementHandler(c.xp, bif_start, bif_end);
	XML_SetCharacterDataHandler(c.xp, bif_text);

	if (len > INT32_MAX) {
		rc = bif_fail(&c, 0, "file too large");
		goto out;
	}
	if (XML_Parse(c.xp, text, (int)len, XML_TRUE) == XML_STATUS_ERROR &&
	    c.err == 0)
		bif_fail(&c, XML_GetCurrentLineNumber(c.xp),
		    "malformed XML: %s",
		    XML_ErrorString(XML_GetErrorCode(c.xp)));
	if (c.err == 0)
		bif_finish(&c);
	rc = c.err;
out:
	for (uint32_t i = 0; i < c.ndefs; i++)
		bif_def_clear(&c.defs[i]);
	free(c.defs);
	bif_def_clear(&c.cur);
	free(c.text);
	if (c.xp != NULL)
		XML_ParserFree(c.xp);
	if (rc != 0) {
		/* A VARIABLE cut short by an error still owns its fields. */
		if (c.in_var && c.net != NULL)
			c.net->nvars++;
		bif_free(c.net);
		return rc;
	}
	*out = c.net;
	return 0;
}

void
bif_free(struct bif_net *net)
{
	if (net == NULL)
		return;
	for (uint32_t i = 0; i < net->nvars; i++) {
		struct bif_var *v = &net->vars[i];

		free(v->name);
		for (uint32_t j = 0; j < v->noutcomes; j++)
			free(v->outcomes[j]);
		free(v->outcomes);
		free(v->parents);
		free(v->table);
	}
	free(net->vars);
	free(net->name);
	free(net);
}

int
bif_find(const struct bif_net *net, const char *name)
{
	for (uint32_t i = 0; i < net->nvars; i++)
		if (net->vars[i].name != NULL &&
		    strcmp(net->vars[i].name, name) == 0)
			return (int)i;
	return -1;
}
