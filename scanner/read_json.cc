/* scanner: records from JSON lines (read_json.h), with simdjson On-Demand.
 * C++ only here, behind read_json.h's C interface; built without exceptions.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "read_json.h"

#include <simdjson.h>

#include <cstring>
#include <string_view>
#include <vector>

extern "C" {
#include <gnutls/gnutls.h>

#include "fields.h"
}

using namespace simdjson;
using std::string_view;

namespace {

/* A chain item as seen in the line (views into the parser's buffer, valid
 * until the next line), or the type it had instead of a string. */
struct item {
	string_view text;
	const char *type; /* NULL when a string */
};

/* What one zgrab2 module says (views as above). */
struct module {
	string_view name;
	bool is_object = false, has_certs = false;
	string_view timestamp, status;
	bool timestamp_number = false;
	int64_t timestamp_value = 0;
	item leaf{{}, "missing"}; /* certificate.raw */
	std::vector<item> chain;  /* raw of each chain entry; type set when not an object with raw */
};

/* Every field of a line the scanner may use (later keys win, as in Python). */
struct fields {
	bool has_id = false, has_chain = false, has_data = false, has_time = false;
	bool has_host = false, has_domain = false, has_ip = false, has_timestamp = false;
	bool has_ocsp = false;
	const char *ocsp_type = nullptr;
	string_view ocsp; /* base64 DER OCSPResponse (jsonl records) */
	ondemand::json_type id_type{};
	string_view id;         /* string: unescaped; else the JSON text */
	const char *host_type = nullptr, *domain_type = nullptr, *ip_type = nullptr;
	string_view host, domain, ip;
	const char *time_type = nullptr; /* of the time value when not string/number */
	string_view time_text;
	bool time_number = false, time_float = false;
	int64_t time_value = 0;
	const char *chain_type = nullptr; /* of chain when neither a list nor a string */
	std::vector<item> chain;
	const char *data_type = nullptr;
	std::vector<module> modules;
	string_view timestamp; /* the record's own, for zgrab */
	bool timestamp_number = false;
	int64_t timestamp_value = 0;
};

const char *python_type(ondemand::json_type t, string_view raw)
{
	switch (t) {
	case ondemand::json_type::array: return "list";
	case ondemand::json_type::object: return "dict";
	case ondemand::json_type::string: return "str";
	case ondemand::json_type::boolean: return "bool";
	case ondemand::json_type::null: return "NoneType";
	case ondemand::json_type::number:
		return raw.find_first_of(".eE") != string_view::npos ? "float" : "int";
	}
	return "value";
}

string_view trim(string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
	                      s.front() == '\r'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
	                      s.back() == '\r'))
		s.remove_suffix(1);
	return s;
}

/* RFC 8259's number grammar: simdjson checks a skipped number only when it
 * is read, and an id's text is written back as it is. */
bool json_number(string_view s)
{
	size_t i = 0, n = s.size();
	auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
	if (i < n && s[i] == '-')
		i++;
	if (!digit(i))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (digit(i))
			i++;
	if (i < n && s[i] == '.') {
		if (!digit(++i))
			return false;
		while (digit(i))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!digit(i))
			return false;
		while (digit(i))
			i++;
	}
	return i == n;
}

/* A number (int, or float truncated) or string time value into @f's slots. */
error_code read_time(ondemand::value v, const char **type, string_view *text, bool *number,
                     int64_t *value, bool *is_float)
{
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	*type = nullptr;
	*text = {};
	*number = false;
	if (t == ondemand::json_type::string)
		return v.get_string().get(*text);
	if (t != ondemand::json_type::number) {
		string_view raw = trim(v.raw_json_token());
		*type = t == ondemand::json_type::null ? nullptr : python_type(t, raw);
		if (t == ondemand::json_type::null)
			*text = {};
		return SUCCESS;
	}
	*number = true;
	int64_t i;
	if (!v.get_int64().get(i)) {
		*value = i;
		if (is_float)
			*is_float = false;
		return SUCCESS;
	}
	double d;
	if (auto e = v.get_double().get(d))
		return e;
	if (!(d > -9.2e18 && d < 9.2e18)) { /* inside int64_t (far outside the years 0001..9999) */
		*type = "out-of-range number";
		*number = false;
		return SUCCESS;
	}
	*value = (int64_t)d;
	if (is_float)
		*is_float = true;
	return SUCCESS;
}

