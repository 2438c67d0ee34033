/* fuzz_scan: the C engine of chainval scan (scanner/) on JSON lines or CSV.
 * Input: b0 chooses the record bound (b0 & 1: 256 bytes, else 16 MiB), the
 * reader (b0 & 2: CSV, else JSON lines) and the extra runs below (bits
 * 2, 3 and 6; make-corpus.py's plain seeds have them clear), b1 a split
 * point (b1/255 of the text); the rest is the text. abort() on a crash, a
 * leak or any of:
 *  - the reader consumes at most what it is given; fed whole, or in
 *    two pieces at the split point (the unconsumed rest passed again), it
 *    gives the same records: line, id, host, time, flags, error or not, and
 *    the same DER (the chain's and the stapled OCSP response's); a final
 *    call consumes everything, unless a limit or the end of a skip (below)
 *    stopped it, and the calls after it then consume the rest;
 *  - line numbers strictly increase and never pass the count of lines;
 *  - a record has an error (with a kind) or at least one certificate;
 *  - base64: what the decoder accepts is at most scan_base64_max() bytes;
 *  - the engine (fixture roots, time 2030) writes exactly one JSONL row per
 *    record, each a JSON object (checked by simdjson's DOM parser, which
 *    validates everything) whose "line" is the record's; its summary is a
 *    JSON object whose "rows" grew by the number of records.
 * b0 & 8, the limit: fed in the two pieces again, each call at most L =
 *    1 + (b0 >> 4 & 3) records, every piece passed again until a call
 *    takes nothing: each call appends at most L records, and all of them
 *    are the records of the whole run.
 * b0 & 4, --resume's skip: scan_json_skip / scan_csv_skip of N = b1 % (n + 2)
 *    records (n: the whole run's), fed in the two pieces (with the limit too
 *    when b0 & 8): a call that begins while records are still to pass over
 *    appends none; the records read are the whole run's after its first N,
 *    lines included; where the skip ends, the reader's last line
 *    (scan_json_lines, scan_csv_last_start: what --resume checks) is the
 *    line of the whole run's record N; past the end, skip_left is N - n.
 * b0 & 64, cancel: an engine canceled (scan_engine_cancel) returns
 *    CHAIN_ECANCELED for the records, twice, appending nothing and leaving
 *    its summary as it was; after scan_engine_clear_cancel it writes the
 *    same rows as the engine never canceled, and counts them.
 * Deterministic; across inputs only the engines' summaries grow. */
#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "fuzz_common.h"

#include "arena.h"
#include "base64.h"
#include "engine.h"
#include "read_csv.h"
#include "read_json.h"
}

static chain_store *roots;
/* The engine every input's records run through, and one that is canceled
 * (b0 & 64): their rows are compared. */
static scan_engine *engine, *canceled;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (chain_store_new(&roots) < 0)
		abort();
	fuzz_store_file(roots, "pki/root-a.pem");
	fuzz_store_file(roots, "pki/root-ec.pem");
	static const chain_store *stores[] = {roots};
	static const char *names[] = {"default"};
	static const char *sources[] = {"fuzz"};
	scan_config cfg{};
	cfg.stores = stores;
	cfg.store_names = names;
	cfg.n_stores = 1;
	cfg.threads = 1;
	cfg.has_at = true;
	cfg.at = FUZZ_T;
	cfg.sources = sources;
	cfg.n_sources = 1;
	if (scan_engine_new(&engine, &cfg) < 0 || scan_engine_new(&canceled, &cfg) < 0)
		abort();
	return 0;
}

struct batch {
	scan_records recs{};
	scan_arena arena{};
	~batch()
	{
		scan_records_free(&recs);
		scan_arena_free(&arena);
	}
};

/* Either reader, behind one interface. */
struct reader {
	scan_json_reader *json = nullptr;
	scan_csv_reader *csv = nullptr;
	reader(bool is_csv, size_t max_line)
	{
		if (is_csv)
			csv = scan_csv_reader_new(0, max_line, SCAN_HOST_NAME);
		else
			json = scan_json_reader_new(0, max_line, SCAN_HOST_IP);
		if (!json && !csv)
			abort();
	}
	~reader()
	{
		scan_json_reader_free(json);
		scan_csv_reader_free(csv);
	}
	size_t read(const std::string &d, bool final, size_t limit, batch &b)
	{
		return csv ? scan_csv_read(csv, d.data(), d.size(), final, limit, &b.recs, &b.arena)
		           : scan_json_read(json, d.data(), d.size(), final, limit, &b.recs, &b.arena);
	}
	void skip(uint64_t n) { csv ? scan_csv_skip(csv, n) : scan_json_skip(json, n); }
	uint64_t skip_left() const { return csv ? scan_csv_skip_left(csv) : scan_json_skip_left(json); }
	/* Where the last record read or passed over began (chainval's last_start). */
	uint64_t last_start() const { return csv ? scan_csv_last_start(csv) : scan_json_lines(json); }
};

/* How a run ended: the skip's end (scan_json_skip, scan_csv_skip). */
struct run_info {
	bool skip_ended = false;
	uint64_t skip_end_line = 0, skip_left = 0;
};

