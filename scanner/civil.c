/* scanner: unix seconds to and from UTC calendar time (civil.h).
 * The day arithmetic is Howard Hinnant's days_from_civil / civil_from_days.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "civil.h"

#include <string.h>

bool scan_civil(int64_t t, scan_civil_time *out)
{
	if (t < SCAN_TIME_MIN || t > SCAN_TIME_MAX)
		return false;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->year = (int)(yoe + era * 400 + (out->month <= 2));
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	return true;
}

bool scan_rfc3339(int64_t t, char out[21])
{
	scan_civil_time c;
	if (!scan_civil(t, &c)) {
		out[0] = '\0';
		return false;
	}
	/* By hand, not snprintf: one per row of a scan. */
	const int parts[] = {c.year / 100, c.year % 100, c.month, c.day, c.hour, c.minute, c.second};
	static const char after[] = "\0-" "-T::Z";
	char *w = out;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		*w++ = (char)('0' + parts[i] / 10);
		*w++ = (char)('0' + parts[i] % 10);
		if (after[i])
			*w++ = after[i];
	}
	*w = '\0';
	return true;
}

int64_t scan_timegm(int year, int month, int day, int hour, int minute, int second)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + hour * 3600 + minute * 60 + second;
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* [+-]digits[.digits]: unix seconds, the fraction dropped. */
static int parse_number(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t start = i;
	uint64_t v = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (uint64_t)SCAN_TIME_MAX * 10)
			return -1; /* far out of range: refused below without overflowing */
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == start)
		return 0;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i != n)
		return 0;
	if (v > (uint64_t)SCAN_TIME_MAX + 1)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 1;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

bool scan_parse_time(const char *s, size_t n, int64_t *out, const char **why)
{
	while (n && is_space(*s))
		s++, n--;
	while (n && is_space(s[n - 1]))
		n--;
	*why = "invalid time (unix seconds or RFC 3339)";
	int64_t t;
	int number = parse_number(s, n, &t);
	if (number != 0) {
		if (number < 0 || t < SCAN_TIME_MIN || t > SCAN_TIME_MAX) {
			*why = "time outside the years 0001..9999";
			return false;
		}
		*out = t;
		return true;
	}
	int year, month, day, hour = 0, minute = 0, second = 0;
	if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &year) ||
	    !digits(s + 5, 2, &month) || !digits(s + 8, 2, &day))
		return false;
	size_t i = 10;
	int64_t offset = 0;
	if (i < n) {
		if ((s[i] != 'T' && s[i] != 't' && s[i] != ' ') || n - i < 9 || s[i + 3] != ':' ||
		    s[i + 6] != ':' || !digits(s + i + 1, 2, &hour) || !digits(s + i + 4, 2, &minute) ||
		    !digits(s + i + 7, 2, &second))
			return false;
		i += 9;
		if (i < n && s[i] == '.') {
			size_t start = ++i;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == start)
				return false;
		}
		while (i < n && is_space(s[i]))
			i++;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i] == '-' ? -1 : 1, oh, om;
			size_t colon = n - i == 6 && s[i + 3] == ':';
			if (n - i != 5 + colon || !digits(s + i + 1, 2, &oh) ||
			    !digits(s + i + 3 + colon, 2, &om) || oh > 23 || om > 59)
				return false;
			offset = sign * (oh * 3600 + om * 60);
			i = n;
		}
		if (i != n)
			return false;
	}
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    minute > 59 || second > 60 || year < 1) {
		*why = "invalid date or time of day";
		return false;
	}
	t = scan_timegm(year, month, day, hour, minute, second) - offset;
	if (t < SCAN_TIME_MIN || t > SCAN_TIME_MAX) {
		*why = "time outside the years 0001..9999";
		return false;
	}
	*out = t;
	return true;
}