/* Calls @fn(key, value) for each field of @obj (an object, or the result of
 * get_object()), in order: of a key given twice the later wins, as in
 * Python. Stops at the first error; a value @fn leaves unread is skipped. */
template <typename Object, typename Fn> error_code each_field(Object &&obj, Fn &&fn)
{
	for (auto field : obj) {
		string_view key;
		if (auto e = field.unescaped_key().get(key))
			return e;
		ondemand::value v;
		if (auto e = field.value().get(v))
			return e;
		if (auto e = fn(key, v))
			return e;
	}
	return SUCCESS;
}

/* A string item, or the Python type name of what was there instead. */
error_code read_item(ondemand::value &v, item &it)
{
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	it = item{{}, nullptr};
	if (t == ondemand::json_type::string)
		return v.get_string().get(it.text);
	it.type = python_type(t, trim(v.raw_json_token()));
	return SUCCESS;
}

error_code read_items(ondemand::array a, std::vector<item> &out)
{
	out.clear();
	for (auto element : a) {
		ondemand::value v;
		if (auto e = element.get(v))
			return e;
		item it;
		if (auto e = read_item(v, it))
			return e;
		out.push_back(it);
	}
	return SUCCESS;
}

/* A string field, or the Python type name of what it held instead (NULL:
 * a string; null counts as absent). */
error_code read_string(ondemand::value v, string_view *out, const char **type, bool *present)
{
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	*type = nullptr;
	*out = {};
	*present = t != ondemand::json_type::null;
	if (t == ondemand::json_type::string)
		return v.get_string().get(*out);
	if (t != ondemand::json_type::null)
		*type = python_type(t, trim(v.raw_json_token()));
	return SUCCESS;
}

/* A zgrab2 certificate, {"raw": base64 DER} (@v an object): the item of its
 * "raw", "missing" without one. */
error_code read_raw(ondemand::value &v, item &raw)
{
	raw = item{{}, "missing"};
	return each_field(v.get_object(), [&](string_view key, ondemand::value &value) {
		return key == "raw" ? read_item(value, raw) : SUCCESS;
	});
}

/* server_certificates: {"certificate": {"raw"}, "chain": [{"raw"}, ...]} */
error_code read_certs(ondemand::object certs, module &m)
{
	m.has_certs = true;
	return each_field(certs, [&](string_view key, ondemand::value &v) -> error_code {
		ondemand::json_type t;
		if (auto e = v.type().get(t))
			return e;
		if (key == "certificate") {
			m.leaf = item{{}, "missing"};
			return t == ondemand::json_type::object ? read_raw(v, m.leaf) : SUCCESS;
		}
		if (key != "chain")
			return SUCCESS;
		m.chain.clear();
		if (t != ondemand::json_type::array)
			return SUCCESS; /* Python: `or []` for null; other types are not iterated either */
		for (auto element : v.get_array()) {
			ondemand::value c;
			if (auto e = element.get(c))
				return e;
			ondemand::json_type ct;
			if (auto e = c.type().get(ct))
				return e;
			item it{{}, "missing"};
			if (ct == ondemand::json_type::object)
				if (auto e = read_raw(c, it))
					return e;
			m.chain.push_back(it);
		}
		return SUCCESS;
	});
}

/* handshake_log: {"server_certificates": {...}} */
error_code read_handshake(ondemand::value log, module &m)
{
	ondemand::json_type t;
	if (auto e = log.type().get(t))
		return e;
	if (t != ondemand::json_type::object)
		return SUCCESS;
	return each_field(log.get_object(), [&](string_view key, ondemand::value &v) -> error_code {
		if (key != "server_certificates")
			return SUCCESS;
		if (auto e = v.type().get(t))
			return e;
		m.has_certs = false;
		if (t != ondemand::json_type::object)
			return SUCCESS;
		ondemand::object certs;
		if (auto e = v.get_object().get(certs))
			return e;
		return read_certs(certs, m);
	});
}

