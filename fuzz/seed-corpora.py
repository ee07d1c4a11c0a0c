#!/usr/bin/env python3
"""Build the seed corpora of the fuzz targets, fuzz/corpus/<target>/, from ../shared/data.

    python3 fuzz/seed-corpora.py [--data DIR] [--out DIR] [--clean] [--only TARGET,...]

The corpora are generated, not committed (fuzz/.gitignore). Seeds are named by the SHA-1 of
their bytes, as libFuzzer names the inputs it adds, so a re-run adds nothing twice and never
removes what a fuzzing run found (`--clean` empties each target's directory first).

What each target gets (the input shape is the target's, see fuzz/fuzz_targets/):
- version targets (dpkg, rpm, apk, semver, go, pub, pep440, maven, rubygems, nuget, packagist,
  cran, hackage): `A<NUL>B` from the `A OP B` lines of versions/ (hand-written files whole,
  generated ones sampled evenly), go from the Go feed's versions with a `v`;
- range: a scheme selector line, a version and up to 16 event versions, from the ranges of
  the OSV feeds (dpkg, rpm, apk, semver, go, pep440) and from vector lines (the others);
- advisory_osv: OSV records up to 16 KiB, sampled evenly from each feed zip, plus the
  osv.dev, Ubuntu, linter and GHSA-conversion samples;
- inventory_dpkg / inventory_apk: stanza groups of the real status / installed files (three
  packages a seed: the target runs a few hundred times a second on a whole status file);
- inventory_rpm_header / _sqlite / _bdb: rpm header blobs built from the UBI 8 manifests'
  NEVRAs; SQLite rpmdbs of a few of them (python's sqlite3); a Berkeley DB hash `Packages`
  (only when db5.3_load, apt db5.3-util, is installed);
- inventory_os_release: every os-release file;
- inventory_sbom: the SBOMs up to 16 KiB (the target runs a few hundred times a second);
- inventory_lockfile: the kind byte, then a lockfile: pieces of this repository's Cargo.lock
  files and one small lockfile of each of the 13 kinds, filled with the real package names and
  versions of osv-api-oracle/;
- inventory_purl: the package URLs of the SBOMs and OSV samples.
- inventory_python / _npm / _gem: core metadata, package.json and gemspecs (file name line
  first) of real PyPI, npm and RubyGems names and versions from osv-api-oracle/;
- inventory_jar: zip archives (zipfile) with pom.properties of real Maven coordinates, one
  with a nested archive;
- inventory_binary: small ELF64 files with a `.go.buildinfo` section in both layouts (inline
  varints; pointers to Go string headers in `.data`) and a cargo-auditable `.dep-v0`
  section, built by elf64() below.

Python 3 standard library only. The data root is --data, else $CAULK_SHARED_DATA, else
../shared/data beside the repository.
"""

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent

# Scheme::ALL of caulk-version, in order: the range target picks the scheme by the length of
# its first line modulo this length.
SCHEMES = ["dpkg", "rpm", "apk", "semver", "go", "pub", "pep440", "maven", "rubygems",
           "nuget", "packagist", "cran", "hackage"]

# caulk_inventory::lockfile::Kind in the order of the lockfile target's KINDS table.
LOCK_KINDS = ["cargo", "npm", "yarn", "pnpm", "requirements", "poetry", "pipfile", "uv",
              "gomod", "gemfile", "composer", "gradle", "nuget"]

MAX_SEED = 16 * 1024  # bytes: larger inputs slow the fuzzer more than they teach it
MAX_VERSION_PAIRS = 1500
MAX_RANGE = 400
OSV_PER_FEED = 40
STANZAS_PER_SEED = 3


def spread(items, n):
    """At most n items, evenly spaced over the whole list (keeps the order)."""
    items = list(items)
    if n <= 0:
        return []
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


