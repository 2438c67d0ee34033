/* libchain: X.509 certificate chain building and validation on GnuTLS.
 * Umbrella header: include this one. Link with -lchain (pkg-config chain).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_CHAIN_H
#define CHAIN_CHAIN_H

#include "batch.h"
#include "cache.h"
#include "common.h"
#include "error.h"
#include "pem.h"
#include "policy.h"
#include "result.h"
#include "store.h"
#include "verify.h"
#include "version.h"

#endif /* CHAIN_CHAIN_H */