/* Descend @path (object keys) from @v and call read_handshake at its end. */
error_code read_path(ondemand::value v, const char *const *path, module &m)
{
	if (!*path)
		return read_handshake(v, m);
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	if (t != ondemand::json_type::object)
		return SUCCESS;
	return each_field(v.get_object(), [&](string_view key, ondemand::value &next) {
		return key == *path ? read_path(next, path + 1, m) : SUCCESS;
	});
}

/* One module of data: {"status", "timestamp", "result": {...}} */
error_code read_module(string_view name, ondemand::value v, module &m)
{
	m = module{};
	m.name = name;
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	if (t != ondemand::json_type::object)
		return SUCCESS;
	m.is_object = true;
	static const char *const http[] = {"response", "request", "tls_log", "handshake_log", nullptr};
	return each_field(v.get_object(), [&](string_view key, ondemand::value &value) -> error_code {
		const char *type;
		if (key == "status") {
			bool present;
			return read_string(value, &m.status, &type, &present);
		}
		if (key == "timestamp")
			return read_time(value, &type, &m.timestamp, &m.timestamp_number, &m.timestamp_value,
			                 nullptr);
		if (key != "result")
			return SUCCESS;
		/* Both shapes: result.handshake_log, and the http module's
		 * result.response.request.tls_log.handshake_log. On-Demand reads
		 * forward only, so the result object is walked once for both. */
		if (auto e = value.type().get(t))
			return e;
		if (t != ondemand::json_type::object)
			return SUCCESS;
		return each_field(value.get_object(), [&](string_view rk, ondemand::value &rv) -> error_code {
			if (rk == "handshake_log")
				return read_handshake(rv, m);
			if (rk == http[0] && !m.has_certs)
				return read_path(rv, http + 1, m);
			return SUCCESS;
		});
	});
}

/* A jsonl record's "id": a string (unescaped), or the JSON text of any other
 * value, checked (simdjson checks a skipped value only when it is read). */
error_code read_id(ondemand::value &v, fields &f)
{
	f.has_id = true;
	if (auto e = v.type().get(f.id_type))
		return e;
	if (f.id_type == ondemand::json_type::string)
		return v.get_string().get(f.id);
	if (f.id_type == ondemand::json_type::object) {
		ondemand::object o;
		if (auto e = v.get_object().get(o))
			return e;
		if (auto e = o.raw_json().get(f.id))
			return e;
		f.id = trim(f.id);
		return SUCCESS;
	}
	if (f.id_type == ondemand::json_type::array) {
		ondemand::array a;
		if (auto e = v.get_array().get(a))
			return e;
		if (auto e = a.raw_json().get(f.id))
			return e;
		f.id = trim(f.id);
		return SUCCESS;
	}
	f.id = trim(v.raw_json_token());
	bool b;
	if (f.id_type == ondemand::json_type::boolean && v.get_bool().get(b))
		return INCORRECT_TYPE;
	bool null = false;
	if (f.id_type == ondemand::json_type::null && (v.is_null().get(null) || !null))
		return INCORRECT_TYPE;
	if (f.id_type == ondemand::json_type::number && !json_number(f.id))
		return NUMBER_ERROR;
	return SUCCESS;
}

/* A jsonl record's "chain": a list of items, or one string. */
error_code read_chain(ondemand::value &v, fields &f)
{
	f.has_chain = true;
	f.chain_type = nullptr;
	f.chain.clear();
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	if (t == ondemand::json_type::array) {
		ondemand::array a;
		if (auto e = v.get_array().get(a))
			return e;
		return read_items(a, f.chain);
	}
	item it;
	if (auto e = read_item(v, it))
		return e;
	if (it.type)
		f.chain_type = it.type;
	else
		f.chain.push_back(it);
	return SUCCESS;
}

