/* A certificate as a result keeps it (chain__result_cert): its fields, its
 * DER (a reference to a certificate that outlives the result, or a copy),
 * its strings formatted on first use, and its release. Results (result.c)
 * and explained attempts (explain.c) hold their certificates this way.
 * Accessors take a result's certificate as it is (not const): a result
 * belongs to one thread at a time (result.h), so filling strings lazily is
 * safe. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static chain__span span_of(const chain__cert *c, chain__slice s)
{
	return (chain__span){(size_t)(s.p - c->der), s.len};
}

static chain__slice slice_of(const chain__result_cert *rc, chain__span s)
{
	return (chain__slice){rc->der + s.off, s.len};
}

bool chain__result_cert_refers(const chain__node *node)
{
	return node->source != CHAIN_SOURCE_SERVED || node->cert->cached;
}

size_t chain__result_cert_fill(chain__result_cert *rc, const chain__node *node, unsigned char *copy)
{
	chain__cert *c = node->cert;
	*rc = (chain__result_cert){0};
	rc->der_len = c->der_len;
	rc->subject = span_of(c, c->parts.subject);
	rc->issuer = span_of(c, c->parts.issuer);
	rc->serial = span_of(c, c->parts.serial);
	memcpy(rc->sha256, c->sha256, sizeof(rc->sha256));
	rc->not_before = c->not_before;
	rc->not_after = c->not_after;
	rc->source = node->source;
	rc->input_index = node->source == CHAIN_SOURCE_SERVED ? node->input_index : -1;
	if (chain__result_cert_refers(node)) {
		rc->cert = chain__cert_ref(c);
		rc->der = c->der;
		return 0;
	}
	rc->der = memcpy(copy, c->der, rc->der_len);
	return rc->der_len;
}

int chain__result_cert_keep(chain__result_cert *rc, const chain__node *node)
{
	unsigned char *copy = NULL;
	if (!chain__result_cert_refers(node) && !(copy = malloc(node->cert->der_len)))
		return CHAIN_ENOMEM;
	chain__result_cert_fill(rc, node, copy);
	return CHAIN_OK;
}

bool chain__result_in_block(const chain_result *r, const void *p)
{
	const char *c = p, *base = (const char *)r;
	return r && c >= base && c < base + r->block_bytes;
}

void chain__result_free_part(const chain_result *r, const void *p)
{
	if (!chain__result_in_block(r, p))
		free((void *)p);
}

void chain__result_cert_release(const chain_result *owner, chain__result_cert *c)
{
	if (c->cert)
		chain__cert_unref(c->cert);
	else
		chain__result_free_part(owner, c->der);
	if (!(c->borrowed & CHAIN__BORROWED_SUBJECT))
		chain__result_free_part(owner, c->subject_str);
	if (!(c->borrowed & CHAIN__BORROWED_ISSUER))
		chain__result_free_part(owner, c->issuer_str);
	chain__result_free_part(owner, c->serial_str);
}

/* A per-certificate string, formatted on first use from a DER slice. */
static const char *lazy(chain__result_cert *c, char **slot, chain__span span,
                        char *(*format)(chain__slice))
{
	if (c && !*slot)
		*slot = format(slice_of(c, span));
	return c ? *slot : NULL;
}

/* @c's text *@slot as @from's subject text (@from a certificate the same
 * result holds), when it has one. */
static bool borrow(chain__result_cert *c, char **slot, unsigned char bit, chain__cert *from)
{
	const char *text = chain__cert_subject_text(from);
	if (!text)
		return false;
	*slot = (char *)text;
	c->borrowed |= bit;
	return true;
}

const char *chain__result_cert_subject(chain__result_cert *c)
{
	if (c && !c->subject_str && c->cert &&
	    borrow(c, &c->subject_str, CHAIN__BORROWED_SUBJECT, c->cert))
		return c->subject_str;
	return c ? lazy(c, &c->subject_str, c->subject, chain__dn_string) : NULL;
}

const char *chain__result_cert_issuer(chain__result_cert *c, chain__result_cert *next)
{
	if (!c)
		return NULL;
	if (!c->issuer_str) {
		chain__cert *from = c->cert && c->cert->self_issued ? c->cert
		                    : next && next->cert && c->der &&
		                              chain__same_slice(slice_of(c, c->issuer),
		                                                slice_of(next, next->subject))
		                        ? next->cert
		                        : NULL;
		if (from && borrow(c, &c->issuer_str, CHAIN__BORROWED_ISSUER, from))
			return c->issuer_str;
	}
	return lazy(c, &c->issuer_str, c->issuer, chain__dn_string);
}

const char *chain__result_cert_serial(chain__result_cert *c)
{
	return c ? lazy(c, &c->serial_str, c->serial, chain__serial_hex) : NULL;
}

const char *chain__result_cert_fingerprint(chain__result_cert *c)
{
	if (c && !c->fingerprint[0])
		chain__hex(c->sha256, CHAIN__SHA256_LEN, c->fingerprint);
	return c ? c->fingerprint : NULL;
}