class Corpus:
    def __init__(self, out, clean, only):
        self.out = out
        self.clean = clean
        self.only = only
        self.counts = {}

    def wanted(self, target):
        return not self.only or target in self.only

    def add(self, target, data, name=None):
        """Add a seed named by the SHA-1 of its bytes (or of `name`, for outputs of tools
        that are not byte-for-byte reproducible)."""
        if isinstance(data, str):
            data = data.encode()
        d = self.out / target
        if target not in self.counts:
            if self.clean and d.exists():
                shutil.rmtree(d)
            d.mkdir(parents=True, exist_ok=True)
            self.counts[target] = [0, 0]
        p = d / hashlib.sha1(name.encode() if name else data).hexdigest()
        if not p.exists():
            p.write_bytes(data)
        self.counts[target][0] += 1
        self.counts[target][1] += len(data)


# --- readers of the shared data -----------------------------------------------------------

def vector_lines(path):
    """The (A, B) operands of an `A OP B` vector file."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("//"):
            continue
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("<", "=", ">", "=="):
            out.append((parts[0], parts[2]))
    return out


def scheme_of(name):
    """Which scheme a vector file is about (the rule of crates/version/tests/vectors.rs)."""
    if name == "rpmvercmp":
        return "rpm"
    if name == "packagist_test_cases.txt":
        return "packagist"
    prefixes = {"alpine-": "apk", "cran-": "cran", "debian-": "dpkg", "hackage-": "hackage",
                "maven-": "maven", "nuget-": "nuget", "packagist-": "packagist", "pub-": "pub",
                "pypi-": "pep440", "redhat-": "rpm", "rubygems-": "rubygems",
                "semver-": "semver"}
    for p, s in prefixes.items():
        if name.startswith(p):
            return s
    return None


def vectors_by_scheme(data):
    """scheme -> [(A, B)]: hand-written files whole, then generated files."""
    real, generated = {}, {}
    for f in sorted((data / "versions").rglob("*")):
        if not f.is_file():
            continue
        s = scheme_of(f.name)
        if s is None:
            continue
        bucket = generated if "generated" in f.name else real
        bucket.setdefault(s, []).extend(vector_lines(f))
    out = {}
    for s in SCHEMES:
        r = real.get(s, [])
        g = generated.get(s, [])
        out[s] = r + spread(g, max(0, MAX_VERSION_PAIRS - len(r)))
    return out


def osv_zip_records(path):
    """(member name, bytes) of every JSON member of an OSV zip, by name."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".json"))
        for n in names:
            yield n, z.read(n)


def feed_zips(data):
    return sorted((data / "feeds" / "osv").glob("*/all.zip"))


def stanzas(text):
    """Blank-line separated blocks of a deb822 / apk file."""
    blocks, cur = [], []
    for line in text.splitlines():
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append("\n".join(cur) + "\n")
            cur = []
    if cur:
        blocks.append("\n".join(cur) + "\n")
    return blocks


def oracle_packages(data, ecosystem):
    """(name, version) pairs of real queries recorded in osv-api-oracle/<ecosystem>.json."""
    p = data / "osv-api-oracle" / f"{ecosystem}.json"
    if not p.is_file():
        return []
    out = []
    for q in json.loads(p.read_text()):
        pkg = q.get("query", {}).get("package", {})
        v = q.get("query", {}).get("version")
        if pkg.get("name") and v and (pkg["name"], v) not in out:
            out.append((pkg["name"], v))
    return out


# --- targets ------------------------------------------------------------------------------