/* Feed @text in pieces cut at @cuts, as the Python layer does: each piece
 * passed again (with the unconsumed rest) until a call takes nothing; at
 * most @limit records a call (0: no limit), after passing over @skip. */
static run_info read_all(const std::string &text, size_t max_line, bool csv,
                         std::vector<size_t> cuts, batch &b, size_t limit = 0,
                         uint64_t skip = 0)
{
	reader r(csv, max_line);
	run_info info;
	if (skip)
		r.skip(skip);
	std::string pending;
	size_t at = 0;
	bool may_stop = false; /* the call after the skip's end may finish passing its record */
	cuts.push_back(text.size());
	for (size_t cut : cuts) {
		pending.append(text, at, cut - at);
		at = cut;
		bool final = cut == text.size();
		for (;;) {
			uint64_t left = r.skip_left();
			size_t before = b.recs.n;
			size_t used = r.read(pending, final, limit, b);
			size_t got = b.recs.n - before;
			if (used > pending.size())
				fuzz_die("consumed %zu of %zu bytes", used, pending.size());
			if (limit && got > limit)
				fuzz_die("%zu records from a call limited to %zu", got, limit);
			if (left && got)
				fuzz_die("%zu records from a call with %llu still to skip", got,
				         (unsigned long long)left);
			bool ended = left && !r.skip_left();
			if (ended) {
				info.skip_ended = true;
				info.skip_end_line = r.last_start();
			}
			if (final && used != pending.size() && !left && !may_stop && (!limit || got < limit))
				fuzz_die("the final call left %zu bytes", pending.size() - used);
			may_stop = ended;
			pending.erase(0, used);
			if (!used || pending.empty())
				break;
		}
		if (final && !pending.empty())
			fuzz_die("the final calls left %zu bytes", pending.size());
	}
	info.skip_left = r.skip_left();
	if (b.recs.failed || b.arena.failed)
		abort(); /* out of memory: not a finding libFuzzer should keep */
	return info;
}

