# Sourced by Scripts/test and the benchmarks: installs PostgreSQL and libpq when missing (as root),
# starts a private cluster listening only on a Unix socket in a temporary directory, and removes
# it when the calling script exits. Sets THROWAWAY_POSTGRES_URL (a superuser conninfo string),
# PG_CTL and PG_BIN.

find_pg_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  done
}

install_missing() {  # install_missing PACKAGE… (Debian names): only as root
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ]; then
    echo "Installing $*…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
  else
    echo "Missing: $*. Install them: sudo apt-get install -y $*" >&2
    exit 1
  fi
}

# The mail tests deliver through msmtp to a local SMTP server (Debian's python3-aiosmtpd).
install_mail_tools() {
  local missing=()
  [ -x /usr/bin/msmtp ] || missing+=(msmtp)
  /usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
  install_missing "${missing[@]}"
}

# The web pages' end-to-end tests drive Debian's headless chromium.
install_browser() {
  command -v chromium >/dev/null 2>&1 || install_missing chromium
}

start_throwaway_postgres() {
  local missing=()
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  if ! pkg-config --exists libpq 2>/dev/null; then missing+=(libpq-dev); fi
  [ -n "$(find_pg_bin initdb)" ] || missing+=(postgresql)
  install_missing "${missing[@]}"
  local initdb
  initdb=$(find_pg_bin initdb)
  PG_CTL=$(find_pg_bin pg_ctl)
  PG_BIN=$(dirname "$initdb")

  as_server_user=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root; Debian's package creates the postgres user.
    as_server_user=(runuser -u postgres --)
  fi
  throwaway_cluster=$(mktemp -d /tmp/wysc-pg.XXXXXX)
  chmod 755 "$throwaway_cluster"
  [ ${#as_server_user[@]} -eq 0 ] || chown postgres: "$throwaway_cluster"
  trap stop_throwaway_postgres EXIT

  "${as_server_user[@]}" "$initdb" -D "$throwaway_cluster/data" -U postgres -E UTF8 --locale=C --auth=trust --no-instructions >/dev/null
  # Durability is pointless for a cluster that lives for one run; speed is not.
  "${as_server_user[@]}" "$PG_CTL" start -w -s -D "$throwaway_cluster/data" -l "$throwaway_cluster/server.log" \
    -o "-c listen_addresses='' -k $throwaway_cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
  THROWAWAY_POSTGRES_URL="host=$throwaway_cluster port=5432 user=postgres dbname=postgres"
  echo "Throwaway PostgreSQL on $throwaway_cluster ($("$PG_CTL" --version))" >&2
}

stop_throwaway_postgres() {
  "${as_server_user[@]}" "$PG_CTL" stop -D "$throwaway_cluster/data" -m immediate -s >/dev/null 2>&1 || true
  rm -rf "$throwaway_cluster"
}
