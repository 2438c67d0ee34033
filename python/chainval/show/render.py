"""The document of document.py as a tree for a person: the path leaf first, each
certificate with its details and checks (✔/✘), the verdict and every reason, hints,
and with --explain every path tried. Colour only when asked for (a terminal
without NO_COLOR: verify.py decides); ``ascii`` replaces the marks."""

from __future__ import annotations

__all__ = ["render"]

_RESET, _RED, _GREEN, _DIM, _BOLD = "\033[0m", "\033[31m", "\033[32m", "\033[2m", "\033[1m"


class _Style:
    def __init__(self, colour: bool, ascii_only: bool) -> None:
        self.colour = colour
        self.ok_mark = "[ok]" if ascii_only else "✔"
        self.bad_mark = "[FAIL]" if ascii_only else "✘"
        self.branch = "`- " if ascii_only else "└─ "
        self.bar = "|  " if ascii_only else "│  "

    def paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.colour else text

    def mark(self, ok: bool) -> str:
        return self.paint(self.ok_mark, _GREEN) if ok else self.paint(self.bad_mark, _RED)


def _where(c: dict) -> str:
    if c["source"] == "served":
        return f"served #{c['input_index']}" if c.get("input_index") is not None else "served"
    return {"pool": "from the pool", "store": "from the trust store"}.get(c["source"],
                                                                       c["source"])


def _validity(c: dict) -> str:
    text = f"{c['not_before'] or '?'} .. {c['not_after'] or '?'}"
    left = c.get("days_left")
    if left is None:
        return text
    return text + (f" ({left} days left)" if left >= 0 else f" (expired {-left} days before)")


def render(doc: dict, *, colour: bool = False, ascii_only: bool = False,
           explain: bool = False) -> str:
    s = _Style(colour, ascii_only)
    out: list[str] = []
    name = doc["name"]
    head = (f"chain of {doc['served']} certificate{'s' if doc['served'] != 1 else ''}"
            f", checked at {doc['time']} for purpose {doc['purpose']}"
            + (f", name {name}" if name else ", no name checked (give --host or --ip)"))
    conn = doc.get("connection")
    if conn:
        out.append(f"connected to {conn['host']} port {conn['port']}"
                   + (f" (STARTTLS {conn['starttls']})" if conn.get("starttls") else "")
                   + f", SNI {conn['sni'] or '(none)'}: {conn['version']}, {conn['session']}")
        out.append("stapled OCSP response: " + (f"{conn['ocsp_bytes']} bytes (checked on #0)"
                                                if conn["ocsp_stapled"] else "none"))
    out.append(head)
    out.append(f"trust anchors: {doc['roots']}")
    if doc.get("order_repaired"):
        out.append("(the leaf was not served first: it was found among the certificates)")
    out.append("")
    n = len(doc["path"])
    for c in doc["path"]:
        i = c["position"]
        indent = "   " * i
        first = indent + (s.branch if i else "")
        out.append(f"{first}{s.paint(f'#{i}', _BOLD)} {c['subject']}  "
                   f"{s.paint('(' + _where(c) + ')', _DIM)}")
        pad = indent + ("   " if i else "") + (s.bar if i < n - 1 else "   ")
        out.append(f"{pad}issuer    {c['issuer']}")
        out.append(f"{pad}validity  {_validity(c)}")
        if c.get("key") or c.get("signature_algorithm"):
            out.append(f"{pad}key       {c.get('key') or '?'}, signed with "
                       f"{c.get('signature_algorithm') or '?'}")
        if i == 0:
            out.append(f"{pad}names     {', '.join(c.get('sans') or []) or '(no SAN)'}")
        out.append(f"{pad}sha256    {c['fingerprint_sha256']}")
        for k in c["checks"]:
            why = "; ".join(r["message"] for r in k["reasons"])
            out.append(f"{pad}{s.mark(k['ok'])} {k['what']}" + (f": {why}" if why else ""))
    if not doc["path"] and doc.get("input_error"):
        e = doc["input_error"]
        out.append(f"{s.mark(False)} input: {e['message']}")
    out.append("")
    verdict = s.paint("TRUSTED", _GREEN) if doc["trusted"] else \
        s.paint(f"NOT TRUSTED ({doc['code']})", _RED)
    out.append(f"verdict: {verdict}")
    for r in doc["reasons"]:
        where = f" at #{r['depth']}" if r["depth"] >= 0 else ""
        out.append(f"  {s.mark(False)} {r['code']}{where}: {r['message']}")
    for h in doc.get("hints") or ():
        out.append(f"  hint: {h}")
    if explain:
        out += _attempts(doc, s)
    return "\n".join(out) + "\n"


def _attempts(doc: dict, s: _Style) -> list[str]:
    attempts = doc.get("attempts") or []
    out = ["", f"paths tried: {len(attempts)}"
           + (f" (and {doc['attempts_dropped']} more not kept)" if doc.get("attempts_dropped")
              else "")]
    for k, a in enumerate(attempts, 1):
        chain = []
        for j, c in enumerate(a["certificates"]):
            piece = f"{c['subject']} ({_where(c)})"
            if j < len(a["edges"]):
                e = a["edges"][j]
                sig = {"good": "", "bad_signature": " BAD SIGNATURE",
                       "unsupported": " UNSUPPORTED KEY/ALGORITHM"}.get(e["signature"], "")
                extra = [x for x in (("key id mismatch" if e["key_id"] is False else None),
                                     ("cached" if e["cached"] else None)) if x]
                piece += sig + (f" [{', '.join(extra)}]" if extra else "")
            chain.append(piece)
        end = {"trusted": "accepted", "rule_failed": "rejected", "no_issuer": "no issuer",
               "loop": "loop", "depth": "too deep", "budget": "budget ran out"}[a["end"]]
        ok = a["end"] == "trusted"
        out.append(f"{s.mark(ok)} {k}. {end}: " + " <- ".join(chain))
        for r in a["reasons"]:
            where = f" at #{r['depth']}" if r["depth"] >= 0 else ""
            out.append(f"      {r['code']}{where}: {r['message']}")
    return out