def seed_versions(c, data):
    vec = vectors_by_scheme(data)
    for s in SCHEMES:
        if s == "go" or not c.wanted(s):
            continue
        for a, b in vec[s]:
            c.add(s, f"{a}\0{b}")
    if c.wanted("apk"):
        valid = data / "versions" / "osv.dev" / "valid_versions.txt"
        if valid.is_file():
            vs = [l.strip() for l in valid.read_text().splitlines()
                  if l.strip() and not l.startswith("#")]
            for a, b in zip(vs, vs[1:]):
                c.add("apk", f"{a}\0{b}")
    if c.wanted("go"):
        pairs = [(f"v{a}", f"v{b}") for a, b in vec["semver"]]
        go_zip = data / "feeds" / "osv" / "Go" / "all.zip"
        if go_zip.is_file():
            seen = []
            for _, raw in osv_zip_records(go_zip):
                for ev in range_versions(json.loads(raw)):
                    if ev != "0" and ev not in seen:
                        seen.append(ev)
            seen = spread(seen, 2 * MAX_VERSION_PAIRS // 3)
            pairs += [(f"v{a}", f"v{b}") for a, b in zip(seen, seen[1:])]
        for a, b in spread(pairs, MAX_VERSION_PAIRS):
            c.add("go", f"{a}\0{b}")


def range_versions(rec):
    """Every event version of every range of a record, in order."""
    out = []
    for a in rec.get("affected") or []:
        for r in a.get("ranges") or []:
            for e in r.get("events") or []:
                out.extend(str(v) for v in e.values())
    return out


FEED_SCHEME = {"Debian": "dpkg", "AlmaLinux": "rpm", "Alpine": "apk", "crates.io": "semver",
               "Go": "go", "PyPI": "pep440"}


def range_input(scheme, version, events):
    head = "x" * SCHEMES.index(scheme)
    return "\n".join([head, version] + events[:16])


def seed_range(c, data):
    if not c.wanted("range"):
        return
    per_feed = MAX_RANGE // (len(FEED_SCHEME) + 7)
    for z in feed_zips(data):
        scheme = FEED_SCHEME.get(z.parent.name)
        if scheme is None:
            continue
        inputs = []
        for _, raw in osv_zip_records(z):
            rec = json.loads(raw)
            for a in rec.get("affected") or []:
                for r in a.get("ranges") or []:
                    if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
                        continue
                    evs = [str(v) for e in r.get("events") or [] for v in e.values()]
                    if not evs:
                        continue
                    listed = a.get("versions") or []
                    version = str(listed[len(listed) // 2]) if listed else evs[-1]
                    inputs.append(range_input(scheme, version, evs))
        for i in spread(inputs, per_feed):
            c.add("range", i)
    # Schemes without a feed here: versions and events from the vector lines.
    vec = vectors_by_scheme(data)
    for s in SCHEMES:
        if s in FEED_SCHEME.values():
            continue
        ops = [v for pair in vec[s] for v in pair]
        chunks = [ops[i:i + 4] for i in range(0, len(ops), 4)]
        for ch in spread(chunks, per_feed):
            if len(ch) >= 2:
                c.add("range", range_input(s, ch[0], ch[1:]))


def seed_osv(c, data):
    if not c.wanted("advisory_osv"):
        return
    for z in feed_zips(data) + [data / "ubuntu" / "osv-sample.zip"]:
        if not z.is_file():
            continue
        small = [raw for _, raw in osv_zip_records(z) if len(raw) <= MAX_SEED]
        for raw in spread(small, OSV_PER_FEED):
            c.add("advisory_osv", raw)
    for d in ["osv/samples-osv.dev-testdata", "osv-schema/linter-testdata"]:
        for f in sorted((data / d).glob("*.json")):
            if f.stat().st_size <= MAX_SEED:
                c.add("advisory_osv", f.read_bytes())
    for f in sorted((data / "osv-schema" / "ghsa-conversion-testdata").glob("*.osv.json")):
        c.add("advisory_osv", f.read_bytes())


def seed_stanza_files(c, target, files):
    if not c.wanted(target):
        return
    for f in files:
        text = f.read_text(errors="replace")
        if len(text) <= 4096:
            c.add(target, text)
        blocks = stanzas(text)
        groups = ["\n".join(blocks[i:i + STANZAS_PER_SEED])
                  for i in range(0, len(blocks), STANZAS_PER_SEED)]
        for g in spread(groups, 25):
            c.add(target, g)


def seed_dpkg(c, data):
    files = [data / "debian" / "bookworm-host" / "dpkg-status"]
    files += sorted((data / "inventories").glob("*/*dpkg-status"))
    seed_stanza_files(c, "inventory_dpkg", [f for f in files if f.is_file()])


def seed_apk(c, data):
    files = sorted((data / "inventories").glob("*/*apk-installed"))
    seed_stanza_files(c, "inventory_apk", files)


def seed_apt(c, data):
    """Stanza groups of the recorded apt `Packages` lists (decompressed), and this host's
    dpkg status (the same deb822 format) for the apt index reader."""
    if not c.wanted("inventory_apt"):
        return
    import lzma
    for f in sorted((data / "debian" / "apt-lists").glob("*_Packages.xz")):
        text = lzma.decompress(f.read_bytes()).decode("utf-8", "replace")
        blocks = stanzas(text)[:2000]
        groups = ["\n".join(blocks[i:i + STANZAS_PER_SEED])
                  for i in range(0, len(blocks), STANZAS_PER_SEED)]
        for g in spread(groups, 15):
            c.add("inventory_apt", g)


# rpm header tags and types (crates/inventory/src/rpm.rs)
TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH = 1000, 1001, 1002, 1003
TAG_VENDOR, TAG_ARCH, TAG_SOURCERPM = 1011, 1022, 1044
TYPE_INT32, TYPE_STRING = 4, 6
RPM_MAGIC = bytes([0x8E, 0xAD, 0xE8, 0x01, 0, 0, 0, 0])


def rpm_header(fields):
    """An rpm header blob: index count, data length, 16-byte index entries, data store."""
    index, store = b"", b""
    for tag, ty, value in fields:
        if ty == TYPE_INT32:
            store += b"\0" * (-len(store) % 4)
            off = len(store)
            store += struct.pack(">I", value)
        else:
            off = len(store)
            store += value.encode() + b"\0"
        index += struct.pack(">IIII", tag, ty, off, 1)
    return struct.pack(">II", len(fields), len(store)) + index + store


def ubi_headers(data):
    """Header blobs for the packages of the UBI 8 rpm manifests (NEVRA → tags)."""
    out = []
    for f in sorted((data / "inventories" / "rhel-8-ubi8").glob("*.json")):
        for p in json.loads(f.read_text()).get("rpms", []):
            name, arch, release = p.get("name"), p.get("architecture"), p.get("release")
            nevra = p.get("nerva", "")
            if not (name and arch and release and nevra.startswith(name + "-")):
                continue
            evr = nevra[len(name) + 1:-(len(arch) + 1)]
            epoch = None
            if ":" in evr:
                e, evr = evr.split(":", 1)
                epoch = int(e) if e.isdigit() else None
            version = evr[:-(len(release) + 1)] if evr.endswith("-" + release) else evr
            fields = [(TAG_NAME, TYPE_STRING, name), (TAG_VERSION, TYPE_STRING, version),
                      (TAG_RELEASE, TYPE_STRING, release)]
            if epoch is not None:
                fields.append((TAG_EPOCH, TYPE_INT32, epoch))
            fields += [(TAG_VENDOR, TYPE_STRING, "Red Hat, Inc."),
                       (TAG_ARCH, TYPE_STRING, arch)]
            if p.get("srpm_nevra"):
                fields.append((TAG_SOURCERPM, TYPE_STRING, p["srpm_nevra"] + ".rpm"))
            out.append(rpm_header(fields))
    return out


def rpm_sqlite(blobs):
    """An rpmdb.sqlite holding `blobs` in its Packages table, with small pages."""
    with tempfile.TemporaryDirectory() as t:
        path = Path(t) / "rpmdb.sqlite"
        db = sqlite3.connect(path)
        db.execute("PRAGMA page_size=512")
        db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "blob BLOB NOT NULL)")
        db.executemany("INSERT INTO Packages(blob) VALUES (?)", [(b,) for b in blobs])
        db.commit()
        db.close()
        return path.read_bytes()


def rpm_bdb(blobs):
    """A Berkeley DB hash Packages file through db5.3_load (keys: native-endian numbers)."""
    dump = io.StringIO()
    dump.write("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=512\nHEADER=END\n")
    for i, b in enumerate(blobs, 1):
        dump.write(f" {struct.pack('=I', i).hex()}\n {b.hex()}\n")
    dump.write("DATA=END\n")
    with tempfile.TemporaryDirectory() as t:
        path = Path(t) / "Packages"
        subprocess.run(["db5.3_load", "-f", "/dev/stdin", str(path)],
                       input=dump.getvalue().encode(), check=True)
        return path.read_bytes()


def seed_rpm(c, data):
    headers = ubi_headers(data)
    if not headers:
        return
    if c.wanted("inventory_rpm_header"):
        for h in spread(headers, 60):
            c.add("inventory_rpm_header", h)
        c.add("inventory_rpm_header", RPM_MAGIC + headers[0])
    groups = [headers[:1], headers[1:4], spread(headers, 12)]
    if c.wanted("inventory_rpm_sqlite"):
        for g in groups:
            c.add("inventory_rpm_sqlite", rpm_sqlite(g))
    if c.wanted("inventory_rpm_bdb"):
        if shutil.which("db5.3_load"):
            # db5.3_load writes a random file id and some stale bytes: name by the input.
            for g in groups:
                c.add("inventory_rpm_bdb", rpm_bdb(g),
                      name="bdb:" + hashlib.sha1(b"".join(g)).hexdigest())
        else:
            print("note: no inventory_rpm_bdb seeds: db5.3_load is absent (apt db5.3-util)",
                  file=sys.stderr)


def seed_os_release(c, data):
    if not c.wanted("inventory_os_release"):
        return
    files = sorted((data / "inventories" / "os-release").glob("*"))
    files.append(data / "debian" / "bookworm-host" / "os-release")
    for f in files:
        if f.is_file():
            c.add("inventory_os_release", f.read_bytes())


def sbom_files(data):
    pat = re.compile(r"(\.spdx|\.cdx\.xml|\.cdx\.json|bom\.json|spdx\.json|spdx\.txt|"
                     r"cyclonedx\.json)$")
    return [f for f in sorted((data / "inventories").rglob("*"))
            if f.is_file() and pat.search(f.name)]


def seed_sbom(c, data):
    if not c.wanted("inventory_sbom"):
        return
    for f in sbom_files(data):
        if f.stat().st_size <= MAX_SEED:
            c.add("inventory_sbom", f.read_bytes())


def lockfiles(data):
    """(kind, text): one small lockfile per kind from real names and versions."""
    def pk(eco, n=5):
        return oracle_packages(data, eco)[:n]

    out = []
    cargo = pk("crates.io")
    out.append(("cargo", "version = 4\n\n" + "".join(
        f'[[package]]\nname = "{n}"\nversion = "{v}"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
        for n, v in cargo)))
    npm = pk("npm")
    out.append(("npm", json.dumps({"lockfileVersion": 3, "packages": {
        "": {"name": "app"}, **{f"node_modules/{n}": {"version": v} for n, v in npm}}},
        indent=2)))
    out.append(("npm", json.dumps({"lockfileVersion": 1, "dependencies": {
        n: {"version": v} for n, v in npm}}, indent=2)))
    out.append(("yarn", "# yarn lockfile v1\n\n" + "".join(
        f'{n}@^{v}:\n  version "{v}"\n  resolved "https://registry.yarnpkg.com/{n}"\n\n'
        for n, v in npm)))
    out.append(("yarn", "__metadata:\n  version: 6\n\n" + "".join(
        f'"{n}@npm:^{v}":\n  version: {v}\n  resolution: "{n}@npm:{v}"\n\n'
        for n, v in npm)))
    out.append(("pnpm", "lockfileVersion: '9.0'\npackages:\n" + "".join(
        f"  {n}@{v}:\n    resolution: {{integrity: sha512-x}}\n" for n, v in npm)))
    pypi = pk("PyPI")
    out.append(("requirements", "# pinned\n" + "".join(f"{n}=={v}\n" for n, v in pypi)
                + "flask>=2\n-r other.txt\n"))
    out.append(("poetry", "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\n\n'
                                  for n, v in pypi)))
    out.append(("pipfile", json.dumps({"default": {n: {"version": f"=={v}"}
                                                   for n, v in pypi}}, indent=2)))
    out.append(("uv", "version = 1\n" + "".join(
        f'[[package]]\nname = "{n}"\nversion = "{v}"\n'
        'source = { registry = "https://pypi.org/simple" }\n' for n, v in pypi)))
    go = [(n, v) for n, v in pk("Go", 8) if n != "stdlib"]
    out.append(("gomod", "module example.com/app\n\ngo 1.21\n\nrequire (\n" + "".join(
        f"\t{n} v{v}\n" for n, v in go) + ")\n"))
    gems = pk("RubyGems")
    out.append(("gemfile", "GEM\n  remote: https://rubygems.org/\n  specs:\n" + "".join(
        f"    {n} ({v})\n" for n, v in gems) + "\nPLATFORMS\n  ruby\n"))
    comp = pk("Packagist")
    out.append(("composer", json.dumps({"packages": [{"name": n, "version": v}
                                                     for n, v in comp]}, indent=2)))
    maven = pk("Maven")
    out.append(("gradle", "# gradle lockfile\n" + "".join(
        f"{n}:{v}=compileClasspath\n" for n, v in maven) + "empty=\n"))
    nuget = pk("NuGet")
    out.append(("nuget", json.dumps({"version": 1, "dependencies": {"net6.0": {
        n: {"type": "Direct", "resolved": v} for n, v in nuget}}}, indent=2)))
    return out


def seed_lockfile(c, data):
    if not c.wanted("inventory_lockfile"):
        return
    for kind, text in lockfiles(data):
        c.add("inventory_lockfile", bytes([LOCK_KINDS.index(kind)]) + text.encode())
    # This repository's real Cargo.lock files, cut into seeds of a few packages each.
    for lock in [REPO / "Cargo.lock", FUZZ / "Cargo.lock"]:
        if not lock.is_file():
            continue
        blocks = stanzas(lock.read_text())
        head = [b for b in blocks if not b.startswith("[[package]]")]
        pkgs = [b for b in blocks if b.startswith("[[package]]")]
        groups = ["\n".join(head + pkgs[i:i + 8]) for i in range(0, len(pkgs), 8)]
        for g in spread(groups, 6):
            c.add("inventory_lockfile", bytes([0]) + g.encode())


def seed_purl(c, data):
    if not c.wanted("inventory_purl"):
        return
    purls = set()
    pat = re.compile(rb"pkg:[A-Za-z0-9.+-]+/[^\s\"'<>]+")
    for f in sbom_files(data):
        for m in pat.findall(f.read_bytes()):
            purls.add(m.decode(errors="replace").replace("&amp;", "&").replace("\\u0026", "&"))
    for f in sorted((data / "osv-schema" / "linter-testdata").glob("*.json")):
        for m in pat.findall(f.read_bytes()):
            purls.add(m.decode(errors="replace"))
    for p in spread(sorted(purls), 500):
        c.add("inventory_purl", p)


def elf64(sections):
    """A little-endian ELF64 file with the given (name, address, bytes) sections and a
    section-name table: what the binary collector reads (headers and sections only)."""
    names = b"\0"
    offs = []
    for name, _, _ in sections + [(".shstrtab", 0, b"")]:
        offs.append(len(names))
        names += name.encode() + b"\0"
    body = b""
    placed = []
    for (name, addr, data) in sections + [(".shstrtab", 0, names)]:
        placed.append((64 + len(body), len(data), addr))
        body += data + b"\0" * (-len(data) % 16)
    shoff = 64 + len(body)
    hdr = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    hdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 56, 0, 64,
                       len(sections) + 2, len(sections) + 1)
    sh = b"\0" * 64
    for i, (off, size, addr) in enumerate(placed):
        sh += struct.pack("<IIQQQQIIQQ", offs[i], 1, 2, addr, off, size, 0, 0, 16, 0)
    return hdr + body + sh