static bool same_text(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* @y's records are @x's from its record @from on. */
static void same_records(const batch &x, const batch &y, const char *how, size_t from = 0)
{
	if (x.recs.n - from != y.recs.n)
		fuzz_die("%zu records whole, %zu %s", x.recs.n - from, y.recs.n, how);
	for (size_t i = 0; i < y.recs.n; i++) {
		const scan_record &a = x.recs.items[from + i], &b = y.recs.items[i];
		if (a.line != b.line || a.flags != b.flags || a.has_time != b.has_time ||
		    (a.has_time && a.time != b.time) || !a.error != !b.error || a.n != b.n ||
		    !a.id != !b.id || (a.id && !same_text(a.id, a.id_len, b.id, b.id_len)) ||
		    !a.host != !b.host || (a.host && strcmp(a.host, b.host) != 0) ||
		    !same_text((const char *)a.ocsp, a.ocsp_len, (const char *)b.ocsp, b.ocsp_len))
			fuzz_die("record %zu differs %s", from + i, how);
		for (size_t k = 0; k < a.n; k++)
			if (!same_text((const char *)a.ders[k], a.lens[k], (const char *)b.ders[k], b.lens[k]))
				fuzz_die("record %zu certificate %zu differs %s", from + i, k, how);
	}
}

/* The summary of @e: its JSON text, and its "rows". */
static std::string summary(const scan_engine *e, uint64_t *rows)
{
	scan_buf b{};
	scan_engine_summary_json(e, &b);
	if (b.failed)
		abort();
	std::string text(b.data, b.len);
	scan_buf_free(&b);
	static simdjson::dom::parser parser;
	simdjson::dom::element s;
	if (parser.parse(simdjson::padded_string(text)).get(s) || s["rows"].get_uint64().get(*rows))
		fuzz_die("the summary is not JSON with rows: %s", text.c_str());
	return text;
}

/* The rows of @recs from @e, checked to be one JSON object per record. */
static std::string run_engine(scan_engine *e, const batch &recs)
{
	uint64_t before, after;
	summary(e, &before);
	scan_buf rows{};
	int ret = scan_engine_run(e, recs.recs.items, recs.recs.n, &rows);
	if (ret == CHAIN_ENOMEM)
		abort();
	if (ret < 0)
		fuzz_die("the engine returned %d", ret);
	std::string out(rows.data ? rows.data : "", rows.len);
	scan_buf_free(&rows);
	summary(e, &after);
	if (after - before != recs.recs.n)
		fuzz_die("the summary counted %llu rows for %zu records",
		         (unsigned long long)(after - before), recs.recs.n);
	static simdjson::dom::parser parser;
	size_t n = 0, start = 0;
	for (size_t i = 0; i < out.size(); i++) {
		if (out[i] != '\n')
			continue;
		simdjson::dom::element row;
		simdjson::padded_string line(out.data() + start, i - start);
		if (parser.parse(line).get(row))
			fuzz_die("row %zu is not JSON: %.*s", n, (int)(i - start), out.data() + start);
		int64_t line_no;
		if (row["line"].get_int64().get(line_no) || n >= recs.recs.n ||
		    (uint64_t)line_no != recs.recs.items[n].line)
			fuzz_die("row %zu has the wrong line", n);
		n++;
		start = i + 1;
	}
	if (n != recs.recs.n || start != out.size())
		fuzz_die("%zu rows for %zu records", n, recs.recs.n);
	return out;
}

/* b0 & 64: a canceled run appends and counts nothing; cleared, the same rows. */
static void check_cancel(const batch &recs, const std::string &rows)
{
	uint64_t n0, n1;
	std::string before = summary(canceled, &n0);
	static const char kept[] = "rows already there\n";
	scan_engine_cancel(canceled);
	for (int i = 0; i < 2; i++) {
		scan_buf out{};
		scan_buf_puts(&out, kept);
		int ret = scan_engine_run(canceled, recs.recs.items, recs.recs.n, &out);
		if (ret == CHAIN_ENOMEM)
			abort();
		if (ret != CHAIN_ECANCELED)
			fuzz_die("a canceled engine returned %d", ret);
		if (!same_text(out.data, out.len, kept, strlen(kept)))
			fuzz_die("a canceled run changed the output (%zu bytes)", out.len);
		scan_buf_free(&out);
	}
	if (summary(canceled, &n1) != before)
		fuzz_die("a canceled run changed the summary");
	scan_engine_clear_cancel(canceled);
	if (run_engine(canceled, recs) != rows)
		fuzz_die("after scan_engine_clear_cancel the rows differ");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max_line = data[0] & 1 ? 256 : 16u << 20;
	bool csv = data[0] & 2;
	std::string text((const char *)data + 2, size - 2);
	size_t cut = text.size() * data[1] / 255;

	batch whole, pieces;
	read_all(text, max_line, csv, {}, whole);
	read_all(text, max_line, csv, {cut}, pieces);
	same_records(whole, pieces, "when fed in pieces");

	size_t lines = 1;
	for (char c : text)
		lines += c == '\n';
	uint64_t last = 0;
	for (size_t i = 0; i < whole.recs.n; i++) {
		const scan_record &r = whole.recs.items[i];
		if (r.line <= last || r.line > lines)
			fuzz_die("record %zu has line %llu after %llu (%zu lines)", i,
			         (unsigned long long)r.line, (unsigned long long)last, lines);
		last = r.line;
		if (r.error ? !r.error_kind : r.n == 0)
			fuzz_die("record %zu has %s", i, r.error ? "an error without a kind" : "no certificate");
	}

	size_t limit = data[0] & 8 ? 1 + (data[0] >> 4 & 3) : 0;
	if (limit) {
		batch limited;
		read_all(text, max_line, csv, {cut}, limited, limit);
		same_records(whole, limited, "when read a few at a time");
	}
	if (data[0] & 4) {
		uint64_t n = whole.recs.n, skip = data[1] % (n + 2);
		batch rest;
		run_info info = read_all(text, max_line, csv, {cut}, rest, limit, skip);
		if (skip > n) {
			if (rest.recs.n || info.skip_left != skip - n)
				fuzz_die("skip %llu of %llu records: %zu read, %llu left", (unsigned long long)skip,
				         (unsigned long long)n, rest.recs.n, (unsigned long long)info.skip_left);
		} else {
			same_records(whole, rest, "after the skip", skip);
			if (info.skip_left || (skip && !info.skip_ended))
				fuzz_die("skip %llu of %llu records did not end", (unsigned long long)skip,
				         (unsigned long long)n);
			if (skip && info.skip_end_line != whole.recs.items[skip - 1].line)
				fuzz_die("the skip of %llu records ended at line %llu, its last record is line %llu",
				         (unsigned long long)skip, (unsigned long long)info.skip_end_line,
				         (unsigned long long)whole.recs.items[skip - 1].line);
		}
	}

	/* The base64 decoder on the raw text, against its bound. */
	std::vector<unsigned char> out(scan_base64_max(text.size()));
	size_t len = 0;
	const char *why = nullptr;
	bool ok = scan_base64_decode(text.data(), text.size(), out.data(), &len, &why);
	if (ok && len > scan_base64_max(text.size()))
		fuzz_die("base64 wrote %zu bytes for %zu characters", len, text.size());
	/* The AVX2 path (when this CPU runs it) against the scalar one. */
	std::vector<unsigned char> scalar(scan_base64_max(text.size()));
	size_t scalar_len = 0;
	const char *scalar_why = nullptr;
	bool scalar_ok = scan_base64_decode_with(text.data(), text.size(), scalar.data(),
	                                         &scalar_len, &scalar_why, false);
	if (ok != scalar_ok || (ok && (len != scalar_len || memcmp(out.data(), scalar.data(), len))) ||
	    (!ok && strcmp(why, scalar_why)))
		fuzz_die("base64: the AVX2 and scalar paths disagree on %zu characters", text.size());

	std::string rows = run_engine(engine, whole);
	if (data[0] & 64)
		check_cancel(whole, rows);
	return 0;
}
