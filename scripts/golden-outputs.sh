#!/usr/bin/env bash
# Write every output of `caulk scan` and `caulk inventory` for a fixed set of inputs into OUT,
# one file per command (stdout, then stderr and the exit status in `<name>.err`), so two
# builds can be compared byte for byte:
#
#   scripts/golden-outputs.sh OLD_CAULK /tmp/before
#   scripts/golden-outputs.sh NEW_CAULK /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# Inputs: this host's snapshot (../shared/data/debian/bookworm-host in a temporary root)
# against the offline mirror with the recorded apt lists, the SBOMs and dpkg inventories in
# ../shared/data/inventories, a Cargo.lock tree (this repository's lockfile as of a fixed
# commit) and an inventory JSON file. Every scan runs with `--today`, so no output depends on
# the clock; the database and roots live at fixed paths under $GOLDEN_WORK (default
# /tmp/caulk-golden), so paths printed in reports are the same for both builds.
set -euo pipefail
BIN=$(realpath "$1")
OUT=$2
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA=${CAULK_SHARED_DATA:-$HERE/../shared/data}
WORK=${GOLDEN_WORK:-/tmp/caulk-golden}
TODAY=2026-11-27
[ -d "$DATA/feeds" ] || { echo "golden-outputs: $DATA/feeds is missing" >&2; exit 2; }

rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/root/var/lib/dpkg" "$WORK/root/etc" "$WORK/lock" "$OUT"
cp "$DATA/debian/bookworm-host/dpkg-status" "$WORK/root/var/lib/dpkg/status"
cp "$DATA/debian/bookworm-host/os-release" "$WORK/root/etc/os-release"
cp "$DATA/debian/bookworm-host/debian_version" "$WORK/root/etc/debian_version"
git -C "$HERE" show e856d57:Cargo.lock > "$WORK/lock/Cargo.lock"
# A Debian 10 root from a real dpkg status (no os-release: the fallbacks decide).
mkdir -p "$WORK/deb10/var/lib/dpkg"
cp "$DATA/inventories/debian-10/claircore-postgresql.dpkg-status" "$WORK/deb10/var/lib/dpkg/status"

export CAULK_CACHE_DIR="$WORK/cache" COLUMNS=120
unset CAULK_DB
DB="$WORK/advisories.db"

run() { # name, args...
  local name=$1; shift
  set +e
  (cd "$WORK" && "$BIN" "$@") > "$OUT/$name" 2> "$OUT/$name.err"
  echo "exit $?" >> "$OUT/$name.err"
  set -e
}

# The first scan imports the mirror; the others reuse it.
run scan-host-import.json scan --root "$WORK/root" --feeds "$DATA/feeds" --db "$DB" \
  --apt-lists "$DATA/debian/apt-lists" --today $TODAY --format json
for f in table json sarif csv cyclonedx openvex markdown; do
  run "scan-host.$f" scan --root "$WORK/root" --feeds "$DATA/feeds" --db "$DB" \
    --apt-lists "$DATA/debian/apt-lists" --today $TODAY --format $f
done
run scan-host-details.table scan --root "$WORK/root" --db "$DB" --apt-lists "$DATA/debian/apt-lists" \
  --today $TODAY --details --fail-on act-now
run scan-host-nolists.table scan --root "$WORK/root" --db "$DB" --today $TODAY --criticality critical \
  --exposure internet
run scan-deb10.json scan --root "$WORK/deb10" --db "$DB" --today $TODAY --format json
run scan-lock.json scan --path "$WORK/lock" --db "$DB" --today $TODAY --format json
run scan-lock.table scan --path "$WORK/lock" --db "$DB" --today $TODAY --details
run scan-lock.markdown scan --path "$WORK/lock" --db "$DB" --today $TODAY --format markdown
i=0
for s in "$DATA"/inventories/*/*.json "$DATA"/inventories/*/*.xml "$DATA"/inventories/*/*.spdx \
         "$DATA"/inventories/*/*.txt; do
  [ -f "$s" ] || continue
  i=$((i+1))
  run "scan-sbom-$i.json" scan --sbom "$s" --db "$DB" --today $TODAY --format json
  run "scan-sbom-$i.table" scan --sbom "$s" --db "$DB" --today $TODAY
  run "inventory-sbom-$i.json" inventory --sbom "$s"
done
for f in json table cyclonedx; do
  run "inventory-host.$f" inventory --root "$WORK/root" --format $f
  run "inventory-lock.$f" inventory --path "$WORK/lock" --format $f
done
run inventory-deb10.json inventory --root "$WORK/deb10"
"$BIN" inventory --root "$WORK/root" > "$WORK/inventory.json"
run scan-inventory.json scan --inventory "$WORK/inventory.json" --db "$DB" --today $TODAY --format json
run scan-inventory.sarif scan --inventory "$WORK/inventory.json" --db "$DB" --today $TODAY --format sarif
# Errors say the same thing.
run scan-missing-root.table scan --root "$WORK/nonexistent" --db "$DB" --today $TODAY
run scan-bad-inventory.table scan --inventory "$DATA/feeds/README.md" --db "$DB" --today $TODAY
echo "golden-outputs: $(ls "$OUT" | wc -l) files in $OUT"
