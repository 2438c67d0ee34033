/* scanner: unix seconds to and from UTC calendar time.
 *
 * Both directions cover the years 0001..9999 (those of Python's datetime and
 * of RFC 3339), proleptic Gregorian, no leap seconds (a :60 second is
 * accepted on input and counts as :59 + 1, as calendar.timegm does).
 * Thread-safe (no state).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SCANNER_CIVIL_H
#define SCANNER_CIVIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	int year, month, day, hour, minute, second;
} scan_civil_time;

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in unix seconds. */
#define SCAN_TIME_MIN (-62135596800LL)
#define SCAN_TIME_MAX 253402300799LL

/* @t as a calendar time; false outside SCAN_TIME_MIN..SCAN_TIME_MAX. */
bool scan_civil(int64_t t, scan_civil_time *out);
/* @t as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL) into @out; false
 * (and "") outside the years 0001..9999. */
bool scan_rfc3339(int64_t t, char out[21]);
/* The unix seconds of a calendar date and time (fields already range-checked
 * by the caller; second may be 60). */
int64_t scan_timegm(int year, int month, int day, int hour, int minute, int second);

/* A record's time from text: unix seconds ("1700000000", "-5", "1.7e9" is
 * refused, "1700000000.25" drops the fraction) or RFC 3339 ("2024-01-02",
 * "2024-01-02T03:04:05Z", "... 03:04:05.123+02:00", no offset = UTC).
 * Returns false, with a reason in @why, for anything else and for times
 * outside the years 0001..9999. */
bool scan_parse_time(const char *s, size_t n, int64_t *out, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* SCANNER_CIVIL_H */