/* zgrab2's "data": {"<module>": {...}, ...} */
error_code read_data(ondemand::value &v, fields &f)
{
	f.has_data = true;
	f.data_type = nullptr;
	f.modules.clear();
	ondemand::json_type t;
	if (auto e = v.type().get(t))
		return e;
	if (t != ondemand::json_type::object) {
		f.data_type = python_type(t, trim(v.raw_json_token()));
		return SUCCESS;
	}
	return each_field(v.get_object(), [&](string_view name, ondemand::value &mv) {
		f.modules.emplace_back();
		return read_module(name, mv, f.modules.back());
	});
}

error_code read_fields(ondemand::object obj, fields &f)
{
	return each_field(obj, [&](string_view key, ondemand::value &v) -> error_code {
		if (key == "id")
			return read_id(v, f);
		if (key == "host")
			return read_string(v, &f.host, &f.host_type, &f.has_host);
		if (key == "domain")
			return read_string(v, &f.domain, &f.domain_type, &f.has_domain);
		if (key == "ip")
			return read_string(v, &f.ip, &f.ip_type, &f.has_ip);
		if (key == "ocsp")
			return read_string(v, &f.ocsp, &f.ocsp_type, &f.has_ocsp);
		if (key == "time") {
			if (auto e = read_time(v, &f.time_type, &f.time_text, &f.time_number, &f.time_value,
			                       &f.time_float))
				return e;
			f.has_time = f.time_type || f.time_number || f.time_text.data();
			return SUCCESS;
		}
		if (key == "timestamp") {
			const char *type;
			if (auto e = read_time(v, &type, &f.timestamp, &f.timestamp_number,
			                       &f.timestamp_value, nullptr))
				return e;
			f.has_timestamp = f.timestamp_number || f.timestamp.data();
			return SUCCESS;
		}
		if (key == "chain")
			return read_chain(v, f);
		if (key == "data")
			return read_data(v, f);
		return SUCCESS;
	});
}

} // namespace

struct scan_json_reader {
	ondemand::parser parser;
	uint32_t input;
	size_t max_line;
	uint64_t line = 0;
	bool skipping = false; /* inside a line over max_line: dropped up to its newline */
	uint64_t skip = 0;     /* records still to pass over unread (scan_json_skip) */
	scan_host_from host_from = SCAN_HOST_NAME;
	std::vector<char> padded; /* a line copied with SIMDJSON_PADDING after it */
	fields f;
	dom::parser dom; /* checks an id that is an object or array (On-Demand skips inside) */
};

namespace {

/* A time read by read_time(): a number, text, or the type it had instead. */
bool set_time(scan_record *rec, scan_arena *arena, const char *type, string_view text,
              bool number, int64_t value, const char *field)
{
	if (number)
		return scan_set_time_value(rec, arena, value, field);
	if (type)
		return scan_fail(rec, arena, "time", "%s: invalid time (a %s)", field, type);
	if (!text.data())
		return true;
	return scan_set_time_text(rec, arena, text.data(), text.size(), field);
}

} // namespace

