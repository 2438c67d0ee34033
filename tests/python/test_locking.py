"""Lock discipline of TrustStore and Pool under threads (issue 11, defect 1).

Readers of a store (``rejected``, ``len``, ``repr``, ``crl_bytes``, verify)
and writers (``add_pem``, ``add_crl``, ``distrust_after``) run at once from
several threads. Before the fix a reader waited for the store's lock while
holding the GIL and the writer, holding the lock, waited for the GIL: the
interpreter froze. The stress runs in a child interpreter with a deadline:
a hang is killed and reported (a watchdog, not a timed assertion).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

STRESS = textwrap.dedent("""
    import sys, threading
    import chainval
    from chainval.testing import PKI

    pki = PKI()
    root = pki.root("Lock Root")
    inter = root.intermediate("Lock Int")
    leaves = [inter.leaf(dns=["www.example.com"]) for _ in range(8)]
    rounds = int(sys.argv[1])
    store = chainval.TrustStore.from_pem(root.pem)
    pool = chainval.Pool([inter.der])
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # reported by the main thread
                errors.append(repr(e))
        return run

    def add_store():
        for i in range(rounds):
            store.add_pem(leaves[i % 8].pem + b"junk-----BEGIN CERTIFICATE-----\\n@@\\n-----END CERTIFICATE-----\\n")

    def add_pool():
        for i in range(rounds):
            pool.add_pem(leaves[i % 8].pem)

    def read_store():
        for _ in range(rounds):
            store.rejected; len(store); repr(store); store.crl_bytes

    def read_pool():
        for _ in range(rounds):
            pool.rejected; len(pool); repr(pool)

    def verify():
        for i in range(rounds // 4):
            r = chainval.verify([leaves[i % 8].der], store=store, intermediates=pool,
                                policy=chainval.Policy(at=1893456000))
            assert r.ok, r.code
            chainval.verify_many([[leaves[i % 8].der]] * 4, store=store, intermediates=pool,
                                 policy=chainval.Policy(at=1893456000))

    threads = [threading.Thread(target=guard(f)) for f in
               (add_store, add_store, add_pool, add_pool, read_store, read_pool, verify, verify)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("\\n".join(errors))
        sys.exit(1)
    print("done", len(store), len(pool), len(store.rejected))
""")


def test_readers_and_writers_do_not_deadlock(tmp_path):
    script = tmp_path / "stress.py"
    script.write_text(STRESS)
    rounds = os.environ.get("CHAINVAL_LOCK_ROUNDS", "3000")
    try:
        out = subprocess.run([sys.executable, str(script), rounds], capture_output=True,
                             text=True, timeout=180, env=dict(os.environ))
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"4 writers and 4 readers did not finish in 180 s: a deadlock "
                             f"({e.stdout!r}, {e.stderr!r})") from None
    assert out.returncode == 0, out.stdout + out.stderr
    # root + 8 leaves; the intermediate + 8 leaves; one junk block per store add
    assert out.stdout.split() == ["done", "9", "9", str(2 * int(rounds))], out.stdout


FORK = textwrap.dedent("""
    import os, sys, threading, time
    import chainval
    from chainval.testing import PKI, pem_bundle

    pki = PKI()
    root = pki.root("Fork Root")
    inter = root.intermediate("Fork Int")
    leaves = [inter.leaf(dns=["www.example.com"]) for _ in range(200)]
    big = pem_bundle(*leaves) * 5      # an add that holds the lock for a while
    store = chainval.TrustStore.from_pem(root.pem)
    pool = chainval.Pool([inter.der])
    stop = threading.Event()

    def busy(target):
        while not stop.is_set():
            target.add_pem(big)

    def verifying():
        while not stop.is_set():
            chainval.verify([leaves[0].der], store=store, intermediates=pool,
                            policy=chainval.Policy(at=1893456000))

    threads = [threading.Thread(target=busy, args=(store,)),
               threading.Thread(target=busy, args=(pool,)),
               threading.Thread(target=verifying)]
    for t in threads:
        t.start()
    hung = 0
    for i in range(int(sys.argv[1])):
        time.sleep(0.01)
        pid = os.fork()
        if pid == 0:
            # the child: every lock usable, whatever the parent's threads held
            store.add_pem(leaves[1].pem)
            pool.add_pem(leaves[2].pem)
            r = chainval.verify([leaves[0].der], store=store, intermediates=pool,
                                policy=chainval.Policy(at=1893456000))
            os._exit(0 if r.ok else 3)
        for _ in range(500):  # 10 s
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            hung += 1
            continue
        assert os.waitstatus_to_exitcode(status) == 0, status
    stop.set()
    for t in threads:
        t.join()
    print("hung", hung)
""")


def test_fork_while_other_threads_hold_locks(tmp_path):
    """Defect 8: a fork() while another thread held a store's lock left the
    child unable to add (the lock stayed held for ever in the child)."""
    script = tmp_path / "fork.py"
    script.write_text(FORK)
    out = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", str(script), "20"],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == ["hung", "0"], out.stdout
