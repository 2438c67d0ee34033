/* _tls_handshake(): a GnuTLS client handshake on a connected socket, for
 * `chainval probe`. It captures what the server sent (its certificates exactly
 * as served, the stapled OCSP response) and what was negotiated; it verifies
 * nothing: no trust is configured and no verification function is set, so
 * GnuTLS accepts any chain and chainval verifies it afterwards. The socket
 * stays the caller's (Python opened it and did any STARTTLS dialogue). */
#include "_chainval.h"

#include <gnutls/gnutls.h>
#include <string.h>

typedef struct {
	int fd;
	const char *server_name, *priority;
	unsigned int timeout_ms;
	int ret;
	const char *where;
	gnutls_session_t session;
} handshake;

static void run_handshake(handshake *h)
{
	gnutls_certificate_credentials_t creds = NULL;
	const char *err_pos = NULL;

	h->where = "setup";
	if ((h->ret = gnutls_certificate_allocate_credentials(&creds)) < 0)
		return;
	if ((h->ret = gnutls_init(&h->session, GNUTLS_CLIENT)) < 0) {
		h->session = NULL;
		gnutls_certificate_free_credentials(creds);
		return;
	}
	h->where = "priority";
	h->ret = gnutls_priority_set_direct(h->session, h->priority ? h->priority : "NORMAL", &err_pos);
	if (h->ret >= 0)
		h->ret = gnutls_credentials_set(h->session, GNUTLS_CRD_CERTIFICATE, creds);
	if (h->ret >= 0 && h->server_name) {
		h->where = "server name";
		h->ret = gnutls_server_name_set(h->session, GNUTLS_NAME_DNS, h->server_name,
		                                strlen(h->server_name));
	}
	if (h->ret >= 0) {
		h->where = "handshake";
		gnutls_transport_set_int(h->session, h->fd);
		gnutls_handshake_set_timeout(h->session, h->timeout_ms);
		do
			h->ret = gnutls_handshake(h->session);
		while (h->ret < 0 && !gnutls_error_is_fatal(h->ret));
	}
	/* The credentials must outlive the session's use of them: freed by the caller. */
	gnutls_session_set_ptr(h->session, creds);
}

static PyObject *peer_chain(gnutls_session_t s)
{
	unsigned int n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	PyObject *list = PyList_New(certs ? (Py_ssize_t)n : 0);
	for (unsigned int i = 0; list && certs && i < n; i++) {
		PyObject *b = PyBytes_FromStringAndSize((const char *)certs[i].data, certs[i].size);
		if (!b) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, i, b);
	}
	return list;
}

static PyObject *stapled_ocsp(gnutls_session_t s)
{
	gnutls_datum_t resp = {NULL, 0};
	if (gnutls_ocsp_status_request_get(s, &resp) < 0 || !resp.data)
		Py_RETURN_NONE;
	return PyBytes_FromStringAndSize((const char *)resp.data, resp.size);
}

static PyObject *failure(const handshake *h)
{
	if (h->ret == GNUTLS_E_FATAL_ALERT_RECEIVED && h->session)
		return PyErr_Format(PyExc_ConnectionError, "TLS handshake failed: the server sent "
		                    "the alert \"%s\"", gnutls_alert_get_name(gnutls_alert_get(h->session)));
	if (h->ret == GNUTLS_E_TIMEDOUT)
		return PyErr_Format(PyExc_TimeoutError, "TLS handshake timed out");
	if (h->ret == GNUTLS_E_INVALID_REQUEST && strcmp(h->where, "priority") == 0)
		return PyErr_Format(PyExc_ValueError, "invalid GnuTLS priority string");
	if (strcmp(h->where, "priority") == 0)
		return PyErr_Format(PyExc_ValueError, "invalid GnuTLS priority string: %s",
		                    gnutls_strerror(h->ret));
	return PyErr_Format(PyExc_ConnectionError, "TLS %s failed: %s", h->where,
	                    gnutls_strerror(h->ret));
}

PyObject *chainval_tls_handshake(PyObject *module, PyObject *args, PyObject *kwargs)
{
	static char *kw[] = {"fd", "server_name", "priority", "timeout_ms", NULL};
	handshake h = {.fd = -1, .timeout_ms = 10000, .ret = 0, .where = "", .session = NULL};
	(void)module;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "i|zzI:_tls_handshake", kw, &h.fd,
	                                 &h.server_name, &h.priority, &h.timeout_ms))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	run_handshake(&h);
	Py_END_ALLOW_THREADS
	PyObject *out = NULL;
	if (h.ret < 0) {
		failure(&h);
	} else {
		char *desc = gnutls_session_get_desc(h.session);
		gnutls_protocol_t v = gnutls_protocol_get_version(h.session);
		const char *version = gnutls_protocol_get_name(v);
		out = Py_BuildValue("(NssN)", peer_chain(h.session), version ? version : "unknown",
		                    desc ? desc : "unknown", stapled_ocsp(h.session));
		gnutls_free(desc);
	}
	if (h.session) {
		gnutls_certificate_credentials_t creds = gnutls_session_get_ptr(h.session);
		gnutls_deinit(h.session);
		if (creds)
			gnutls_certificate_free_credentials(creds);
	}
	return out;
}
