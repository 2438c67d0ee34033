/* Error and reason codes to strings: the names Python and the CLI show. */
#include "internal.h"

#include <string.h>

static const struct {
	chain_reason reason;
	const char *name;
} reasons[] = {
	{CHAIN_REASON_OK, "ok"},
	{CHAIN_REASON_EXPIRED, "expired"},
	{CHAIN_REASON_NOT_YET_VALID, "not_yet_valid"},
	{CHAIN_REASON_MISSING_ISSUER, "missing_issuer"},
	{CHAIN_REASON_UNTRUSTED_ROOT, "untrusted_root"},
	{CHAIN_REASON_NOT_CA, "not_ca"},
	{CHAIN_REASON_PATH_LENGTH, "path_length"},
	{CHAIN_REASON_KEY_USAGE, "key_usage"},
	{CHAIN_REASON_NAME_CONSTRAINTS, "name_constraints"},
	{CHAIN_REASON_DISTRUSTED, "distrusted"},
	{CHAIN_REASON_BAD_SIGNATURE, "bad_signature"},
	{CHAIN_REASON_INSECURE_ALGORITHM, "insecure_algorithm"},
	{CHAIN_REASON_REVOKED, "revoked"},
	{CHAIN_REASON_REVOCATION_UNKNOWN, "revocation_unknown"},
	{CHAIN_REASON_HOSTNAME_MISMATCH, "hostname_mismatch"},
	{CHAIN_REASON_PURPOSE_MISMATCH, "purpose_mismatch"},
	{CHAIN_REASON_DEPTH_EXCEEDED, "depth_exceeded"},
	{CHAIN_REASON_BUDGET_EXCEEDED, "budget_exceeded"},
	{CHAIN_REASON_INPUT_LIMIT, "input_limit"},
	{CHAIN_REASON_MALFORMED, "malformed"},
	{CHAIN_REASON_UNKNOWN_CRITICAL_EXTENSION, "unknown_critical_extension"},
	{CHAIN_REASON_NONCONFORMING, "nonconforming"},
};

const char *chain_error_str(int error)
{
	switch (error) {
	case CHAIN_OK: return "success";
	case CHAIN_ERROR: return "internal error";
	case CHAIN_ENOMEM: return "out of memory";
	case CHAIN_EINVAL: return "invalid argument";
	case CHAIN_EPARSE: return "input is not a certificate";
	case CHAIN_ELIMIT: return "input over a size limit";
	case CHAIN_EBACKEND: return "GnuTLS failure";
	case CHAIN_EIO: return "cannot read file or directory";
	case CHAIN_ENOTFOUND: return "not found";
	case CHAIN_ECANCELED: return "canceled";
	default: return "unknown error";
	}
}

const char *chain_reason_str(chain_reason reason)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == reason)
			return reasons[i].name;
	return "unknown";
}

int chain_reason_from_str(chain_reason *out, const char *name)
{
	if (!out || !name)
		return CHAIN_EINVAL;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcmp(reasons[i].name, name) == 0) {
			*out = reasons[i].reason;
			return CHAIN_OK;
		}
	}
	return CHAIN_EINVAL;
}
