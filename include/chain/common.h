/* libchain: shared definitions for every public header.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CHAIN_COMMON_H
#define CHAIN_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Every public function carries CHAIN_API; everything else in the library is
 * hidden (built with -fvisibility=hidden and a version script). */
#if defined(__GNUC__) || defined(__clang__)
#define CHAIN_API __attribute__((visibility("default")))
#else
#define CHAIN_API
#endif

#ifdef __cplusplus
#define CHAIN_BEGIN_DECLS extern "C" {
#define CHAIN_END_DECLS }
#else
#define CHAIN_BEGIN_DECLS
#define CHAIN_END_DECLS
#endif

#endif /* CHAIN_COMMON_H */
