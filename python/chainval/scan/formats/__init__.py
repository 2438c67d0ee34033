"""Input formats of ``chainval scan``: detection, streaming readers, record parsing.

The bulk formats (jsonl, zgrab, csv) are read in C by the scan engine
(scanner/read_json.cc, read_csv.c): :meth:`Input.blocks` hands it their bytes.
The others (ct, sonar, pem) are read here: :meth:`Input.records` yields
:class:`Record` objects one at a time. Either way an input is read in bounded
pieces: memory does not grow with its size. A record that cannot be understood
is still a record, and becomes a ``malformed`` output row. Nothing here
verifies anything.

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
  (base64, PEM blocks), ``MAX_RECORD_BYTES``, and :func:`parse_at`, the commands' ``--at``.
* ``blocks``: an input's bytes in blocks, gzip inflated with zlib, damage reported.
* ``streams``: opening files (gzip, stdin), bounded reads, lines, directory listings.
* ``detect``: :func:`detect_format`, from an input's first bytes and its name.
* ``ct``, ``pem``: the records of CT get-entries and PEM/DER inputs.
* ``sonar``: Rapid7 Sonar hosts files and their certs files in SQLite.
* ``input``: :class:`Input`, one input argument, dispatching to the readers above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_exports

if TYPE_CHECKING:
    from .ct import parse_ct_entry
    from .detect import detect_format
    from .input import FORMATS, Input
    from .record import Record, parse_at, parse_time

__all__ = [
    "FORMATS",
    "Input",
    "Record",
    "detect_format",
    "parse_at",
    "parse_ct_entry",
    "parse_time",
]

# The names above, each imported from its module on first use (PEP 562): a
# command that needs only ``parse_at`` (``chainval verify --at``) or the
# records does not import the readers (``input`` brings sonar and sqlite3).
_EXPORTS = {"parse_ct_entry": "ct", "detect_format": "detect", "FORMATS": "input",
            "Input": "input", "Record": "record", "parse_at": "record",
            "parse_time": "record"}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
