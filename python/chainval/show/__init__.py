"""Commands that explain one chain to a person: ``chainval verify`` (and, to come,
``chainval probe``). They show the path libchain built, each check on each
certificate, and with ``--explain`` every other path it tried and why it was
rejected (docs/verify.md).

* ``chain_input``: the served chain from what people have (PEM bundles, ``openssl
  s_client -showcerts`` output, DER, PKCS#7).
* ``document``: the verification as one JSON-ready document (the ``--json`` schema).
* ``render``: that document as a tree on a terminal.
* ``verify``: ``chainval verify``: options and the run.

Imports go one way: ``verify`` uses the others; ``render`` uses ``document``'s shape
only. Certificate details the result does not carry (key, signature algorithm,
SANs, AIA) are read with pyca/cryptography, a well-kept library already used by
chainval.testing.
"""
