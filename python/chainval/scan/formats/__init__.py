"""Input formats of ``chainval scan``: detection, streaming readers, record parsing.

Every reader yields :class:`Record` objects one at a time, reading its input in
bounded pieces (a line, a JSON element, one PEM file): memory does not grow
with the size of the input. A record that cannot be understood is still a
record: it carries ``error`` (why) instead of a chain, and becomes a
``malformed`` output row. Nothing here verifies anything; verification is
libchain's, through :func:`chainval.verify_many`.

Formats (``FORMATS``):

* ``jsonl``: one JSON object per line, ``{"id", "host", "time", "chain": [base64 DER, ...]}``
  (a chain item may also be PEM text). Lines of zgrab2 output are accepted too.
* ``zgrab``: zgrab2 JSON lines (``data.<module>.result.handshake_log.server_certificates``).
* ``csv``: a header naming the columns (``id,host,chain``, optionally ``time``), then one
  chain per line, its certificates base64 DER joined by ``;``.
* ``pem``: a PEM (or DER) file, or a directory of them: one chain per file.
* ``ct``: CT log ``get-entries`` responses (``{"entries": [{"leaf_input", "extra_data"}]}``),
  one document or many (pretty-printed or one per line), or bare entries one per line.
* ``sonar``: a Rapid7 Sonar SSL hosts (or "More SSL" endpoints) file, lines ``ip,sha1hex``;
  consecutive lines of one IP are one chain, leaf first. The certificates come from the
  study's certs files (``sha1hex,base64der``), loaded into an on-disk SQLite database
  (:mod:`.sonar`): by default the ``_certs`` file beside the hosts file.

gzip-compressed inputs are recognized by their magic bytes; ``-`` is stdin.

Modules, each importing only those listed before it:

* ``record``: :class:`Record`, :func:`parse_time`, the value parsers the formats share
  (base64, PEM blocks, chain items, host names) and ``MAX_RECORD_BYTES``.
* ``streams``: opening inputs (gzip, stdin), bounded reads, lines, directory listings.
* ``detect``: :func:`detect_format`, from an input's first bytes and its name.
* ``jsonl``, ``table``, ``ct``, ``pem``: the records of each format (JSON lines and
  zgrab2, CSV, CT get-entries, PEM/DER).
* ``sonar``: Rapid7 Sonar hosts files and their certs files in SQLite.
* ``input``: :class:`Input`, one input argument, dispatching to the readers above.
"""

from __future__ import annotations

from .ct import parse_ct_entry
from .detect import detect_format
from .input import FORMATS, Input
from .record import Record, parse_time

__all__ = [
    "FORMATS",
    "Input",
    "Record",
    "detect_format",
    "parse_ct_entry",
    "parse_time",
]
