/* fuzz_x509: libchain's own certificate reader (libchain/x509.c) against
 * GnuTLS. The input is one DER certificate, parsed twice: with the own
 * reader first (falling back to GnuTLS where it declines), and with GnuTLS
 * alone. abort() when one parse succeeds and the other fails, or when any
 * field the search and the checks read differs: the comparison is
 * tests/c/x509_compare.h, the one tests/c/test_x509.c makes on the fixtures
 * and their mutations (every chain__cert field, names.c's subjectAltName and
 * common-name readers against GnuTLS's getters, dn.c's subject and issuer
 * text against GnuTLS's). Also formats the serial as text. Inputs over
 * CHAIN_MAX_STORE_CERT_BYTES are skipped. Linked with libchain's internal
 * functions. Deterministic, no state. */
#include "fuzz_common.h"
#include "internal.h"
#include "x509_compare.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	chain__cert *a = NULL, *b = NULL;
	const char *wa = NULL, *wb = NULL, *why = NULL;

	if (size > CHAIN_MAX_STORE_CERT_BYTES)
		return 0;
	int ra = chain__cert_parse_with(&a, data, size, NULL, &wa, true);
	int rb = chain__cert_parse_with(&b, data, size, NULL, &wb, false);
	if (ra != rb)
		fuzz_die("own reader %d (%s), GnuTLS %d (%s)", ra, wa ? wa : "", rb, wb ? wb : "");
	if (ra == CHAIN_OK) {
		gnutls_x509_crt_t crt = chain__cert_crt(b);
		if (!crt)
			fuzz_die("GnuTLS read the certificate but cannot import it");
		if ((why = x509_fields_differ(a, b)))
			fuzz_die("%s differs (own reader used: %d)", why, a->own_reader);
		if ((why = x509_names_differ(a, crt)) || (why = x509_dn_differs(a->parts.subject)) ||
		    (why = x509_dn_differs(a->parts.issuer)))
			fuzz_die("%s (own reader used: %d)", why, a->own_reader);
		char *serial = chain__serial_hex(a->parts.serial);
		free(serial);
	}
	chain__cert_unref(a);
	chain__cert_unref(b);
	return 0;
}
