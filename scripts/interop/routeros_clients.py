#!/usr/bin/env python3
"""Drive a running `ispvm-sim` with RouterOS clients nobody on this project wrote.

Reference clients (PyPI): `librouteros` 4.x and `RouterOS-api`. Checks logins (plain on
>= 6.43, the MD5 challenge before), print with `.proplist` and queries, `=count-only=`, tags
(RouterOS-api tags every command; we also interleave tagged commands on a raw socket),
`!empty` on empty results for 7.18+ (and its absence before), two `!trap`s then `!done` for
an unknown path, and `!fatal` after `/quit`.

The simulator must serve its default aggregation router (`agg1`). Usage:

    routeros_clients.py --host 127.0.0.1 --port N --user U --password-env VAR
                        --version 7.18.2 [--tls-port N --ca PEM]

Exit 0 when every check passed; 1 with one line per failure otherwise; 77 when a client
package is missing (so the caller can tell "not installed" from "broken").
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import sys
import traceback

try:
    import librouteros
    from librouteros.exceptions import FatalError, MultiTrapError, TrapError
    from librouteros.login import plain, token
    from librouteros.query import Key, Or
    import routeros_api
    from routeros_api.exceptions import RouterOsApiCommunicationError
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"missing python package: {e.name} (pip install 'librouteros>=4,<5' RouterOS-api)")
    sys.exit(77)

FAILURES: list[str] = []
PASSED: list[str] = []


def check(name, cond, detail=""):
    if cond:
        PASSED.append(name)
    else:
        FAILURES.append(f"{name}: {detail}")


def run(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        FAILURES.append(f"{name}: {type(e).__name__}: {e}\n{traceback.format_exc()}")


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split(".")[:3] if x.isdigit())


# ---------------------------------------------------------------------------------------------
# A minimal raw client, to see the exact reply words (the libraries hide `!empty` and tags).


def enc_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


class Raw:
    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def send(self, *words: str) -> None:
        out = b"".join(enc_len(len(w.encode())) + w.encode() for w in words) + b"\x00"
        self.sock.sendall(out)

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def word(self) -> bytes:
        b = self._read(1)[0]
        if b < 0x80:
            n = b
        elif b < 0xC0:
            n = ((b & 0x3F) << 8) | self._read(1)[0]
        elif b < 0xE0:
            n = ((b & 0x1F) << 16) | int.from_bytes(self._read(2), "big")
        elif b < 0xF0:
            n = ((b & 0x0F) << 24) | int.from_bytes(self._read(3), "big")
        elif b == 0xF0:
            n = int.from_bytes(self._read(4), "big")
        else:
            raise ValueError(f"control byte {b:#x}")
        return self._read(n)

    def sentence(self) -> list[str]:
        words = []
        while True:
            w = self.word()
            if not w:
                return words
            words.append(w.decode("utf-8", "replace"))

    def until_done(self) -> list[list[str]]:
        out = []
        while True:
            s = self.sentence()
            out.append(s)
            if s[0] in ("!done", "!fatal"):
                return out

    def close(self) -> None:
        self.sock.close()


def raw_login(args) -> Raw:
    r = Raw(args.host, args.port)
    if version_tuple(args.version) >= (6, 43):
        r.send("/login", f"=name={args.user}", f"=password={args.password}")
        check("raw: plain login", r.until_done() == [["!done"]])
    else:
        import hashlib

        r.send("/login")
        reply = r.until_done()
        ret = reply[-1][1].split("=", 2)[2]
        digest = hashlib.md5(b"\x00" + args.password.encode() + bytes.fromhex(ret)).hexdigest()
        r.send("/login", f"=name={args.user}", f"=response=00{digest}")
        check("raw: md5 login", r.until_done() == [["!done"]])
    return r


def raw_checks(args) -> None:
    r = raw_login(args)
    v7_18 = version_tuple(args.version) >= (7, 18)

    # Empty result: `!empty` then `!done` on 7.18+, only `!done` before.
    r.send("/interface/print", "?name=no-such-interface")
    got = r.until_done()
    want = [["!empty"], ["!done"]] if v7_18 else [["!done"]]
    check("raw: empty result", got == want, f"{got} != {want}")

    # Tagged empty result keeps its tag on both sentences.
    r.send("/interface/print", "?name=no-such-interface", ".tag=e1")
    got = r.until_done()
    want = [["!empty", ".tag=e1"], ["!done", ".tag=e1"]] if v7_18 else [["!done", ".tag=e1"]]
    check("raw: tagged empty result", got == want, f"{got} != {want}")

    # Unknown path: two traps then done, the connection lives on.
    r.send("/no/such/menu/print", ".tag=t9")
    got = r.until_done()
    kinds = [s[0] for s in got]
    check("raw: two traps then done", kinds == ["!trap", "!trap", "!done"], f"{got}")
    check("raw: traps tagged", all(".tag=t9" in s for s in got), f"{got}")
    check(
        "raw: trap has a message",
        all(any(w.startswith("=message=") for w in s) for s in got[:2]),
        f"{got}",
    )

    # Two tagged commands written back to back: every reply carries its own tag.
    r.send("/interface/print", "=.proplist=name", ".tag=a")
    r.send("/system/identity/print", ".tag=b")
    by_tag: dict[str, list[list[str]]] = {"a": [], "b": []}
    done = set()
    while len(done) < 2:
        s = r.sentence()
        tag = next(w[5:] for w in s if w.startswith(".tag="))
        by_tag[tag].append(s)
        if s[0] == "!done":
            done.add(tag)
    names = [w for s in by_tag["a"] if s[0] == "!re" for w in s if w.startswith("=name=")]
    check("raw: tag a rows", len(names) == 6, f"{by_tag['a']}")
    check(
        "raw: tag b identity",
        ["!re", "=name=agg1", ".tag=b"] in by_tag["b"]
        or ["!re", ".tag=b", "=name=agg1"] in by_tag["b"],
        f"{by_tag['b']}",
    )

    # `/quit` gets `!fatal` and the connection closes.
    r.send("/quit")
    got = r.sentence()
    check("raw: quit is fatal", got and got[0] == "!fatal", f"{got}")
    try:
        rest = r.sock.recv(1)
        check("raw: closed after fatal", rest == b"", f"{rest!r}")
    except OSError:
        PASSED.append("raw: closed after fatal")
    r.close()


# ---------------------------------------------------------------------------------------------
# librouteros 4.x


def librouteros_connect(args, ssl_wrapper=None, port=None):
    method = plain if version_tuple(args.version) >= (6, 43) else token
    return librouteros.connect(
        args.host,
        args.user,
        args.password,
        port=port or args.port,
        login_method=method,
        ssl_wrapper=ssl_wrapper,
        encoding="utf-8",
        timeout=10,
    )


def librouteros_checks(args) -> None:
    api = librouteros_connect(args)
    ident = tuple(api("/system/identity/print"))
    check("librouteros: identity", ident == ({"name": "agg1"},), f"{ident}")

    res = tuple(api.path("system", "resource"))
    check("librouteros: resource version", str(res[0].get("version", "")).startswith(args.version), f"{res}")

    rows = tuple(
        api.path("interface").select(Key("name"), Key("running")).where(Key("type") == "ether")
    )
    names = sorted(r["name"] for r in rows)
    check(
        "librouteros: proplist + query",
        names == ["ether1", "ether2", "sfp-sfpplus1", "sfp-sfpplus2"],
        f"{rows}",
    )
    check("librouteros: proplist keys", all(set(r) == {"name", "running"} for r in rows), f"{rows}")
    check("librouteros: booleans", all(r["running"] is True for r in rows), f"{rows}")

    rows = tuple(
        api.path("interface").select(Key("name")).where(Or(Key("name") == "ether1", Key("name") == "lo"))
    )
    check("librouteros: or query", sorted(r["name"] for r in rows) == ["ether1", "lo"], f"{rows}")

    rows = tuple(api.path("interface").select(Key("name")).where(Key("name").In("ether2", "vlan100")))
    check("librouteros: In query", sorted(r["name"] for r in rows) == ["ether2", "vlan100"], f"{rows}")

    count = tuple(api("/ppp/active/print", **{"count-only": ""}))
    check("librouteros: count-only", count == ({"ret": 1212},), f"{count}")
    count = tuple(api.rawCmd("/ppp/active/print", "=count-only=", "?service=pppoe"))
    check("librouteros: count-only with query", count == ({"ret": 1200},), f"{count}")

    empty = tuple(api.path("interface").select(Key("name")).where(Key("name") == "nope"))
    check("librouteros: empty result", empty == (), f"{empty}")

    try:
        tuple(api("/no/such/menu/print"))
        check("librouteros: unknown path traps", False, "no error")
    except MultiTrapError as e:
        check("librouteros: unknown path gives two traps", len(e.traps) == 2, f"{e!r}")
    except TrapError as e:
        check("librouteros: unknown path gives two traps", False, f"only one trap: {e!r}")
    again = tuple(api("/system/identity/print"))
    check("librouteros: connection usable after traps", again == ({"name": "agg1"},), f"{again}")

    try:
        tuple(api("/quit"))
        check("librouteros: quit is fatal", False, "no error")
    except FatalError:
        PASSED.append("librouteros: quit is fatal")
    api.close()

    try:
        librouteros.connect(
            args.host,
            args.user,
            args.password + "-wrong",
            port=args.port,
            login_method=plain if version_tuple(args.version) >= (6, 43) else token,
            timeout=10,
        )
        check("librouteros: wrong password refused", False, "login accepted")
    except TrapError:
        PASSED.append("librouteros: wrong password refused")


def librouteros_tls(args) -> None:
    ctx = ssl.create_default_context(cafile=args.ca)
    api = librouteros_connect(
        args,
        ssl_wrapper=lambda s: ctx.wrap_socket(s, server_hostname="localhost"),
        port=args.tls_port,
    )
    ident = tuple(api("/system/identity/print"))
    check("librouteros: TLS identity", ident == ({"name": "agg1"},), f"{ident}")
    api.close()


# ---------------------------------------------------------------------------------------------
# RouterOS-api


def routeros_api_pool(args, **kw):
    return routeros_api.RouterOsApiPool(
        args.host,
        username=args.user,
        password=args.password,
        plaintext_login=version_tuple(args.version) >= (6, 43),
        **kw,
    )


def routeros_api_checks(args) -> None:
    pool = routeros_api_pool(args, port=args.port)
    api = pool.get_api()
    ident = api.get_resource("/system/identity").get()
    check("RouterOS-api: identity", [dict(r) for r in ident] == [{"name": "agg1"}], f"{ident}")

    rows = api.get_resource("/interface").get(type="ether")
    names = sorted(r["name"] for r in rows)
    check(
        "RouterOS-api: query",
        names == ["ether1", "ether2", "sfp-sfpplus1", "sfp-sfpplus2"],
        f"{rows}",
    )

    rows = api.get_resource("/interface").call("print", {".proplist": "name,type"}, {"name": "vlan100"})
    check(
        "RouterOS-api: proplist + query",
        [dict(r) for r in rows] == [{"name": "vlan100", "type": "vlan"}],
        f"{rows}",
    )

    resp = api.get_resource("/ppp/active").call("print", {"count-only": ""})
    check("RouterOS-api: count-only", resp.done_message.get("ret") == "1212", f"{resp.done_message}")

    rows = api.get_resource("/interface").get(name="nope")
    check("RouterOS-api: empty result", list(rows) == [], f"{rows}")

    # Tags: RouterOS-api tags every command; issue three at once and collect out of order.
    iface = api.get_resource("/interface")
    p1 = iface.get_async(type="ether")
    p2 = api.get_resource("/system/identity").get_async()
    p3 = iface.get_async(name="lo")
    r3, r2, r1 = p3.get(), p2.get(), p1.get()
    check("RouterOS-api: tagged 3", [r["name"] for r in r3] == ["lo"], f"{r3}")
    check("RouterOS-api: tagged 2", [r["name"] for r in r2] == ["agg1"], f"{r2}")
    check("RouterOS-api: tagged 1", len(r1) == 4, f"{r1}")

    try:
        api.get_resource("/no/such/menu").get()
        check("RouterOS-api: unknown path traps", False, "no error")
    except RouterOsApiCommunicationError:
        PASSED.append("RouterOS-api: unknown path traps")
    ident = api.get_resource("/system/identity").get()
    check("RouterOS-api: usable after traps", ident[0]["name"] == "agg1", f"{ident}")
    pool.disconnect()

    bad = routeros_api.RouterOsApiPool(
        args.host,
        username=args.user,
        password=args.password + "-wrong",
        port=args.port,
        plaintext_login=version_tuple(args.version) >= (6, 43),
    )
    try:
        bad.get_api()
        check("RouterOS-api: wrong password refused", False, "login accepted")
    except RouterOsApiCommunicationError:
        PASSED.append("RouterOS-api: wrong password refused")


def routeros_api_tls(args) -> None:
    ctx = ssl.create_default_context(cafile=args.ca)
    pool = routeros_api_pool(args, port=args.tls_port, ssl_context=ctx, ssl_verify_hostname=False)
    ident = pool.get_api().get_resource("/system/identity").get()
    check("RouterOS-api: TLS identity", ident[0]["name"] == "agg1", f"{ident}")
    pool.disconnect()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="admin")
    p.add_argument("--password-env", default="ISPVM_PASSWORD")
    p.add_argument("--version", default="7.18.2", help="RouterOS version the simulator serves")
    p.add_argument("--tls-port", type=int)
    p.add_argument("--ca", help="PEM CA of the simulator's TLS certificate")
    args = p.parse_args()
    args.password = os.environ.get(args.password_env, "")

    run("raw", lambda: raw_checks(args))
    run("librouteros", lambda: librouteros_checks(args))
    run("RouterOS-api", lambda: routeros_api_checks(args))
    if args.tls_port:
        run("librouteros TLS", lambda: librouteros_tls(args))
        run("RouterOS-api TLS", lambda: routeros_api_tls(args))

    print(
        f"routeros_clients: librouteros {getattr(librouteros, '__version__', '4.x')}, "
        f"RouterOS-api; simulator {args.version}: {len(PASSED)} checks passed, {len(FAILURES)} failed"
    )
    for f in FAILURES:
        print(f"FAIL {f}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