def go_modinfo(mods):
    lines = "path\texample.com/cmd\nmod\texample.com\tv1.0.0\t\n"
    lines += "".join(f"dep\t{n}\t{v}\th1:x=\n" for n, v in mods)
    return b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6" + lines.encode() + \
        b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def seed_lang(c, data):
    import zlib
    pypi = oracle_packages(data, "PyPI")[:40]
    for i in range(0, len(pypi), 4):
        for n, v in pypi[i:i + 4]:
            c.add("inventory_python",
                  f"Metadata-Version: 2.1\nName: {n}\nVersion: {v}\nSummary: s\n\nbody\n")
    for n, v in oracle_packages(data, "npm")[:30]:
        c.add("inventory_npm", json.dumps({"name": n, "version": v, "dependencies": {"a": "1"}}))
    for n, v in oracle_packages(data, "RubyGems")[:30]:
        c.add("inventory_gem", f"{n}-{v}.gemspec\nGem::Specification.new do |s|\n"
                               f"  s.name = \"{n}\".freeze\n  s.version = \"{v}\"\nend\n")
    maven = [(n, v) for n, v in oracle_packages(data, "Maven") if ":" in n][:20]
    for i in range(0, len(maven), 2):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
            for n, v in maven[i:i + 2]:
                g, a = n.split(":", 1)
                z.writestr(f"META-INF/maven/{g}/{a}/pom.properties",
                           f"groupId={g}\nartifactId={a}\nversion={v}\n")
        c.add("inventory_jar", buf.getvalue())
        outer = io.BytesIO()
        with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
            z.writestr("BOOT-INF/lib/inner.jar", buf.getvalue())
        c.add("inventory_jar", outer.getvalue())
    gomods = [(n, v if v.startswith("v") else "v" + v)
              for n, v in oracle_packages(data, "Go")][:12]
    crates = oracle_packages(data, "crates.io")[:12]
    for i in range(0, max(len(gomods), 1), 4):
        mod = go_modinfo(gomods[i:i + 4])
        vers = b"go1.21.5"
        inline = b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16 + \
            uvarint(len(vers)) + vers + uvarint(len(mod)) + mod
        deps = {"packages": [{"name": n, "version": v, "source": "crates.io"}
                             for n, v in crates[i:i + 4]]}
        dep = zlib.compress(json.dumps(deps).encode())
        c.add("inventory_binary", elf64([(".go.buildinfo", 0x500000, inline),
                                         (".dep-v0", 0, dep)]))
        # Before Go 1.18: two pointers to string headers (address, length) in .data.
        base = 0x600000
        strs = struct.pack("<QQQQ", base + 32, len(vers), base + 32 + len(vers), len(mod))
        ptr = b"\xff Go buildinf:" + bytes([8, 0]) + struct.pack("<QQ", base, base + 16)
        c.add("inventory_binary", elf64([(".go.buildinfo", 0x500000, ptr),
                                         (".data", base, strs + vers + mod)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, help="the shared data root")
    ap.add_argument("--out", type=Path, default=FUZZ / "corpus")
    ap.add_argument("--clean", action="store_true", help="empty each corpus directory first")
    ap.add_argument("--only", default="", help="comma-separated targets")
    args = ap.parse_args()
    data = args.data or (Path(os.environ["CAULK_SHARED_DATA"])
                         if os.environ.get("CAULK_SHARED_DATA")
                         else REPO.parent / "shared" / "data")
    if not (data / "versions").is_dir():
        sys.exit(f"error: {data} is not the shared data (no versions/ in it)")
    only = {t for t in args.only.split(",") if t}
    c = Corpus(args.out, args.clean, only)
    for step in [seed_versions, seed_range, seed_osv, seed_dpkg, seed_apt, seed_apk, seed_rpm,
                 seed_os_release, seed_sbom, seed_lockfile, seed_purl, seed_lang]:
        step(c, data)
    for t, (n, size) in sorted(c.counts.items()):
        files = len(list((args.out / t).iterdir()))
        print(f"{t:22} {n:5} seeds, {size / 1024:8.1f} KiB  ({files} files in {args.out / t})")


if __name__ == "__main__":
    main()
