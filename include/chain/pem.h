/* libchain: splitting PEM text into DER certificates.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_PEM_H
#define CHAIN_PEM_H

#include "common.h"

CHAIN_BEGIN_DECLS

/* Called once per CERTIFICATE block, in order. @der/@len are borrowed for the
 * duration of the call; a block whose base64 does not decode is reported
 * with der NULL and len 0. Return 0 to go on, non-zero to stop (that value
 * is then returned by chain_pem_foreach()). */
typedef int (*chain_pem_cb)(void *ctx, size_t index, const unsigned char *der, size_t len);

/** Call @cb for every "-----BEGIN CERTIFICATE-----" block of @pem (@len
 * bytes, need not be NUL-terminated); other text and other block types are
 * skipped. Returns the number of certificate blocks seen (>= 0), the
 * callback's non-zero value if it stopped the walk, CHAIN_EINVAL or
 * CHAIN_ENOMEM. Thread-safe; keeps no state. Since: 0.1 */
CHAIN_API long chain_pem_foreach(const char *pem, size_t len, chain_pem_cb cb, void *ctx);

CHAIN_END_DECLS

#endif /* CHAIN_PEM_H */
