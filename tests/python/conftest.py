"""pytest configuration for the chainval suite.

Run from the repository root after building the extension:

    PYTHONPATH=build-py/python python3 -m pytest tests/python

Tests marked ``slow`` (the long memory check) are skipped unless
``CHAINVAL_SLOW=1`` is set in the environment.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chainval  # noqa: E402
from chainval.testing import PKI, pem_bundle, tamper_signature, utc  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from _support import T  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long-running check (memory); run only with CHAINVAL_SLOW=1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CHAINVAL_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow test: set CHAINVAL_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    return (f"chainval {chainval.__version__} from {os.path.dirname(chainval.__file__)}, "
            f"libchain {chainval.LIBCHAIN_VERSION} (headers {chainval.LIBCHAIN_HEADER_VERSION})")


class World:
    """A small P-256 PKI shared by the whole session (built once, ~50 ms).

    root -> inter (pathLen 0) -> leaves; an unrelated other_root -> other_inter
    -> other_leaf. Every certificate is valid 2020..2099 unless said otherwise;
    the suite verifies at T (2030-01-01) unless a test says otherwise.
    """

    def __init__(self) -> None:
        pki = PKI()
        self.pki = pki
        self.root = pki.root("chainval Test Root")
        self.inter = self.root.intermediate("chainval Test Int", path_length=0)
        self.leaf = self.inter.leaf(dns=["www.example.com", "example.com"], ips=["192.0.2.10"])
        self.client_leaf = self.inter.leaf(dns=["client.example.com"], eku=["client"])
        self.expired_leaf = self.inter.leaf(dns=["www.example.com"], not_before=utc(2020),
                                            not_after=utc(2025))
        self.future_leaf = self.inter.leaf(dns=["www.example.com"], not_before=utc(2031),
                                           not_after=utc(2040))
        self.badsig_leaf = tamper_signature(self.leaf.der)  # DER bytes
        self.named_leaf = self.inter.leaf(
            subject=x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Org"),
                x509.NameAttribute(NameOID.COMMON_NAME, "named.example.com"),
            ]),
            dns=["named.example.com"])
        self.expired_inter = self.root.intermediate("chainval Expired Int", path_length=0,
                                                    not_before=utc(2020), not_after=utc(2025))
        self.leaf_under_expired_inter = self.expired_inter.leaf(dns=["www.example.com"])
        self.other_root = pki.root("chainval Other Root")
        self.other_inter = self.other_root.intermediate("chainval Other Int", path_length=0)
        self.other_leaf = self.other_inter.leaf(dns=["www.example.com"])

    # Served chains, leaf first, as DER lists.
    @property
    def ok_chain(self) -> list[bytes]:
        return [self.leaf.der, self.inter.der]

    @property
    def ok_path(self) -> list[bytes]:
        return [self.leaf.der, self.inter.der, self.root.der]

    @property
    def ok_bundle(self) -> bytes:
        return pem_bundle(self.leaf, self.inter)


@pytest.fixture(scope="session")
def world() -> World:
    return World()


@pytest.fixture
def store(world) -> chainval.TrustStore:
    """A fresh store holding world.root only."""
    s = chainval.TrustStore()
    assert s.add_pem(world.root.pem) == 1
    return s


@pytest.fixture(scope="session")
def policy() -> chainval.Policy:
    return chainval.Policy(hostname="www.example.com", at=T)


@pytest.fixture(scope="session")
def corpus():
    from _support import Corpus
    return Corpus()


@pytest.fixture(scope="session")
def corpus_store(corpus) -> chainval.TrustStore:
    return corpus.store()


@pytest.fixture(scope="session")
def corpus_expected(corpus, corpus_store) -> list:
    """Sequential chainval.verify() over the corpus (ParseError -> "malformed")."""
    return corpus.verify_each(corpus_store)
