#!/usr/bin/env bash
# Tests the Debian package as a user gets it: installs the .deb with apt into a clean Debian 12
# root (debootstrap, minbase; nothing of this machine's libraries), then, inside that root, runs
# the installed mapengine: --version, the man page and completion files, `lint` of the example
# mappings, and a small `apply` + `validate` against a private PostgreSQL 15 server on this
# machine (scripts/pg-server.sh). Needs root (chroot) and Debian's mirror.
#
#   scripts/test-package.sh [DEB]        default: builds it with scripts/build-package.sh
#   MAPENGINE_DEBIAN_ROOT_CACHE=file     the bootstrapped root as a tarball, made on the first run
#                                        and unpacked afterwards (default:
#                                        ~/.cache/mapengine/debian12-minbase.tar)
#   MAPENGINE_DEBIAN_MIRROR=url          default http://deb.debian.org/debian
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test-package: needs root (debootstrap and chroot)" >&2
  exit 2
fi
deb=${1:-}
if [ -z "$deb" ]; then deb=$(scripts/build-package.sh); fi
deb=$(realpath "$deb")
mirror=${MAPENGINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${MAPENGINE_DEBIAN_ROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mapengine/debian12-minbase.tar}
step() { printf '==> [%ss] %s\n' "$SECONDS" "$*" >&2; }  # seconds since the start: CI's budget

# The dependencies dpkg-shlibdeps declared: one per library the binary links, named as the
# library's package declares it in its shlibs or symbols file (libspdlog.so.1.10 comes from the
# package libspdlog1.10, whose shlibs file says to depend on libspdlog1.10-fmt9, which it provides).
depends=$(dpkg-deb -f "$deb" Depends)
step "Depends: $depends"
depends_names=$(tr ',|' '\n\n' <<<"$depends" | awk '{print $1}')
# The dependency the package `owner` declares for the library `soname` (empty: none declared).
declared_dependency() {
  local owner=$1 soname=$2 name='' version=''
  if [[ $soname =~ ^(.*)\.so\.(.*)$ ]]; then name=${BASH_REMATCH[1]} version=${BASH_REMATCH[2]}; fi
  {
    dpkg-query --control-show "$owner" symbols 2>/dev/null | awk -v s="$soname" '$1 == s {print $2}'
    dpkg-query --control-show "$owner" shlibs 2>/dev/null |
      awk -v n="$name" -v v="$version" '$1 == n && $2 == v {print $3}'
  } | sed -n 1p
}
unpacked=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-deb.XXXXXX")
dpkg-deb -x "$deb" "$unpacked"
needed=$(objdump -p "$unpacked/usr/bin/mapengine" | awk '/NEEDED/ {print $2}')
rm -rf "$unpacked"
for library in $needed; do
  owner=$(dpkg -S "*/$library" 2>/dev/null | grep -v i386 | sed -n 1p | cut -d: -f1)
  wanted=${owner:+$(declared_dependency "$owner" "$library")}
  if [ -z "$owner" ] || ! grep -qxF -e "$owner" -e "${wanted:-$owner}" <<<"$depends_names"; then
    echo "test-package: $library (package '${owner:-?}'${wanted:+, declared as '$wanted'}) is" \
      "not among the declared dependencies" >&2
    exit 1
  fi
done
grep -qxF tzdata <<<"$depends_names" || { echo "test-package: tzdata is not declared" >&2; exit 1; }

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mapengine-package.XXXXXX")
chmod 755 "$work"
root=$work/root
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  scripts/pg-server.sh stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$cache" ]; then
  step "bootstrapping a clean Debian 12 root (once; kept in $cache)"
  debootstrap --variant=minbase bookworm "$work/bootstrap" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -f "$work/bootstrap"/var/cache/apt/archives/*.deb  # half the size, and not needed again
  mkdir -p "$(dirname "$cache")"
  tar -C "$work/bootstrap" -cf "$cache.partial" . && mv "$cache.partial" "$cache"
  rm -rf "$work/bootstrap"
fi
mkdir "$root"
tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

step "installing $(basename "$deb") with apt"
cp "$deb" "$root/tmp/mapengine.deb"
before=$(in_root dpkg-query -W -f='${Package}\n' | sort)
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /tmp/mapengine.deb >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 1; }

step "the installed files"
in_root mapengine --version
for f in /usr/share/mapengine/mapping.schema.json /usr/share/man/man1/mapengine.1.gz \
         /usr/share/man/man1/mapengine-lint.1.gz /usr/share/bash-completion/completions/mapengine \
         /usr/share/zsh/vendor-completions/_mapengine; do
  test -s "$root$f" || { echo "test-package: $f is missing" >&2; exit 1; }
done
# What apt brought with it: runtime libraries, no -dev package, compiler or other build tool.
added=$(comm -13 <(echo "$before") <(in_root dpkg-query -W -f='${Package}\n' | sort))
step "apt added: $(echo $added)"
if grep -E -- '-dev$|^(gcc|g\+\+|cpp|clang)(-[0-9]+)?$|^cmake|^build-essential' <<<"$added"; then
  echo "test-package: the package pulled in build tools" >&2
  exit 1
fi

step "mapengine lint (the example mappings)"
mkdir -p "$root/work"
cp -r mappings "$root/work/mappings"
in_root sh -c 'cd /work && mapengine lint mappings/'

step "mapengine apply and validate against a local PostgreSQL 15"
eval "$(scripts/pg-server.sh start "$work/pg" --fast)"
psql -qX "$MAPENGINE_PG_ADMIN_URL" -c 'CREATE DATABASE legacy' -c 'CREATE DATABASE target'
psql -qX -v ON_ERROR_STOP=1 "$MAPENGINE_PG_ADMIN_URL dbname=legacy" <<'SQL'
CREATE TABLE people (id int PRIMARY KEY, name text, born text);
INSERT INTO people VALUES (1, ' ada ', '10/12/1815'), (2, 'grace', '09/12/1906'), (3, 'edsger', '11/05/1930');
SQL
psql -qX -v ON_ERROR_STOP=1 "$MAPENGINE_PG_ADMIN_URL dbname=target" <<'SQL'
CREATE TABLE people (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, name text NOT NULL, born date);
SQL
cat >"$root/work/people.yaml" <<'YAML'
version: 1
table: public.people
source:
  query: SELECT id, name, born FROM people
  key: id
target:
  legacy_key: legacy_id
columns:
  id: { generate: uuid_v5 }
  legacy_id: id
  name: { from: name, transform: [trim, upper] }
  born: { from: born, transform: { parse_date: "%d/%m/%Y" } }
YAML
urls=(MAPENGINE_SOURCE_URL="$MAPENGINE_PG_ADMIN_URL dbname=legacy"
      MAPENGINE_TARGET_URL="$MAPENGINE_PG_ADMIN_URL dbname=target")
in_root env "${urls[@]}" sh -c 'cd /work && mapengine apply --no-progress people.yaml'
in_root env "${urls[@]}" sh -c 'cd /work && mapengine validate people.yaml'
got=$(psql -qXAt "$MAPENGINE_PG_ADMIN_URL dbname=target" \
  -c "SELECT string_agg(name || ' ' || born, ', ' ORDER BY legacy_id) FROM people")
expected="ADA 1815-12-10, GRACE 1906-12-09, EDSGER 1930-05-11"
if [ "$got" != "$expected" ]; then
  echo "test-package: the target holds '$got', expected '$expected'" >&2
  exit 1
fi
step "the package works in a clean Debian 12"