namespace {

/* One chain item: a string (base64 or PEM), or the type it had instead. */
bool chain_item(scan_record *rec, scan_arena *arena, const item &it, scan_item_name what,
                scan_ders &out)
{
	char label[64];
	if (it.type)
		return scan_fail(rec, arena, "chain_type", "%s: expected a base64 string, got %s",
		                 scan_item_label(what, label), it.type);
	return scan_add_item(rec, arena, it.text.data(), it.text.size(), true, what, &out);
}

/* The value of the 4 hex digits at @p, or -1. */
int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Whether @text holds a \uD800-\uDFFF escape that is not half of a pair:
 * not Unicode, so simdjson refuses the string (Python's json takes it). */
bool lone_surrogate(std::string_view text)
{
	for (size_t i = 0; i + 6 <= text.size(); i++) {
		if (text[i] == '\\' && text[i + 1] == '\\') {
			i++; /* an escaped backslash */
			continue;
		}
		if (text[i] != '\\' || text[i + 1] != 'u')
			continue;
		int v = hex4(text.data() + i + 2);
		if (v >= 0xDC00 && v <= 0xDFFF)
			return true; /* a low half first */
		if (v >= 0xD800 && v <= 0xDBFF) {
			int w = i + 12 <= text.size() && text[i + 6] == '\\' && text[i + 7] == 'u'
			            ? hex4(text.data() + i + 8) : -1;
			if (w < 0xDC00 || w > 0xDFFF)
				return true;
			i += 11;
		}
	}
	return false;
}

/* What to say of a line simdjson refused. */
const char *json_problem(error_code e, std::string_view text)
{
	if (e == STRING_ERROR && lone_surrogate(text))
		return "a \\u escape of half a surrogate pair alone (not Unicode)";
	return error_message(e);
}

/* The record of one parsed line (Python's _json_line_record). */
void build(scan_json_reader *r, scan_record *rec, scan_arena *arena)
{
	fields &f = r->f;
	if (f.has_id && (f.id_type == ondemand::json_type::object ||
	                 f.id_type == ondemand::json_type::array)) {
		/* Written back into the output: checked whole, and minified. */
		dom::element el;
		if (auto e = r->dom.parse(padded_string(f.id)).get(el)) {
			scan_fail(rec, arena, "invalid_json", "invalid JSON: %s", error_message(e));
			return;
		}
		std::string minified = minify(el);
		rec->id = scan_arena_strndup(arena, minified.data(), minified.size());
		rec->id_len = minified.size();
	} else if (f.has_id && f.id_type != ondemand::json_type::null) {
		rec->id = scan_arena_strndup(arena, f.id.data(), f.id.size());
		rec->id_len = f.id.size();
		rec->id_is_text = f.id_type == ondemand::json_type::string;
	}
	scan_ders d{};
	if (f.has_chain) {
		if (f.host_type && r->host_from != SCAN_HOST_NONE) {
			scan_fail(rec, arena, "host", "host: expected a string, got %s", f.host_type);
			return;
		}
		if (f.has_host && r->host_from != SCAN_HOST_NONE &&
		    !scan_set_host(rec, arena, f.host.data(), f.host.size()))
			return;
		if (f.has_time &&
		    !set_time(rec, arena, f.time_type, f.time_text, f.time_number, f.time_value, "time"))
			return;
		if (f.ocsp_type) {
			scan_fail(rec, arena, "ocsp", "ocsp: expected a base64 string, got %s", f.ocsp_type);
			return;
		}
		if (f.has_ocsp && !scan_set_ocsp(rec, arena, f.ocsp.data(), f.ocsp.size()))
			return;
		if (f.chain_type) {
			scan_fail(rec, arena, "chain_type", "chain: expected a list of base64 DER certificates");
			return;
		}
		if (f.chain.empty()) {
			scan_fail(rec, arena, "chain_empty", "chain: empty");
			return;
		}
		for (size_t i = 0; i < f.chain.size(); i++) {
			if (!chain_item(rec, arena, f.chain[i], scan_item_name{"chain", long(i), nullptr}, d))
				return scan_ders_free(&d);
		}
		scan_set_chain(rec, arena, &d);
		return;
	}
	if (!f.has_data) {
		scan_fail(rec, arena, "no_chain_field", "no 'chain' field (and not zgrab output)");
		return;
	}
	/* zgrab2: the name is the domain the client asked for (its SNI); without
	 * one, no name is checked unless --host-from ip says to check the IP. */
	bool has_domain = f.has_domain && !(f.domain_type == nullptr && f.domain.empty());
	bool use_ip = !has_domain && r->host_from == SCAN_HOST_IP;
	if (r->host_from != SCAN_HOST_NONE && (has_domain || use_ip)) {
		if (has_domain ? f.domain_type != nullptr : f.ip_type != nullptr) {
			scan_fail(rec, arena, "host", "host: expected a string, got %s",
			          has_domain ? f.domain_type : f.ip_type);
			return;
		}
		string_view host = has_domain ? f.domain : f.ip;
		if (!scan_set_host(rec, arena, host.data(), host.size()))
			return;
	}
	if (f.data_type) {
		scan_fail(rec, arena, "zgrab", "zgrab: no data object");
		return;
	}
	/* The first module with server certificates, "tls" first, then by name. */
	const module *first = nullptr, *found = nullptr;
	std::vector<const module *> order;
	for (const module &m : f.modules)
		order.push_back(&m);
	std::stable_sort(order.begin(), order.end(), [](const module *a, const module *b) {
		bool at = a->name == "tls", bt = b->name == "tls";
		return at != bt ? at : a->name < b->name;
	});
	for (const module *m : order) {
		if (!m->is_object)
			continue;
		if (!first)
			first = m;
		if (m->has_certs) {
			found = m;
			break;
		}
	}
	const module *mod = found ? found : first;
	if (mod && (mod->timestamp_number || mod->timestamp.data())) {
		if (!set_time(rec, arena, nullptr, mod->timestamp, mod->timestamp_number,
		              mod->timestamp_value, "timestamp"))
			return;
	} else if (f.has_timestamp &&
	           !set_time(rec, arena, nullptr, f.timestamp, f.timestamp_number, f.timestamp_value,
	                     "timestamp")) {
		return;
	}
	if (!found) {
		/* A connection that served no chain: its own code, not a fault of the data. */
		rec->flags |= SCAN_REC_NO_CHAIN;
		if (mod && !mod->status.empty())
			scan_fail(rec, arena, "no_chain", "zgrab: no server certificates (status %.*s)",
			          (int)std::min<size_t>(mod->status.size(), 120), mod->status.data());
		else
			scan_fail(rec, arena, "no_chain", "zgrab: no server certificates");
		return;
	}
	if (found->leaf.type) {
		scan_fail(rec, arena, "zgrab", "zgrab: server_certificates.certificate.raw missing");
		return;
	}
	if (!chain_item(rec, arena, found->leaf,
	                scan_item_name{"certificate.raw", -1, nullptr}, d))
		return scan_ders_free(&d);
	for (size_t i = 0; i < found->chain.size(); i++) {
		scan_item_name name{"chain", long(i), ".raw"};
		if (found->chain[i].type) {
			char label[64];
			scan_fail(rec, arena, "zgrab", "zgrab: %s missing", scan_item_label(name, label));
			return scan_ders_free(&d);
		}
		if (!chain_item(rec, arena, found->chain[i], name, d))
			return scan_ders_free(&d);
	}
	scan_set_chain(rec, arena, &d);
}

bool utf8_valid(const char *s, size_t n)
{
	return simdjson::validate_utf8(s, n);
}

/* Whether a line gives no record: whitespace only (after a BOM on line 1). */
bool blank(const scan_json_reader *r, const char *line, size_t len)
{
	string_view text = trim(string_view(line, len));
	if (r->line == 1 && text.substr(0, 3) == "\xef\xbb\xbf")
		text = trim(text.substr(3));
	return text.empty();
}

/* One line (without its newline): a record, or nothing when blank. */
void read_line(scan_json_reader *r, const char *line, size_t len, size_t room,
               scan_records *recs, scan_arena *arena)
{
	if (blank(r, line, len))
		return;
	string_view text = trim(string_view(line, len));
	if (r->line == 1 && text.substr(0, 3) == "\xef\xbb\xbf") /* a BOM */
		text = trim(text.substr(3));
	scan_record *rec = scan_records_push(recs, r->line, r->input);
	if (!rec)
		return;
	if (!utf8_valid(line, len)) {
		scan_fail(rec, arena, "not_utf8", "not UTF-8 text");
		return;
	}
	/* simdjson reads up to SIMDJSON_PADDING bytes past the end: lines near the
	 * end of the block are copied with that padding. */
	const char *buf = text.data();
	size_t cap = room - (size_t)(text.data() - line);
	if (cap < text.size() + SIMDJSON_PADDING) {
		r->padded.assign(text.begin(), text.end());
		r->padded.resize(text.size() + SIMDJSON_PADDING, '\0');
		buf = r->padded.data();
		cap = r->padded.size();
	}
	r->f = fields{};
	ondemand::document doc;
	ondemand::object obj;
	error_code e = r->parser.iterate(buf, text.size(), cap).get(doc);
	ondemand::json_type t{};
	if (!e)
		e = doc.type().get(t);
	if (!e && t != ondemand::json_type::object) {
		/* type() looks at the first character only: read the scalar, so
		 * that "tru" is invalid JSON and "true" a bool. */
		bool b;
		double d;
		string_view str;
		if (t == ondemand::json_type::boolean)
			e = doc.get_bool().get(b);
		else if (t == ondemand::json_type::null)
			e = doc.is_null().get(b) || !b ? INCORRECT_TYPE : SUCCESS;
		else if (t == ondemand::json_type::number)
			e = doc.get_double().get(d);
		else if (t == ondemand::json_type::string)
			e = doc.get_string().get(str);
		if (!e) {
			scan_fail(rec, arena, "not_object", "expected a JSON object, got %s",
			          python_type(t, text));
			return;
		}
	}
	if (!e)
		e = doc.get_object().get(obj);
	if (!e)
		e = read_fields(obj, r->f);
	const char *after;
	if (!e && doc.current_location().get(after) == SUCCESS)
		e = TRAILING_CONTENT; /* something after the object */
	if (e) {
		scan_fail(rec, arena, "invalid_json", "invalid JSON: %s", json_problem(e, text));
		return;
	}
	build(r, rec, arena);
}

} // namespace

extern "C" scan_json_reader *scan_json_reader_new(uint32_t input, size_t max_line,
                                                  scan_host_from host_from)
{
	scan_json_reader *r = new (std::nothrow) scan_json_reader;
	if (r) {
		r->input = input;
		r->max_line = max_line;
		r->host_from = host_from;
	}
	return r;
}

extern "C" void scan_json_reader_free(scan_json_reader *r)
{
	delete r;
}

extern "C" uint64_t scan_json_lines(const scan_json_reader *r)
{
	return r->line;
}

extern "C" void scan_json_set_lines(scan_json_reader *r, uint64_t lines)
{
	r->line = lines;
}

extern "C" size_t scan_json_read(scan_json_reader *r, const char *data, size_t len, bool final,
                                 size_t limit, scan_records *recs, scan_arena *arena)
{
	size_t pos = 0, first = recs->n;
	while (pos < len && (!limit || recs->n - first < limit)) {
		const char *nl = (const char *)memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		if (r->skipping) {
			/* The rest of an over-long line: dropped. */
			if (!nl) {
				pos = len;
				break;
			}
			r->skipping = false;
			pos = end + 1;
			continue;
		}
		if (end - pos > r->max_line) {
			r->line++;
			bool skipped = r->skip > 0;
			scan_record *rec = skipped ? (r->skip--, nullptr)
			                           : scan_records_push(recs, r->line, r->input);
			if (rec)
				scan_fail(rec, arena, "too_long", "line longer than %zu bytes", r->max_line);
			r->skipping = !nl;
			pos = nl ? end + 1 : len;
			if (skipped && r->skip == 0)
				return pos;
			continue;
		}
		if (!nl && !final)
			break; /* an incomplete line: passed again with more data */
		r->line++;
		if (r->skip) {
			/* --resume: a record already in the output, passed over unparsed;
			 * the call returns after the last one, so that the caller can
			 * check where the skip ended (scan_json_lines). */
			bool record = !blank(r, data + pos, end - pos);
			pos = nl ? end + 1 : len;
			if (record && --r->skip == 0)
				return pos;
			continue;
		}
		/* Built without exceptions: the few std::vector growths of a line
		 * (bounded by max_line) abort on out-of-memory, like malloc failing
		 * inside libstdc++ anywhere else. */
		read_line(r, data + pos, end - pos, len - pos, recs, arena);
		pos = nl ? end + 1 : len;
	}
	return pos;
}

extern "C" void scan_json_skip(scan_json_reader *r, uint64_t records)
{
	r->skip = records;
}

extern "C" uint64_t scan_json_skip_left(const scan_json_reader *r)
{
	return r->skip;
}
