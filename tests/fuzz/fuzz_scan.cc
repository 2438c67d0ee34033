/* fuzz_scan: the C engine of chainval scan (scanner/) on JSON lines or CSV.
 * Input: b0 chooses the record bound (b0 & 1: 256 bytes, else 16 MiB) and
 * the reader (b0 & 2: CSV, else JSON lines), b1 a split point (b1/255 of
 * the text); the rest is the text. abort() on a crash, a leak or any of:
 *  - the reader consumes at most what it is given; fed whole, or in
 *    two pieces at the split point (the unconsumed rest passed again), it
 *    gives the same records: line, id, host, time, flags, error or not, and
 *    the same DER (the chain's and the stapled OCSP response's);
 *  - line numbers strictly increase and never pass the count of lines;
 *  - a record has an error (with a kind) or at least one certificate;
 *  - base64: what the decoder accepts is at most scan_base64_max() bytes;
 *  - the engine (fixture roots, time 2030) writes exactly one JSONL row per
 *    record, each a JSON object (checked by simdjson's DOM parser, which
 *    validates everything) whose "line" is the record's; its summary is a
 *    JSON object whose "rows" is the number of records.
 * Deterministic, no state across inputs. */
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
static scan_engine *engine;

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
	if (scan_engine_new(&engine, &cfg) < 0)
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

/* Feed @text in pieces cut at @cuts, as the Python layer does. */
static void read_all(const std::string &text, size_t max_line, bool csv, std::vector<size_t> cuts,
                     batch &b)
{
	scan_json_reader *json = csv ? nullptr : scan_json_reader_new(0, max_line, SCAN_HOST_IP);
	scan_csv_reader *table = csv ? scan_csv_reader_new(0, max_line, SCAN_HOST_NAME) : nullptr;
	if (!json && !table)
		abort();
	std::string pending;
	size_t at = 0;
	cuts.push_back(text.size());
	for (size_t cut : cuts) {
		pending.append(text, at, cut - at);
		at = cut;
		bool final = cut == text.size();
		size_t used = csv ? scan_csv_read(table, pending.data(), pending.size(), final, 0, &b.recs,
		                                  &b.arena)
		                  : scan_json_read(json, pending.data(), pending.size(), final, 0, &b.recs,
		                                   &b.arena);
		if (used > pending.size())
			fuzz_die("consumed %zu of %zu bytes", used, pending.size());
		if (final && used != pending.size())
			fuzz_die("the final call left %zu bytes", pending.size() - used);
		pending.erase(0, used);
	}
	scan_json_reader_free(json);
	scan_csv_reader_free(table);
	if (b.recs.failed || b.arena.failed)
		abort(); /* out of memory: not a finding libFuzzer should keep */
}

static bool same_text(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void same_records(const batch &x, const batch &y)
{
	if (x.recs.n != y.recs.n)
		fuzz_die("%zu records whole, %zu in pieces", x.recs.n, y.recs.n);
	for (size_t i = 0; i < x.recs.n; i++) {
		const scan_record &a = x.recs.items[i], &b = y.recs.items[i];
		if (a.line != b.line || a.flags != b.flags || a.has_time != b.has_time ||
		    (a.has_time && a.time != b.time) || !a.error != !b.error || a.n != b.n ||
		    !a.id != !b.id || (a.id && !same_text(a.id, a.id_len, b.id, b.id_len)) ||
		    !a.host != !b.host || (a.host && strcmp(a.host, b.host) != 0) ||
		    !same_text((const char *)a.ocsp, a.ocsp_len, (const char *)b.ocsp, b.ocsp_len))
			fuzz_die("record %zu differs when fed in pieces", i);
		for (size_t k = 0; k < a.n; k++)
			if (!same_text((const char *)a.ders[k], a.lens[k], (const char *)b.ders[k], b.lens[k]))
				fuzz_die("record %zu certificate %zu differs when fed in pieces", i, k);
	}
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
	same_records(whole, pieces);

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

	/* The base64 decoder on the raw text, against its bound. */
	std::vector<unsigned char> out(scan_base64_max(text.size()));
	size_t len = 0;
	const char *why = nullptr;
	if (scan_base64_decode(text.data(), text.size(), out.data(), &len, &why) &&
	    len > scan_base64_max(text.size()))
		fuzz_die("base64 wrote %zu bytes for %zu characters", len, text.size());

	scan_buf rows{};
	if (scan_engine_run(engine, whole.recs.items, whole.recs.n, &rows) < 0)
		abort();
	simdjson::dom::parser parser;
	size_t n = 0, start = 0;
	for (size_t i = 0; i < rows.len; i++) {
		if (rows.data[i] != '\n')
			continue;
		simdjson::dom::element row;
		simdjson::padded_string line(rows.data + start, i - start);
		if (parser.parse(line).get(row))
			fuzz_die("row %zu is not JSON: %.*s", n, (int)(i - start), rows.data + start);
		int64_t line_no;
		if (row["line"].get_int64().get(line_no) || n >= whole.recs.n ||
		    (uint64_t)line_no != whole.recs.items[n].line)
			fuzz_die("row %zu has the wrong line", n);
		n++;
		start = i + 1;
	}
	if (n != whole.recs.n || start != rows.len)
		fuzz_die("%zu rows for %zu records", n, whole.recs.n);
	scan_buf_free(&rows);

	scan_buf summary{};
	scan_engine_summary_json(engine, &summary);
	simdjson::dom::element s;
	simdjson::padded_string st(summary.data, summary.len);
	uint64_t counted;
	if (parser.parse(st).get(s) || s["rows"].get_uint64().get(counted))
		fuzz_die("the summary is not JSON");
	scan_buf_free(&summary);
	return 0;
}
